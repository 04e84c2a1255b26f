"""The gallery of wrong answers: every exercise check rejects each one with the message meant for it.

Each entry is a student's answer written from scratch (not produced by the check's own
helpers), with a distinctive part of the message the check must give. ``ACCEPTED`` lists
the references and the answers that are right, or mathematically equivalent, on purpose.
Only the public API is used (``checks.REGISTRY``), so the same gallery can be run against
an older version of the checks to see which wrong answers it let through.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_keras import checks
from gan_keras.checks import ExerciseError

ops = keras.ops
bce = keras.losses.BinaryCrossentropy(from_logits=True)
bce_probs = keras.losses.BinaryCrossentropy()
mse = keras.losses.MeanSquaredError()
layers = keras.layers

WRONG: list[tuple[str, str, object, str]] = []  # (exercise id, what is wrong, answer, message part)
ACCEPTED: list[tuple[str, str, object]] = []   # (exercise id, why it is accepted, answer)


def wrong(exercise_id, label, message):
    """Register a wrong answer: a decorator, so that each answer reads as a student wrote it."""
    def add(fn):
        WRONG.append((exercise_id, label, fn, message))
        return fn
    return add


def accepted(exercise_id, label):
    def add(fn):
        ACCEPTED.append((exercise_id, label, fn))
        return fn
    return add


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def helper_not_written_yet(*args):
    raise NotImplementedError


# =======================================================================================
# 1.1 the optimal discriminator
# =======================================================================================
wrong("1.1", "probability of fake on top", "probability of 'fake'")(lambda pd, pg: pg / (pd + pg))
wrong("1.1", "ratio of the densities", "denominator")(lambda pd, pg: pd / pg)
wrong("1.1", "averaged over x", "point by point")(lambda pd, pg: np.mean(pd / (pd + pg)))
wrong("1.1", "returns p_data", "Maximise")(lambda pd, pg: pd)
wrong("1.1", "a constant 1/2", "Maximise")(lambda pd, pg: np.full_like(pd, 0.5))
wrong("1.1", "calls a helper that raises NotImplementedError", "not the untouched stub")(
    lambda pd, pg: helper_not_written_yet(pd, pg))
accepted("1.1", "normalised by the total density, written with NumPy")(lambda pd, pg: pd / (pd + pg))


# =======================================================================================
# 1.2 the discriminator's backward pass in NumPy
# =======================================================================================
def backward(params, real, fake, real_label=1.0, fake_label=0.0, sign=1.0, mean=True,
             relu=True, only_real=False, divide_by_all=False, in_place=False, transpose_w1=False):
    """A student's backward pass, with one switch per typical mistake."""
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    batches = [(real, real_label)] if only_real else [(real, real_label), (fake, fake_label)]
    loss = 0.0
    for x, label in batches:
        pre = x @ params["w1"] + params["b1"]
        h = np.maximum(pre, 0)
        logit = h @ params["w2"] + params["b2"]
        loss += float(np.mean(np.logaddexp(0, -logit if label == 1.0 else logit)))
        size = (len(real) + len(fake)) if divide_by_all else (len(x) if mean else 1)
        g = sign * (1 / (1 + np.exp(-logit)) - label) / size
        grads["w2"] += h.T @ g
        grads["b2"] += g.sum(0)
        gh = (g @ params["w2"].T) * ((pre > 0) if relu else 1.0)
        grads["w1"] += x.T @ gh
        grads["b1"] += gh.sum(0)
    if in_place:
        params["w1"] -= 0.1 * grads["w1"]
    if transpose_w1:
        grads["w1"] = grads["w1"].T
    return loss, grads


for _kwargs, _label, _message in [
    (dict(sign=-1.0), "gradient sign flipped", "sign is flipped"),
    (dict(real_label=0.0, fake_label=1.0), "labels swapped", "labels are swapped"),
    (dict(mean=False), "summed over the batch", "summed over the batch"),
    (dict(relu=False), "ReLU left out of the backward pass", "ReLU is missing"),
    (dict(only_real=True), "only the real batch", "only one batch"),
    (dict(divide_by_all=True), "divided by all images together", "its own batch size"),
    (dict(in_place=True), "updates the weights in place", "changed the weights"),
    (dict(transpose_w1=True), "w1's gradient transposed", "must have the shape"),
]:
    wrong("1.2", _label, _message)(lambda p, r, f, _k=_kwargs: backward(p, r, f, **_k))
wrong("1.2", "right gradients, loss summed", "d_loss should be")(
    lambda p, r, f: (backward(p, r, f)[0] * 3, backward(p, r, f)[1]))
accepted("1.2", "written by hand")(lambda p, r, f: backward(p, r, f))
accepted("1.2", "gradients only (a dict), as the exercise allows")(lambda p, r, f: backward(p, r, f)[1])


# =======================================================================================
# 1.3 the Jensen-Shannon divergence
# =======================================================================================
def _kl(p, q, dx):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(p > 0, p * np.log(p / q), 0.0)) * dx


def _jsd(p, q, dx):
    m = (p + q) / 2
    return 0.5 * _kl(p, m, dx) + 0.5 * _kl(q, m, dx)


wrong("1.3", "KL(p || q) instead", "KL divergence")(lambda p, q, dx: _kl(p, q, dx))
wrong("1.3", "factor 1/2 missing", "factor 1/2")(lambda p, q, dx: 2 * _jsd(p, q, dx))
wrong("1.3", "log base 2", "base 2")(lambda p, q, dx: _jsd(p, q, dx) / np.log(2))
wrong("1.3", "sum without dx", "multiplying by dx")(lambda p, q, dx: _jsd(p, q, dx) / dx)
wrong("1.3", "only one of the two terms", "only one of the two")(
    lambda p, q, dx: 0.5 * _kl(p, (p + q) / 2, dx))
wrong("1.3", "dx hard-coded to the first grid's step", "use the dx argument")(
    lambda p, q, dx: _jsd(p, q, 0.02))
accepted("1.3", "written by hand")(_jsd)


# =======================================================================================
# 2.1 the discriminator loss
# =======================================================================================
wrong("2.1", "labels swapped", "swapped")(lambda r, f: bce(ops.zeros_like(r), r) + bce(ops.ones_like(f), f))
wrong("2.1", "sign flipped", "sign is flipped")(
    lambda r, f: -(bce(ops.ones_like(r), r) + bce(ops.zeros_like(f), f)))
wrong("2.1", "logits taken for probabilities", "treats them as probabilities")(
    lambda r, f: bce_probs(ops.ones_like(r), r) + bce_probs(ops.zeros_like(f), f))
wrong("2.1", "summed over the batch", "summed over the batch")(
    lambda r, f: ops.sum(ops.softplus(-r)) + ops.sum(ops.softplus(f)))
wrong("2.1", "no mean at all", "Did you forget to take the mean")(lambda r, f: ops.softplus(-r) + ops.softplus(f))
wrong("2.1", "only the real term", "two terms")(lambda r, f: bce(ops.ones_like(r), r))
wrong("2.1", "double sigmoid with keras.ops.sigmoid", "sigmoid twice")(
    lambda r, f: bce(ops.ones_like(r), ops.sigmoid(r)) + bce(ops.zeros_like(f), ops.sigmoid(f)))
wrong("2.1", "double sigmoid with keras.activations.sigmoid", "sigmoid twice")(
    lambda r, f: bce(ops.ones_like(r), keras.activations.sigmoid(r))
    + bce(ops.zeros_like(f), keras.activations.sigmoid(f)))
wrong("2.1", "double sigmoid with tf.math.sigmoid", "sigmoid twice")(
    lambda r, f: bce(ops.ones_like(r), tf.math.sigmoid(r)) + bce(ops.zeros_like(f), tf.math.sigmoid(f)))
wrong("2.1", "calls a helper that raises NotImplementedError", "not the untouched stub")(
    lambda r, f: helper_not_written_yet(r) + bce(ops.zeros_like(f), f))
accepted("2.1", "Keras' BinaryCrossentropy(from_logits=True), one mean per batch")(
    lambda r, f: bce(ops.ones_like(r), r) + bce(ops.zeros_like(f), f))
accepted("2.1", "one mean over the concatenated batch (the other common convention: half the sum "
                "of two means when both batches have the same size)")(
    lambda r, f: bce(ops.concatenate([ops.ones_like(r), ops.zeros_like(f)]), ops.concatenate([r, f])))
accepted("2.1", "BCE on probabilities from one sigmoid (equivalent up to float32 rounding and clipping)")(
    lambda r, f: bce_probs(ops.ones_like(r), ops.sigmoid(r)) + bce_probs(ops.zeros_like(f), ops.sigmoid(f)))


# =======================================================================================
# 2.2 the non-saturating generator loss
# =======================================================================================
wrong("2.2", "the saturating loss log(1 - D)", "saturating")(lambda f: -bce(ops.zeros_like(f), f))
wrong("2.2", "the label 0", "label is wrong")(lambda f: bce(ops.zeros_like(f), f))
wrong("2.2", "sign flipped", "sign is flipped")(lambda f: -bce(ops.ones_like(f), f))
wrong("2.2", "logits taken for probabilities", "not probabilities")(lambda f: bce_probs(ops.ones_like(f), f))
wrong("2.2", "summed over the batch", "summed over the batch")(lambda f: ops.sum(ops.softplus(-f)))
wrong("2.2", "double sigmoid with keras.ops.sigmoid", "sigmoid twice")(
    lambda f: bce(ops.ones_like(f), ops.sigmoid(f)))
wrong("2.2", "double sigmoid with softplus", "sigmoid twice")(lambda f: ops.mean(ops.softplus(-ops.sigmoid(f))))
wrong("2.2", "mean of the logits", "expected")(lambda f: ops.mean(f))
accepted("2.2", "softplus(-logits), the same formula")(lambda f: ops.mean(ops.softplus(-f)))
accepted("2.2", "Keras' BinaryCrossentropy(from_logits=True) against the label 1")(
    lambda f: bce(ops.ones_like(f), f))


# =======================================================================================
# 2.3 the least-squares discriminator loss
# =======================================================================================
wrong("2.3", "targets swapped", "targets are swapped")(
    lambda r, f: 0.5 * ops.mean(ops.square(r)) + 0.5 * ops.mean(ops.square(f - 1)))
wrong("2.3", "sigmoid applied first", "applied sigmoid first")(
    lambda r, f: 0.5 * mse(ops.ones_like(r), ops.sigmoid(r)) + 0.5 * mse(ops.zeros_like(f), ops.sigmoid(f)))
wrong("2.3", "factor 1/2 missing", "factor 1/2")(lambda r, f: mse(ops.ones_like(r), r) + mse(ops.zeros_like(f), f))
wrong("2.3", "summed over the batch", "summed")(
    lambda r, f: 0.5 * ops.sum(ops.square(r - 1)) + 0.5 * ops.sum(ops.square(f)))
wrong("2.3", "absolute differences", "absolute")(
    lambda r, f: 0.5 * ops.mean(ops.abs(r - 1)) + 0.5 * ops.mean(ops.abs(f)))
wrong("2.3", "only the real term", "only one")(lambda r, f: 0.5 * ops.mean(ops.square(r - 1)))
wrong("2.3", "sign flipped", "sign is flipped")(
    lambda r, f: -(0.5 * ops.mean(ops.square(r - 1)) + 0.5 * ops.mean(ops.square(f))))
accepted("2.3", "Keras' MeanSquaredError, halved")(
    lambda r, f: 0.5 * mse(ops.ones_like(r), r) + 0.5 * mse(ops.zeros_like(f), f))


# =======================================================================================
# 2.4 the value of the game V(D, G)
# =======================================================================================
wrong("2.4", "the discriminator's loss (sign flipped)", "sign is flipped")(
    lambda r, f: bce(ops.ones_like(r), r) + bce(ops.zeros_like(f), f))
wrong("2.4", "log D(G(z)) as the second term", "log(1 - D(G(z)))")(
    lambda r, f: ops.mean(ops.log_sigmoid(r)) + ops.mean(ops.log_sigmoid(f)))
wrong("2.4", "logits taken for probabilities", "not probabilities")(
    lambda r, f: ops.mean(ops.log(ops.clip(r, 1e-7, 1 - 1e-7))) + ops.mean(ops.log(1 - ops.clip(f, 1e-7, 1 - 1e-7))))
wrong("2.4", "summed over the batch", "summed")(lambda r, f: ops.sum(ops.log_sigmoid(r)) + ops.sum(ops.log_sigmoid(-f)))
wrong("2.4", "double sigmoid with keras.ops.sigmoid", "sigmoid twice")(
    lambda r, f: -bce(ops.ones_like(r), ops.sigmoid(r)) - bce(ops.zeros_like(f), ops.sigmoid(f)))
wrong("2.4", "double sigmoid with log_sigmoid", "sigmoid twice")(
    lambda r, f: ops.mean(ops.log_sigmoid(ops.sigmoid(r))) + ops.mean(ops.log_sigmoid(-ops.sigmoid(f))))
wrong("2.4", "only the real term", "expected")(lambda r, f: ops.mean(ops.log_sigmoid(r)))
accepted("2.4", "log of sigmoid probabilities (equivalent where nothing saturates)")(
    lambda r, f: ops.mean(ops.log(ops.sigmoid(r))) + ops.mean(ops.log(1 - ops.sigmoid(f))))
accepted("2.4", "minus the discriminator's BCE, which is V itself")(
    lambda r, f: -(bce(ops.ones_like(r), r) + bce(ops.zeros_like(f), f)))


# =======================================================================================
# 3.1 a DCGAN generator block
# =======================================================================================
def convt(x, filters, strides=2, **kwargs):
    return layers.Conv2DTranspose(filters, 4, strides=strides, padding="same", **kwargs)(x)


wrong("3.1", "no stride", "strides=2")(
    lambda x, f: layers.ReLU()(layers.BatchNormalization()(convt(x, f, strides=1))))
wrong("3.1", "LeakyReLU", "LeakyReLU is the discriminator's")(
    lambda x, f: layers.LeakyReLU(0.2)(layers.BatchNormalization()(convt(x, f))))
wrong("3.1", "no batch normalization", "no batch normalization")(lambda x, f: layers.ReLU()(convt(x, f)))
wrong("3.1", "batch normalization before the transposed convolution", "not before it")(
    lambda x, f: layers.ReLU()(convt(layers.BatchNormalization()(x), f)))
wrong("3.1", "transposed convolution with activation='tanh' inside the block", "activation='tanh' inside the block")(
    lambda x, f: layers.ReLU()(layers.BatchNormalization()(convt(x, f, activation="tanh"))))
wrong("3.1", "block ends with tanh", "belongs only to the generator's last layer")(
    lambda x, f: layers.Activation("tanh")(layers.BatchNormalization()(convt(x, f))))
wrong("3.1", "UpSampling2D and a convolution", "not with a fixed UpSampling2D")(
    lambda x, f: layers.ReLU()(layers.BatchNormalization()(
        layers.Conv2D(f, 3, padding="same")(layers.UpSampling2D()(x)))))
wrong("3.1", "ReLU before batch normalization", "after batch normalization")(
    lambda x, f: layers.BatchNormalization()(layers.ReLU()(convt(x, f))))
wrong("3.1", "ReLU built into the convolution, before batch normalization", "keep it linear")(
    lambda x, f: layers.BatchNormalization()(convt(x, f, activation="relu")))
wrong("3.1", "number of filters hard-coded", "with filters=")(
    lambda x, f: layers.ReLU()(layers.BatchNormalization()(convt(x, 16))))
wrong("3.1", "no activation", "no activation")(lambda x, f: layers.BatchNormalization()(convt(x, f)))
wrong("3.1", "ELU instead of ReLU", "not ELU")(lambda x, f: layers.ELU()(layers.BatchNormalization()(convt(x, f))))
accepted("3.1", "ReLU written as Activation('relu')")(
    lambda x, f: layers.Activation("relu")(layers.BatchNormalization()(convt(x, f, use_bias=False))))
accepted("3.1", "the same layers in a keras.Sequential")(
    lambda x, f: keras.Sequential([layers.Conv2DTranspose(f, 4, strides=2, padding="same"),
                                   layers.BatchNormalization(), layers.ReLU()])(x))
accepted("3.1", "ReLU written as keras.ops.relu")(lambda x, f: ops.relu(layers.BatchNormalization()(convt(x, f))))


# =======================================================================================
# 3.2 a DCGAN discriminator block
# =======================================================================================
def conv(x, filters, strides=2, **kwargs):
    return layers.Conv2D(filters, 4, strides=strides, padding="same", **kwargs)(x)


wrong("3.2", "strided convolution with no activation", "has no activation")(lambda x, f: conv(x, f))
wrong("3.2", "activation='tanh' in the convolution", "not tanh")(lambda x, f: conv(x, f, activation="tanh"))
wrong("3.2", "activation='relu' in the convolution", "not ReLU")(lambda x, f: conv(x, f, activation="relu"))
wrong("3.2", "LeakyReLU built into the convolution, before batch normalization", "activation built in")(
    lambda x, f: layers.BatchNormalization()(conv(x, f, activation="leaky_relu")))
wrong("3.2", "followed by tanh", "not tanh")(lambda x, f: layers.Activation("tanh")(conv(x, f)))
wrong("3.2", "followed by ELU", "not ELU")(lambda x, f: layers.ELU()(conv(x, f)))
wrong("3.2", "ReLU", "not ReLU")(lambda x, f: layers.ReLU()(conv(x, f)))
wrong("3.2", "LeakyReLU with Keras' default slope 0.3", "negative slope is 0.3")(
    lambda x, f: layers.LeakyReLU()(conv(x, f)))
wrong("3.2", "max pooling instead of a stride", "replaces pooling")(
    lambda x, f: layers.LeakyReLU(0.2)(layers.MaxPooling2D()(conv(x, f, strides=1))))
wrong("3.2", "batch normalization after the activation", "between the convolution and the LeakyReLU")(
    lambda x, f: layers.BatchNormalization()(layers.LeakyReLU(0.2)(conv(x, f))))
wrong("3.2", "no stride", "should become")(lambda x, f: layers.LeakyReLU(0.2)(conv(x, f, strides=1)))
wrong("3.2", "sigmoid", "not sigmoid")(lambda x, f: ops.sigmoid(conv(x, f)))
accepted("3.2", "the reference with batch normalization (DCGAN's inner blocks)")(
    lambda x, f: layers.LeakyReLU(0.2)(layers.BatchNormalization()(conv(x, f))))
accepted("3.2", "LeakyReLU(0.2) then Dropout")(lambda x, f: layers.Dropout(0.3)(layers.LeakyReLU(0.2)(conv(x, f))))
accepted("3.2", "the same layers in a keras.Sequential")(
    lambda x, f: keras.Sequential([layers.Conv2D(f, 4, strides=2, padding="same"), layers.LeakyReLU(0.2)])(x))
accepted("3.2", "Conv2D(activation='leaky_relu'): the same as Conv2D then LeakyReLU(0.2)")(
    lambda x, f: conv(x, f, activation="leaky_relu"))
accepted("3.2", "keras.ops.leaky_relu with slope 0.2")(lambda x, f: ops.leaky_relu(conv(x, f), 0.2))
accepted("3.2", "Activation('leaky_relu'): keras.activations.leaky_relu's default slope is 0.2")(
    lambda x, f: layers.Activation("leaky_relu")(conv(x, f)))


# =======================================================================================
# 4.1 the generator's conditioned input
# =======================================================================================
wrong("4.1", "label appended as one number", "as one number")(
    lambda z, y, k: ops.concatenate([z, ops.cast(y[:, None], "float32")], axis=-1))
wrong("4.1", "one-hot first", "comes first")(lambda z, y, k: ops.concatenate([ops.one_hot(y, k), z], axis=-1))
wrong("4.1", "num_classes ignored (10 hard-coded)", "use the num_classes argument")(
    lambda z, y, k: ops.concatenate([z, ops.one_hot(y, 10)], axis=-1))
wrong("4.1", "concatenated on the batch axis", "one row per example")(
    lambda z, y, k: ops.concatenate([ops.pad(z, [[0, 0], [0, k - 3]]), ops.one_hot(y, k)], axis=0))
wrong("4.1", "one-hot of label + 1", "should be one-hot")(
    lambda z, y, k: ops.concatenate([z, ops.one_hot((y + 1) % k, k)], axis=-1))
wrong("4.1", "z normalised on the way", "z itself, unchanged")(
    lambda z, y, k: ops.concatenate([z / ops.norm(z, axis=-1, keepdims=True), ops.one_hot(y, k)], axis=-1))
accepted("4.1", "NumPy: np.eye(num_classes)[labels]")(
    lambda z, y, k: np.concatenate([z, np.eye(k)[y]], axis=1))


# =======================================================================================
# 4.2 the conditional discriminator's input
# =======================================================================================
def _maps(images, y, k):
    one_hot = ops.one_hot(y, k)[:, None, None, :]
    return ops.broadcast_to(one_hot, (images.shape[0], images.shape[1], images.shape[2], k))


wrong("4.2", "image left out", "the image is missing")(lambda im, y, k: _maps(im, y, k))
wrong("4.2", "maps first", "maps come first")(lambda im, y, k: ops.concatenate([_maps(im, y, k), im], axis=-1))
wrong("4.2", "maps not broadcast (one pixel only)", "constant over the image")(
    lambda im, y, k: ops.concatenate(
        [im, ops.pad(ops.one_hot(y, k)[:, None, None, :],
                     [[0, 0], [0, im.shape[1] - 1], [0, im.shape[2] - 1], [0, 0]])], axis=-1))
wrong("4.2", "num_classes ignored (10 hard-coded)", "use the num_classes argument")(
    lambda im, y, k: ops.concatenate([im, _maps(im, y, 10)], axis=-1))
wrong("4.2", "label value as one map", "one map per class")(
    lambda im, y, k: ops.concatenate(
        [im, ops.ones_like(im[..., :1]) * ops.cast(y, "float32")[:, None, None, None]], axis=-1))
wrong("4.2", "only the image's first channel kept", "plus one map per class")(
    lambda im, y, k: ops.concatenate([im[..., :1], _maps(im, y, k)], axis=-1))
wrong("4.2", "maps of the wrong class", "map k should be 1")(
    lambda im, y, k: ops.concatenate([im, _maps(im, (y + 1) % k, k)], axis=-1))
accepted("4.2", "NumPy with np.tile")(
    lambda im, y, k: np.concatenate(
        [im, np.tile(np.eye(k)[y][:, None, None, :], (1,) + im.shape[1:3] + (1,))], axis=-1))


# =======================================================================================
# 5.1 the dream loss
# =======================================================================================
def dream(acts, weights, crop=(slice(1, -1), slice(1, -1)), power=2, reduce=ops.mean, names=None, sign=1.0,
          use_weights=True):
    total = 0.0
    for name in (names or weights):
        a = acts[name][:, crop[0], crop[1], :]
        total = total + (weights.get(name, 1.0) if use_weights else 1.0) * reduce(ops.abs(a) ** power)
    return sign * total


wrong("5.1", "negative loss (descent)", "not its negative")(lambda a, w: dream(a, w, sign=-1.0))
wrong("5.1", "no border crop", "one-pixel border")(lambda a, w: dream(a, w, crop=(slice(None), slice(None))))
wrong("5.1", "weights ignored", "multiply each layer's term by its weight")(lambda a, w: dream(a, w, use_weights=False))
wrong("5.1", "mean of |act|, not squared", "square the activations")(lambda a, w: dream(a, w, power=1))
wrong("5.1", "sum instead of mean", "not their sum")(lambda a, w: dream(a, w, reduce=ops.sum))
wrong("5.1", "every activation summed, not only the weighted layers", "only the layers named in layer_weights")(
    lambda a, w: dream(a, w, names=list(a)))
wrong("5.1", "border cropped on height only", "both image axes")(
    lambda a, w: dream(a, w, crop=(slice(1, -1), slice(None))))
wrong("5.1", "layers hard-coded", "not fixed ones")(
    lambda a, w: dream(a, {"mixed4": 1.0, "mixed5": 2.5}))
accepted("5.1", "NumPy, with the crop written as [1:-1]")(
    lambda a, w: sum(v * np.mean(np.square(a[k][:, 1:-1, 1:-1, :])) for k, v in w.items()))


# =======================================================================================
# 5.2 the normalised gradient-ascent step
# =======================================================================================
def ascent(x, g, s, sign=1.0, norm=lambda g: ops.mean(ops.abs(g)), clip=True):
    y = x + sign * s * g / norm(g)
    return ops.clip(y, -1.0, 1.0) if clip else y


wrong("5.2", "gradient descent", "gradient descent")(lambda x, g, s: ascent(x, g, s, sign=-1.0))
wrong("5.2", "gradient not normalised", "normalise the gradient first")(
    lambda x, g, s: ascent(x, g, s, norm=lambda g: 1.0))
wrong("5.2", "no clip", "clip the result")(lambda x, g, s: ascent(x, g, s, clip=False))
wrong("5.2", "normalised by the standard deviation", "the standard deviation")(
    lambda x, g, s: ascent(x, g, s, norm=ops.std))
wrong("5.2", "normalised by the largest value", "the largest absolute value")(
    lambda x, g, s: ascent(x, g, s, norm=lambda g: ops.max(ops.abs(g))))
wrong("5.2", "normalised by the signed mean", "the mean (signed)")(lambda x, g, s: ascent(x, g, s, norm=ops.mean))
wrong("5.2", "step size hard-coded", "use the step_size argument")(lambda x, g, s: ascent(x, g, 0.2))
accepted("5.2", "with a small epsilon in the denominator (1e-8 changes nothing visible)")(
    lambda x, g, s: np.clip(x + s * g / (np.mean(np.abs(g)) + 1e-8), -1, 1))


# =======================================================================================
# 6.1 the Gram matrix, 6.2 the style loss, 6.3 the content loss
# =======================================================================================
def gram(f, divide="hw", layout="hwc"):
    h, w, c = f.shape
    flat = ops.reshape(f, (c, h * w)) if layout == "chw" else ops.reshape(f, (h * w, c))
    g = ops.matmul(flat, ops.transpose(flat)) if layout in ("chw", "ff^t") else ops.matmul(ops.transpose(flat), flat)
    return g / {"hw": h * w, "none": 1, "hwc": h * w * c, "c": c}[divide]


wrong("6.1", "F F^T: positions against positions", "compares positions with positions")(
    lambda f: gram(f, layout="ff^t"))
wrong("6.1", "not divided by H*W", "times too large")(lambda f: gram(f, divide="none"))
wrong("6.1", "divided by H*W*C", "not by the channels as well")(lambda f: gram(f, divide="hwc"))
wrong("6.1", "reshaped to (C, H*W) directly", "mixes up positions and channels")(lambda f: gram(f, layout="chw"))
wrong("6.1", "H*W hard-coded for the first fixture", "take H, W and C from the features' shape")(
    lambda f: gram(f, divide="none") / 20.0)
accepted("6.1", "einsum over the positions")(lambda f: np.einsum("hwi,hwj->ij", f, f) / (f.shape[0] * f.shape[1]))


def style(s, g, gram_fn=gram, denom=lambda c: 4.0 * c ** 2):
    c = s.shape[-1]
    return ops.sum(ops.square(gram_fn(g) - gram_fn(s))) / denom(c)


wrong("6.2", "features compared directly", "compared the features themselves")(
    lambda s, g: ops.sum(ops.square(g - s)) / (4.0 * s.shape[-1] ** 2))
wrong("6.2", "no normalisation", "forgot the normalisation")(lambda s, g: style(s, g, denom=lambda c: 1.0))
wrong("6.2", "divided by C^2 only", "divided by C^2 only")(lambda s, g: style(s, g, denom=lambda c: c ** 2))
wrong("6.2", "mean over the C x C entries", "divided by C^2 only")(lambda s, g: ops.mean(ops.square(gram(g) - gram(s))))
wrong("6.2", "Gram matrices not averaged over positions", "not averaged over positions")(
    lambda s, g: style(s, g, gram_fn=lambda f: gram(f, divide="none")))
wrong("6.2", "difference not squared", "expected sum((G - A)^2)")(
    lambda s, g: ops.sum(ops.abs(gram(g) - gram(s))) / (4.0 * s.shape[-1] ** 2))
accepted("6.2", "NumPy Gram matrices")(
    lambda s, g: np.sum((np.einsum("hwi,hwj->ij", g, g) - np.einsum("hwi,hwj->ij", s, s)) ** 2)
    / (s.shape[0] * s.shape[1]) ** 2 / (4.0 * s.shape[-1] ** 2))

wrong("6.3", "factor 1/2 missing", "factor 1/2")(lambda p, f: ops.sum(ops.square(f - p)))
wrong("6.3", "mean instead of sum", "you averaged")(lambda p, f: 0.5 * ops.mean(ops.square(f - p)))
wrong("6.3", "Gram matrices compared", "that is the style loss")(
    lambda p, f: 0.5 * ops.sum(ops.square(gram(f) - gram(p))))
wrong("6.3", "sign flipped", "cannot be negative")(lambda p, f: -0.5 * ops.sum(ops.square(f - p)))
wrong("6.3", "absolute differences", "expected 1/2 sum")(lambda p, f: 0.5 * ops.sum(ops.abs(f - p)))
wrong("6.3", "Keras' MeanSquaredError", "you averaged")(lambda p, f: mse(p, f))
accepted("6.3", "written with the arguments the other way round: (P - F)^2 = (F - P)^2")(
    lambda p, f: 0.5 * np.sum((p - f) ** 2))


# =======================================================================================
# 7.1 the reparameterisation trick, 7.2 the KL term
# =======================================================================================
wrong("7.1", "scaled by the variance", "the variance")(lambda m, lv, e: m + ops.exp(lv) * e)
wrong("7.1", "log_var taken for sigma", "not a standard deviation")(lambda m, lv, e: m + lv * e)
wrong("7.1", "sqrt of log_var", "square root of log_var")(lambda m, lv, e: m + ops.sqrt(ops.abs(lv)) * e)
wrong("7.1", "no noise", "noise is missing")(lambda m, lv, e: m)
wrong("7.1", "no mean", "mean is missing")(lambda m, lv, e: ops.exp(0.5 * lv) * e)
wrong("7.1", "exp(-log_var / 2)", "sign inside the exponential")(lambda m, lv, e: m + ops.exp(-0.5 * lv) * e)
wrong("7.1", "draws its own noise instead of epsilon", "draws its own noise")(
    lambda m, lv, e: m + ops.exp(0.5 * lv) * keras.random.normal(ops.shape(m)))
accepted("7.1", "sqrt(exp(log_var)), the same sigma")(lambda m, lv, e: m + ops.sqrt(ops.exp(lv)) * e)


def kl_terms(m, lv):
    return -0.5 * (1 + lv - ops.square(m) - ops.exp(lv))


wrong("7.2", "sign flipped", "sign is flipped")(lambda m, lv: -ops.mean(ops.sum(kl_terms(m, lv), axis=-1)))
wrong("7.2", "averaged over the latent dimensions", "averaged over the latent dimensions")(
    lambda m, lv: ops.mean(kl_terms(m, lv)))
wrong("7.2", "summed over the batch too", "summed over the batch too")(lambda m, lv: ops.sum(kl_terms(m, lv)))
wrong("7.2", "sum over the batch axis, mean over the latent axis", "reductions are swapped")(
    lambda m, lv: ops.sum(ops.mean(kl_terms(m, lv), axis=-1)))
wrong("7.2", "mean over everything times the batch size", "reductions are swapped")(
    lambda m, lv: ops.mean(kl_terms(m, lv)) * m.shape[0])
wrong("7.2", "factor 1/2 missing", "factor 1/2")(lambda m, lv: ops.mean(ops.sum(2 * kl_terms(m, lv), axis=-1)))
wrong("7.2", "exp(log_var / 2) for the variance", "the standard deviation")(
    lambda m, lv: ops.mean(ops.sum(-0.5 * (1 + lv - ops.square(m) - ops.exp(0.5 * lv)), axis=-1)))
wrong("7.2", "mean not squared", "expected")(
    lambda m, lv: ops.mean(ops.sum(-0.5 * (1 + lv - m - ops.exp(lv)), axis=-1)))
accepted("7.2", "mean over everything times the latent size: sum / batch, the same number")(
    lambda m, lv: ops.mean(kl_terms(m, lv)) * m.shape[1])
accepted("7.2", "sum over the latent axis first, then the batch mean, in NumPy")(
    lambda m, lv: np.mean(np.sum(-0.5 * (1 + lv - m ** 2 - np.exp(lv)), axis=1)))


# 7.3 the plain autoencoder's reconstruction loss (images in [-1, 1], decoder logits)
def ae_targets(images):
    return (ops.cast(images, "float32") + 1.0) / 2.0


def ae_bce(t, logits):
    return ops.relu(logits) - logits * t + ops.softplus(-ops.abs(logits))


def per_image(x):
    return ops.sum(ops.reshape(x, (ops.shape(x)[0], -1)), axis=1)


wrong("7.3", "sign flipped", "sign")(lambda x, l: -ops.mean(per_image(ae_bce(ae_targets(x), l))))
wrong("7.3", "images used as targets without (x + 1) / 2", "(images + 1) / 2")(
    lambda x, l: ops.mean(per_image(ae_bce(x, l))))
wrong("7.3", "averaged over the pixels", "averaged over the pixels")(lambda x, l: ops.mean(ae_bce(ae_targets(x), l)))
wrong("7.3", "summed over the batch", "summed over the batch")(lambda x, l: ops.sum(ae_bce(ae_targets(x), l)))
wrong("7.3", "squared error on the sigmoid", "squared error")(
    lambda x, l: ops.mean(per_image(ops.square(ops.sigmoid(l) - ae_targets(x)))))
wrong("7.3", "logits taken for probabilities", "logits, not probabilities")(
    lambda x, l: ops.mean(per_image(-(ae_targets(x) * ops.log(ops.clip(l, 1e-7, 1 - 1e-7))
                                       + (1 - ae_targets(x)) * ops.log(1 - ops.clip(l, 1e-7, 1 - 1e-7))))))
wrong("7.3", "half the loss", "expected")(lambda x, l: ops.mean(per_image(ae_bce(ae_targets(x), l))) / 2.0)
accepted("7.3", "softplus form of the binary cross-entropy, in NumPy")(
    lambda x, l: np.mean(np.sum((np.logaddexp(0, np.asarray(l)) - np.asarray(l) * (np.asarray(x) + 1) / 2)
                                .reshape(np.shape(x)[0], -1), axis=1)))


# =======================================================================================
# 8.1 the real-against-fake logit, 8.2 the SGAN's unsupervised loss
# =======================================================================================
wrong("8.1", "largest class logit", "largest class logit")(lambda l: ops.max(l, axis=-1))
wrong("8.1", "log of summed softmax", "always log 1")(lambda l: ops.log(ops.sum(ops.softmax(l, axis=-1), axis=-1)))
wrong("8.1", "sum of the logits", "summed or averaged the logits")(lambda l: ops.sum(l, axis=-1))
wrong("8.1", "log(Z + 1)", "log(Z + 1)")(lambda l: ops.logaddexp(ops.logsumexp(l, axis=-1), 0.0))
wrong("8.1", "naive log(sum(exp)) overflows", "overflows in float32")(lambda l: ops.log(ops.sum(ops.exp(l), axis=-1)))
wrong("8.1", "reduced over the batch axis", "Reduce over the class axis")(lambda l: ops.logsumexp(l, axis=0))
accepted("8.1", "stable logsumexp by hand")(
    lambda l: ops.max(l, axis=-1) + ops.log(ops.sum(ops.exp(l - ops.max(l, axis=-1, keepdims=True)), axis=-1)))
accepted("8.1", "keepdims=True, one logit per image as a column (accepted: shape (batch, 1))")(
    lambda l: ops.logsumexp(l, axis=-1, keepdims=True))


def lse(l):
    return ops.logsumexp(l, axis=-1)


wrong("8.2", "labels swapped", "labels are swapped")(
    lambda r, f: ops.mean(ops.softplus(lse(r))) + ops.mean(ops.softplus(-lse(f))))
wrong("8.2", "sign flipped", "sign is flipped")(
    lambda r, f: -(ops.mean(ops.softplus(-lse(r))) + ops.mean(ops.softplus(lse(f)))))
wrong("8.2", "largest class logit", "largest class logit")(
    lambda r, f: ops.mean(ops.softplus(-ops.max(r, axis=-1))) + ops.mean(ops.softplus(ops.max(f, axis=-1))))
wrong("8.2", "only the real term", "yours has one")(lambda r, f: ops.mean(ops.softplus(-lse(r))))
wrong("8.2", "double sigmoid with keras.ops.sigmoid", "sigmoid twice")(
    lambda r, f: bce(ops.ones_like(lse(r)), ops.sigmoid(lse(r))) + bce(ops.zeros_like(lse(f)), ops.sigmoid(lse(f))))
wrong("8.2", "both batches called real", "both batches are called real")(
    lambda r, f: ops.mean(ops.softplus(-lse(r))) + ops.mean(ops.softplus(-lse(f))))
wrong("8.2", "naive logsumexp overflows", "not a finite number")(
    lambda r, f: ops.mean(ops.softplus(-ops.log(ops.sum(ops.exp(r), axis=-1))))
    + ops.mean(ops.softplus(ops.log(ops.sum(ops.exp(f), axis=-1)))))
accepted("8.2", "Keras' BinaryCrossentropy(from_logits=True) on the logsumexp logits")(
    lambda r, f: bce(ops.ones_like(lse(r)), lse(r)) + bce(ops.zeros_like(lse(f)), lse(f)))


# =======================================================================================
# 9.1 the share of high-quality samples, 9.2 the number of modes covered
# =======================================================================================
def nearest_distance(samples, centers, metric="circle", first_only=False):
    diff = samples[:, None, :] - centers[None]
    if first_only:
        diff = diff[:, :1]
    d = {"circle": lambda: np.sqrt(np.sum(diff ** 2, axis=-1)), "box": lambda: np.max(np.abs(diff), axis=-1),
         "diamond": lambda: np.sum(np.abs(diff), axis=-1), "squared": lambda: np.sum(diff ** 2, axis=-1)}[metric]()
    return np.argmin(np.nan_to_num(d, nan=np.inf), axis=1), np.min(np.nan_to_num(d, nan=np.inf), axis=1)


def share(samples, centers, std, num_std=3.0, metric="circle", fixed_num_std=None, fixed_std=None,
          drop_nan=False, first_only=False):
    if drop_nan:
        samples = samples[np.all(np.isfinite(samples), axis=1)]
    _, d = nearest_distance(samples, centers, metric, first_only)
    return float(np.mean(d < (fixed_num_std or num_std) * (fixed_std or std)))


wrong("9.1", "square box instead of a circle", "square box")(
    lambda s, c, std, num_std=3.0: share(s, c, std, num_std, "box"))
wrong("9.1", "num_std ignored (3 hard-coded)", "use the num_std argument")(
    lambda s, c, std, num_std=3.0: share(s, c, std, fixed_num_std=3.0))
wrong("9.1", "std ignored (0.1 hard-coded)", "use the std argument")(
    lambda s, c, std, num_std=3.0: share(s, c, std, num_std, fixed_std=0.1))
wrong("9.1", "1 standard deviation", "within 1 standard deviation")(
    lambda s, c, std, num_std=3.0: share(s, c, std, 1.0))
wrong("9.1", "NaN sample dropped from the total", "dropped the NaN sample")(
    lambda s, c, std, num_std=3.0: share(s, c, std, num_std, drop_nan=True))
wrong("9.1", "distance to the first mode only", "one mode only")(
    lambda s, c, std, num_std=3.0: share(s, c, std, num_std, first_only=True))
wrong("9.1", "L1 distance (a diamond)", "a diamond")(
    lambda s, c, std, num_std=3.0: share(s, c, std, num_std, "diamond"))
wrong("9.1", "squared distance against the radius", "squared distance")(
    lambda s, c, std, num_std=3.0: share(s, c, std, num_std, "squared"))
wrong("9.1", "a count instead of a share", "divide the count")(
    lambda s, c, std, num_std=3.0: share(s, c, std, num_std) * len(s))
wrong("9.1", "NaN propagates (np.heaviside of a NaN distance)", "the share is NaN")(
    lambda s, c, std, num_std=3.0: float(np.mean(np.heaviside(
        num_std * std - np.min(np.linalg.norm(s[:, None] - c[None], axis=-1), axis=1), 0.0))))
accepted("9.1", "<= instead of <: no fixture lies exactly on a circle, and a boundary has no area")(
    lambda s, c, std, num_std=3.0: float(np.mean(nearest_distance(s, c)[1] <= num_std * std)))
accepted("9.1", "squared distance against the squared radius: the same test")(
    lambda s, c, std, num_std=3.0: share(s, c, std ** 2, num_std ** 2, "squared"))


def covered(samples, centers, std, min_count=20, metric="circle", fixed_std=None, as_float=False,
            strict=False, quality=True, num_std=3.0):
    nearest, d = nearest_distance(samples, centers, metric)
    good = d < num_std * (fixed_std or std) if quality else np.ones(len(d), bool)
    counts = np.bincount(nearest[good], minlength=len(centers))
    n = np.sum(counts > min_count) if strict else np.sum(counts >= min_count)
    return float(n) if as_float else int(n)


wrong("9.2", "count returned as a float", "should be an int")(
    lambda s, c, std, m=20: covered(s, c, std, m, as_float=True))
wrong("9.2", "count as share x number of modes (a float)", "should be an int")(
    lambda s, c, std, m=20: np.mean(np.bincount(nearest_distance(s, c)[0][nearest_distance(s, c)[1] < 3 * std],
                                                minlength=len(c)) >= m) * len(c))
wrong("9.2", "square box instead of a circle", "square box")(lambda s, c, std, m=20: covered(s, c, std, m, "box"))
wrong("9.2", "min_count ignored", "min_count is ignored")(lambda s, c, std, m=20: covered(s, c, std, 3))
wrong("9.2", "more than min_count (> instead of >=)", "use >=")(
    lambda s, c, std, m=20: covered(s, c, std, m, strict=True))
wrong("9.2", "every nearest mode counted, quality ignored", "Only high-quality samples")(
    lambda s, c, std, m=20: covered(s, c, std, m, quality=False))
wrong("9.2", "std ignored (0.1 hard-coded)", "use the std argument")(
    lambda s, c, std, m=20: covered(s, c, std, m, fixed_std=0.1))
wrong("9.2", "takes num_std but ignores it", "use the num_std argument")(
    lambda s, c, std, m=20, num_std=3.0: covered(s, c, std, m))
accepted("9.2", "a NumPy integer (np.int64) is an int")(lambda s, c, std, m=20: np.int64(covered(s, c, std, m)))
accepted("9.2", "takes num_std and uses it")(
    lambda s, c, std, m=20, num_std=3.0: covered(s, c, std, m, num_std=num_std))


# =======================================================================================
# 10.1 the pix2pix generator loss, 10.2 the cycle loss
# =======================================================================================
def adv(logits):
    return bce(ops.ones_like(logits), logits)


def l1(fake, target):
    return ops.mean(ops.abs(target - fake))


wrong("10.1", "only the L1 term", "only the L1 term")(lambda lg, f, t, w=100.0: w * l1(f, t))
wrong("10.1", "only the adversarial term", "only the adversarial term")(lambda lg, f, t, w=100.0: adv(lg))
wrong("10.1", "L1 not weighted", "not weighted")(lambda lg, f, t, w=100.0: adv(lg) + l1(f, t))
wrong("10.1", "L2 instead of L1", "squared (L2)")(lambda lg, f, t, w=100.0: adv(lg) + w * ops.mean(ops.square(t - f)))
wrong("10.1", "adversarial label 0", "label 0")(lambda lg, f, t, w=100.0: bce(ops.zeros_like(lg), lg) + w * l1(f, t))
wrong("10.1", "summed over the patches", "summed over the patches")(
    lambda lg, f, t, w=100.0: ops.sum(ops.softplus(-lg)) + w * l1(f, t))
wrong("10.1", "weight hard-coded to 100", "use the l1_weight argument")(
    lambda lg, f, t, w=100.0: adv(lg) + 100.0 * l1(f, t))
wrong("10.1", "double sigmoid with keras.ops.sigmoid", "sigmoid twice")(
    lambda lg, f, t, w=100.0: bce(ops.ones_like(lg), ops.sigmoid(lg)) + w * l1(f, t))
wrong("10.1", "patch logits taken for probabilities", "as probabilities")(
    lambda lg, f, t, w=100.0: bce_probs(ops.ones_like(lg), lg) + w * l1(f, t))
accepted("10.1", "softplus(-logits) and NumPy's mean |t - f|")(
    lambda lg, f, t, w=100.0: ops.mean(ops.softplus(-lg)) + w * np.mean(np.abs(np.asarray(t) - np.asarray(f))))


def cycle(a, b, g_ab, g_ba, dist=lambda x, y: ops.mean(ops.abs(x - y)), which="both", order="right", combine="add"):
    rec_a = g_ba(g_ab(a)) if order == "right" else g_ab(g_ba(a))
    rec_b = g_ab(g_ba(b)) if order == "right" else g_ba(g_ab(b))
    if which == "translation":
        return dist(a, g_ab(a)) + dist(b, g_ba(b))
    terms = [dist(a, rec_a)] + ([dist(b, rec_b)] if which == "both" else [])
    total = terms[0] + terms[1] if len(terms) == 2 else terms[0]
    return total / 2 if combine == "average" else total


wrong("10.2", "one round trip only", "only one round trip")(lambda a, b, gab, gba: cycle(a, b, gab, gba, which="a"))
wrong("10.2", "image compared with its translation", "compared each image with its translation")(
    lambda a, b, gab, gba: cycle(a, b, gab, gba, which="translation"))
wrong("10.2", "generators in the wrong order", "wrong order")(
    lambda a, b, gab, gba: cycle(a, b, gab, gba, order="wrong"))
wrong("10.2", "squared distance", "squared distance")(
    lambda a, b, gab, gba: cycle(a, b, gab, gba, dist=lambda x, y: ops.mean(ops.square(x - y))))
wrong("10.2", "the two round trips averaged", "averaged the two round trips")(
    lambda a, b, gab, gba: cycle(a, b, gab, gba, combine="average"))
wrong("10.2", "summed over the pixels", "summed over the pixels")(
    lambda a, b, gab, gba: cycle(a, b, gab, gba, dist=lambda x, y: ops.sum(ops.abs(x - y))))
wrong("10.2", "a round trip compared with the other domain", "the loss must be 0")(
    lambda a, b, gab, gba: ops.mean(ops.abs(b - gba(gab(a)))) + ops.mean(ops.abs(a - gab(gba(b)))))
accepted("10.2", "one mean over both round trips' errors: the same number when both batches have the same shape")(
    lambda a, b, gab, gba: 2 * ops.mean(ops.concatenate([ops.abs(a - gba(gab(a))), ops.abs(b - gab(gba(b)))])))


# =======================================================================================
# The tests
# =======================================================================================
def _run(exercise_id, fn):
    return checks.REGISTRY[exercise_id].check(fn, quiet=True)


@pytest.mark.parametrize("exercise_id, label, fn, message", WRONG,
                         ids=[f"{e}-{label}" for e, label, _, _ in WRONG])
def test_check_rejects_wrong_answer_with_its_message(exercise_id, label, fn, message):
    with pytest.raises(ExerciseError) as caught:
        _run(exercise_id, fn)
    assert message in str(caught.value), f"{label}: {caught.value}"


@pytest.mark.parametrize("exercise_id, label, fn", ACCEPTED,
                         ids=[f"{e}-{label[:40]}" for e, label, _ in ACCEPTED])
def test_check_accepts_right_answer(exercise_id, label, fn):
    assert _run(exercise_id, fn) is True, label


@pytest.mark.parametrize("exercise_id", sorted(checks.REGISTRY))
def test_check_accepts_its_reference(exercise_id):
    assert _run(exercise_id, checks.reference_of(checks.REGISTRY[exercise_id].check)) is True


def test_every_check_has_at_least_four_wrong_answers():
    counts = {ex_id: sum(1 for e, *_ in WRONG if e == ex_id) for ex_id in checks.REGISTRY}
    few = {ex_id: n for ex_id, n in counts.items() if n < 4}
    assert not few, f"checks with fewer than 4 wrong answers in the gallery: {few}"
    assert len(WRONG) >= 4 * len(checks.REGISTRY)


def test_course_readme_lists_what_each_check_recognises():
    """course/README.md's last section has one row per check naming every wrong answer of its gallery."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "course" / "README.md").read_text(encoding="utf-8")
    assert "## What each check recognises" in text
    section = text.split("## What each check recognises", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.replace("\\|", "\0").strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in checks.REGISTRY:
            rows[cells[0]] = cells[2].replace("\0", "|")
    missing = sorted(set(checks.REGISTRY) - set(rows))
    assert not missing, f"no row in course/README.md for {missing}"
    for exercise_id, label, _, _ in WRONG:
        assert label in rows[exercise_id], f"{exercise_id}: {label!r} is not listed in course/README.md"


def readme_table() -> str:
    """Return the section of course/README.md made from this gallery (``python tests/test_check_gallery.py``)."""
    def key(exercise_id):
        return tuple(int(p) for p in exercise_id.split("."))

    def esc(text):
        return text.replace("|", "\\|")

    lines = ["## What each check recognises", "",
             "Every exercise check runs your function on small fixed inputs whose axes all differ in length",
             "(batch, latent, channels, height, width), with every argument varied, and recognises the",
             "typical mistakes below, each with its own teaching message. Each entry is a wrong answer in",
             "the gallery `tests/test_check_gallery.py`, which shows the check rejecting it with that",
             "message. Everywhere, only the untouched stub (its own body raising `NotImplementedError`) is",
             "\"not attempted\"; any other exception, including a `NotImplementedError` raised by something",
             "your code calls, is reported as an error with its message.", "",
             "| Check | Exercise | Wrong answers it rejects | Accepted on purpose |",
             "|---|---|---|---|"]
    for exercise_id in sorted(checks.REGISTRY, key=key):
        rejected = "; ".join(esc(label) for e, label, _, _ in WRONG if e == exercise_id)
        right = "; ".join(esc(label) for e, label, _ in ACCEPTED if e == exercise_id)
        lines.append(f"| {exercise_id} | {checks.REGISTRY[exercise_id].title} | {rejected} | {right} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
