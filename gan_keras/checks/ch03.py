"""Exercise checks of chapter 03 (DCGAN): the generator's and the discriminator's building blocks."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, exercise, explain, to_numpy


def _block_model(fn, input_shape, filters):
    """Wrap ``fn(x, filters)`` into a model on a fixed input (or explain why it cannot be)."""
    import keras

    x = keras.Input(shape=input_shape)
    y = call(fn, x, filters)
    explain(y is not None, "your block returned None: return the output tensor of its last layer.")
    try:
        model = keras.Model(x, y)
    except Exception as exc:  # not a symbolic tensor made from x
        explain(False, f"your block must build Keras layers on its input x and return their output "
                       f"({type(exc).__name__}: {str(exc)[:100]})")
    return model


def _layer_kinds(model):
    return [type(layer).__name__ for layer in model.layers]


@exercise("3.1", "a DCGAN generator block", reference="gan_keras.models.dcgan:generator_block")
def check_generator_block(fn):
    """Check ``fn(x, filters)`` doubles height and width with a transposed convolution, batch norm and ReLU."""
    import keras

    keras.utils.set_random_seed(0)
    model = _block_model(fn, (7, 7, 32), 16)
    kinds = _layer_kinds(model)
    shape = tuple(model.output_shape[1:])
    if "UpSampling2D" in kinds and "Conv2DTranspose" not in kinds:
        explain(False, "DCGAN upsamples with a fractionally-strided (transposed) convolution that "
                       "learns how to upsample, not with a fixed UpSampling2D.")
    explain(shape[:2] != (7, 7), f"the block kept the size 7x7 (got {shape}): a Conv2DTranspose "
                                 "needs strides=2 (and padding='same') to double height and width.")
    explain(shape == (14, 14, 16), f"7x7x32 with filters=16 should become 14x14x16, got {shape}. "
                                   "Use Conv2DTranspose(filters, 4, strides=2, padding='same').")
    explain("BatchNormalization" in kinds, "no batch normalization: DCGAN puts BatchNormalization "
                                           "after each transposed convolution of the generator (it "
                                           "keeps the signal's scale steady and helps gradients flow).")
    explain("LeakyReLU" not in kinds, "the generator's hidden layers use ReLU; LeakyReLU is the "
                                      "discriminator's activation.")
    z = np.random.default_rng(0).standard_normal((8, 7, 7, 32)).astype("float32")
    out = to_numpy(model(z, training=True), "the block's output")
    explain(out.min() >= 0.0 and np.mean(out == 0) > 0.1,
            "the output should be a ReLU's: non-negative, with many exact zeros. End the block "
            "with ReLU (after batch normalization); tanh belongs only to the last layer of the generator.")


@exercise("3.2", "a DCGAN discriminator block", reference="gan_keras.models.dcgan:discriminator_block")
def check_discriminator_block(fn):
    """Check ``fn(x, filters)`` halves height and width with a strided convolution and LeakyReLU(0.2)."""
    import keras

    keras.utils.set_random_seed(0)
    model = _block_model(fn, (28, 28, 1), 8)
    kinds = _layer_kinds(model)
    shape = tuple(model.output_shape[1:])
    explain(not any("Pooling" in k for k in kinds),
            "DCGAN replaces pooling with strided convolutions (the network learns its own "
            "downsampling): remove the pooling layer and use Conv2D(filters, 4, strides=2, padding='same').")
    explain(shape == (14, 14, 8), f"28x28x1 with filters=8 should become 14x14x8, got {shape}: "
                                  "use Conv2D(filters, 4, strides=2, padding='same').")
    x = np.random.default_rng(1).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    out = to_numpy(model(x, training=False), "the block's output")
    explain(out.min() < 0, "the output has no negative values: the discriminator uses LeakyReLU(0.2), "
                           "not ReLU, so that fake images keep a gradient where ReLU would be flat.")
    explain("Activation" not in kinds or "LeakyReLU" in kinds,
            "end the block with LeakyReLU(0.2) (not a sigmoid or tanh: the logit comes only at the end).")
    # The slope on the negative side should be 0.2, as in the DCGAN paper (Keras' default is 0.3)
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    if len(convs) == 1 and kinds[-1] == "LeakyReLU" and kinds[-2] == "Conv2D":
        pre = to_numpy(keras.Model(model.input, convs[0].output)(x), "the convolution's output")
        neg = pre < -1e-3
        slope = float(np.median(out[neg] / pre[neg])) if neg.any() else 0.2
        explain(abs(slope - 0.2) < 0.02, f"the negative slope is {slope:.2f}; DCGAN uses LeakyReLU(0.2) "
                                         "(Keras' default negative_slope is 0.3).")
