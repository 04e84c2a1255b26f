"""Exercise checks of chapter 03 (DCGAN): the generator's and the discriminator's building blocks.

A block is checked by its structure (which layers, in which order, each activation's kind
and parameters) and by its outputs, on inputs whose height, width and channels all differ.
"""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, exercise, explain, to_numpy

_NORMS = {"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization"}
_DROPOUTS = {"Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise"}
# keras.ops functions recorded in a functional model, by their operation's class name.
_OP_ACTIVATIONS = {"Relu": "relu", "Relu6": "relu6", "Tanh": "tanh", "Sigmoid": "sigmoid", "Elu": "elu",
                   "Selu": "selu", "Gelu": "gelu", "Silu": "silu", "Softplus": "softplus",
                   "Softsign": "softsign", "HardSigmoid": "hard_sigmoid", "Celu": "celu",
                   "Glu": "glu", "HardTanh": "hard_tanh", "Softmax": "softmax", "LogSigmoid": "log_sigmoid"}


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


def _function_activation(function):
    """Return ``(name, negative slope)`` of an activation given as a function or a layer; None if linear."""
    import keras

    if isinstance(function, keras.layers.Layer):
        return _activation_of(function)
    name = getattr(function, "__name__", type(function).__name__)
    if name == "linear":
        return None
    if name == "leaky_relu":
        return ("leaky_relu", 0.2)  # keras.activations.leaky_relu's default slope
    return (name, None)


def _activation_of(op):
    """Return ``(name, negative slope)`` if the operation is an activation, else None."""
    kind = type(op).__name__
    if kind == "LeakyReLU" or kind == "LeakyRelu":
        return ("leaky_relu", float(op.negative_slope))
    if kind == "ReLU":
        slope = float(op.negative_slope or 0.0)
        if slope:
            return ("leaky_relu", slope)
        return ("relu6", None) if op.max_value is not None else ("relu", 0.0)
    if kind == "Activation":
        return _function_activation(op.activation) or ("linear", None)
    if kind in ("ELU", "PReLU", "Softmax"):
        return (kind.lower(), None)
    if kind in _OP_ACTIVATIONS:
        return (_OP_ACTIVATIONS[kind], None)
    return None


def _operations(model):
    """Yield the operations of a model in the order they run, looking inside nested models."""
    import keras

    inner = model.layers if isinstance(model, keras.Sequential) else model.operations
    for op in inner:
        if isinstance(op, keras.Model):
            yield from _operations(op)
        else:
            yield op


def _pipeline(model):
    """Return the block as a list of steps ``(kind, detail, operation)`` in the order they run."""
    steps = []
    for op in _operations(model):
        kind = type(op).__name__
        if kind == "InputLayer":
            continue
        if kind in ("Conv2D", "Conv2DTranspose"):
            steps.append((kind, None, op))
            fused = _function_activation(op.activation)
            if fused is not None:
                steps.append(("activation", fused + ("built into the convolution",), op))
        elif kind in _NORMS:
            steps.append(("norm", kind, op))
        elif kind in _DROPOUTS:
            steps.append(("dropout", kind, op))
        elif _activation_of(op) is not None:
            act = _activation_of(op)
            if act[0] != "linear":
                steps.append(("activation", act + ("a layer",), op))
        else:
            steps.append(("other", kind, op))
    return steps


def _name(activation) -> str:
    name, slope, _ = activation
    return f"LeakyReLU({slope:g})" if name == "leaky_relu" else {"relu": "ReLU", "tanh": "tanh",
                                                                  "sigmoid": "sigmoid", "elu": "ELU"}.get(name, name)


def _index(steps, kind):
    return [i for i, step in enumerate(steps) if step[0] == kind]


@exercise("3.1", "a DCGAN generator block", reference="gan_keras.models.dcgan:generator_block")
def check_generator_block(fn):
    """Check ``fn(x, filters)``: Conv2DTranspose (stride 2, linear), then batch norm, then ReLU."""
    import keras

    for input_shape, filters in (((6, 5, 12), 8), ((3, 4, 7), 5)):
        keras.utils.set_random_seed(0)
        model = _block_model(fn, input_shape, filters)
        _check_generator_structure(model, input_shape, filters)
    h, w, c = 6, 5, 12
    z = np.random.default_rng(0).standard_normal((9, h, w, c)).astype("float32")
    model = _block_model(fn, (h, w, c), 8)
    out = to_numpy(model(z, training=True), "the block's output")
    explain(out.min() >= 0.0 and np.mean(out == 0) > 0.1,
            "the output should be a ReLU's: non-negative, with many exact zeros. End the block "
            "with ReLU (after batch normalization); tanh belongs only to the last layer of the generator.")


def _check_generator_structure(model, input_shape, filters):
    steps = _pipeline(model)
    kinds = [s[0] for s in steps]
    h, w, _ = input_shape
    shape = tuple(model.output_shape[1:])
    if "Conv2DTranspose" not in kinds and any(s[1] == "UpSampling2D" for s in steps if s[0] == "other"):
        explain(False, "DCGAN upsamples with a fractionally-strided (transposed) convolution that "
                       "learns how to upsample, not with a fixed UpSampling2D.")
    convs = _index(steps, "Conv2DTranspose")
    explain(len(convs) == 1 and "Conv2D" not in kinds,
            "a generator block has one transposed convolution: "
            "Conv2DTranspose(filters, 4, strides=2, padding='same'), then BatchNormalization, then ReLU.")
    explain(shape[:2] != (h, w), f"the block kept the size {h}x{w} (got {shape}): a Conv2DTranspose "
                                 "needs strides=2 (and padding='same') to double height and width.")
    explain(shape == (2 * h, 2 * w, filters),
            f"{h}x{w}x{input_shape[2]} with filters={filters} should become {2 * h}x{2 * w}x{filters}, "
            f"got {shape}. Use Conv2DTranspose(filters, 4, strides=2, padding='same').")
    conv = convs[0]
    fused = [s for s in steps if s[0] == "activation" and s[1][2] == "built into the convolution"]
    if fused and fused[0][1][0] == "tanh":
        explain(False, "the transposed convolution has activation='tanh' inside the block: tanh belongs "
                       "only to the generator's last layer, which maps to the images' range [-1, 1]. In a "
                       "block the convolution stays linear, then batch normalization, then ReLU.")
    explain(not fused, f"the transposed convolution has its own activation ({_name(fused[0][1]) if fused else ''}): "
                       "keep it linear (the default), so that batch normalization comes between the "
                       "convolution and the ReLU.")
    norms = _index(steps, "norm")
    explain(norms, "no batch normalization: DCGAN puts BatchNormalization after each transposed "
                   "convolution of the generator (it keeps the signal's scale steady and helps "
                   "gradients flow).")
    explain(norms[0] > conv, "batch normalization comes after the transposed convolution, not before it: "
                             "convolution, then normalisation, then activation (normalising the block's "
                             "input leaves the convolution's output unnormalised).")
    other_norms = [s[1] for s in steps if s[0] == "norm" and s[1] != "BatchNormalization"]
    explain(not other_norms, f"DCGAN's generator uses BatchNormalization, not {other_norms[:1]}.")
    acts = [s for s in steps if s[0] == "activation"]
    explain(acts, "no activation: end the block with ReLU after batch normalization (without it two "
                  "blocks in a row are one linear map).")
    act = acts[-1][1]
    if act[0] == "leaky_relu":
        explain(False, "the generator's hidden layers use ReLU; LeakyReLU is the discriminator's activation.")
    if act[0] == "tanh":
        explain(False, "the block ends with tanh: tanh belongs only to the generator's last layer "
                       "(images in [-1, 1]); its hidden blocks end with ReLU.")
    explain(act[0] == "relu", f"the generator's hidden layers use ReLU, not {_name(act)}.")
    explain(len(acts) == 1, "one activation per block: Conv2DTranspose, BatchNormalization, then ReLU.")
    explain(steps.index(acts[0]) > norms[0],
            "the ReLU comes after batch normalization: convolution, then normalisation, then activation.")
    others = [s[1] for s in steps if s[0] in ("other", "dropout")] + \
             [s[1] for s in steps if s[0] == "norm"][1:]
    explain(not others, f"a generator block is Conv2DTranspose -> BatchNormalization -> ReLU; yours also "
                        f"has {others}: leave them out.")


@exercise("3.2", "a DCGAN discriminator block", reference="gan_keras.models.dcgan:discriminator_block")
def check_discriminator_block(fn):
    """Check ``fn(x, filters)``: Conv2D (stride 2, linear), optional batch norm, then LeakyReLU(0.2)."""
    import keras

    for input_shape, filters in (((20, 12, 3), 7), ((8, 6, 5), 4)):
        keras.utils.set_random_seed(0)
        model = _block_model(fn, input_shape, filters)
        _check_discriminator_structure(model, input_shape, filters)
    model = _block_model(fn, (20, 12, 3), 7)
    x = np.random.default_rng(1).uniform(-1, 1, (5, 20, 12, 3)).astype("float32")
    out = to_numpy(model(x, training=False), "the block's output")
    explain(out.min() < 0, "the output has no negative values: the discriminator uses LeakyReLU(0.2), "
                           "not ReLU, so that fake images keep a gradient where ReLU would be flat.")
    # The slope on the negative side, measured: 0.2 as in the DCGAN paper (Keras' default is 0.3).
    steps = _pipeline(model)
    if [s[0] for s in steps] == ["Conv2D", "activation"] and steps[1][1][2] == "a layer":
        conv = steps[0][2]
        pre = to_numpy(conv(x), "the convolution's output")  # the block's first layer, on the same input
        neg = pre < -1e-3
        slope = float(np.median(out[neg] / pre[neg])) if neg.any() else 0.2
        explain(abs(slope - 0.2) < 0.02, f"the negative slope is {slope:.2f}; DCGAN uses LeakyReLU(0.2) "
                                         "(Keras' default negative_slope is 0.3).")


def _check_discriminator_structure(model, input_shape, filters):
    steps = _pipeline(model)
    kinds = [s[0] for s in steps]
    h, w, c = input_shape
    shape = tuple(model.output_shape[1:])
    explain(not any("Pooling" in str(s[1]) for s in steps if s[0] == "other"),
            "DCGAN replaces pooling with strided convolutions (the network learns its own "
            "downsampling): remove the pooling layer and use Conv2D(filters, 4, strides=2, padding='same').")
    convs = _index(steps, "Conv2D")
    explain(len(convs) == 1 and "Conv2DTranspose" not in kinds,
            "a discriminator block has one strided convolution: Conv2D(filters, 4, strides=2, "
            "padding='same'), then LeakyReLU(0.2).")
    explain(shape == (h // 2, w // 2, filters),
            f"{h}x{w}x{c} with filters={filters} should become {h // 2}x{w // 2}x{filters}, got {shape}: "
            "use Conv2D(filters, 4, strides=2, padding='same').")
    # An activation built into the Conv2D runs right after it: Conv2D(activation="leaky_relu")
    # is the same block as Conv2D then LeakyReLU(0.2); with batch norm the order check below
    # tells it apart.
    acts = [s for s in steps if s[0] == "activation"]
    explain(acts, "the block has no activation: put LeakyReLU(0.2) after the strided convolution "
                  "(without it, stacked blocks are one linear map).")
    explain(len(acts) == 1, f"one activation per block, LeakyReLU(0.2); yours has {[_name(a[1]) for a in acts]}.")
    act = acts[0][1]
    if act[0] == "relu":
        explain(False, "the discriminator uses LeakyReLU(0.2), not ReLU, so that fake images keep a "
                       "gradient where ReLU would be flat.")
    if act[0] in ("tanh", "sigmoid"):
        explain(False, f"end the block with LeakyReLU(0.2), not {act[0]}: a sigmoid or tanh squashes "
                       "the features, and the logit comes only at the end of the discriminator.")
    explain(act[0] == "leaky_relu", f"the discriminator's activation is LeakyReLU(0.2), not {_name(act)}.")
    explain(abs(act[1] - 0.2) < 1e-6, f"the negative slope is {act[1]:g}; DCGAN uses LeakyReLU(0.2) "
                                      "(Keras' default negative_slope is 0.3).")
    position = steps.index(acts[0])
    explain(position > convs[0], "the activation comes after the convolution.")
    norms = _index(steps, "norm")
    if norms and acts[0][1][2] == "built into the convolution":
        explain(False, "the Conv2D has the activation built in, so batch normalization comes after "
                       "the LeakyReLU: keep the convolution linear (the default), then batch "
                       "normalization, then LeakyReLU(0.2).")
    explain(all(convs[0] < i < position for i in norms),
            "batch normalization goes between the convolution and the LeakyReLU: convolution, then "
            "normalisation, then activation.")
    others = [s[1] for s in steps if s[0] == "other"] + [s[1] for s in steps[:position] if s[0] == "dropout"]
    explain(not others, f"a discriminator block is Conv2D -> (BatchNormalization) -> LeakyReLU(0.2) -> "
                        f"(Dropout); yours also has {others}: leave them out.")
