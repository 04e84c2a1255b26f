"""Exercise checks of chapter 04 (conditional GAN): conditioning the generator and the discriminator."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, close, exercise, explain, to_numpy

# Batch 5, latent 3, images 4 x 6 with 2 channels: every axis has its own length.
Z = np.random.default_rng(4).standard_normal((5, 3)).astype("float32")
LABELS = np.array([0, 3, 9, 3, 1], dtype=np.int32)
IMAGES = np.random.default_rng(5).uniform(-1, 1, (5, 4, 6, 2)).astype("float32")
# A second call with another number of classes: num_classes is an argument, not a constant.
OTHER_CLASSES = 12
OTHER_LABELS = np.array([11, 0, 7, 5, 11], dtype=np.int32)


@exercise("4.1", "the generator's conditioned input", reference="gan_keras.conditional:concat_label")
def check_concat_label(fn):
    """Check ``fn(z, labels, num_classes)`` returns ``z`` followed by the one-hot labels."""
    n, d = Z.shape
    got = to_numpy(call(fn, Z.copy(), LABELS.copy(), 10), "the conditioned input")
    one_hot = np.eye(10)[LABELS]
    expected = np.concatenate([Z, one_hot], axis=1)
    explain(got.ndim == 2 and got.shape[0] == n,
            f"expected one row per example, shape ({n}, {d + 10}), got {got.shape}.")
    if got.shape == (n, d + 1):
        explain(False, "you appended the label as one number: a class index is not a quantity "
                       "(digit 9 is not 'more' than digit 3). Append its one-hot vector instead.")
    if got.shape == (n, 10 + d) and close(got, np.concatenate([one_hot, Z], axis=1)):
        explain(False, "the one-hot vector comes first: put z first and the label after it, "
                       "[z, one_hot(labels)], as the package's generator does.")
    explain(got.shape == expected.shape, f"expected shape ({n}, {d + 10}) = (batch, latent_dim + num_classes), "
                                         f"got {got.shape}. Did you use num_classes for the one-hot size?")
    explain(close(got[:, :d], Z), "the first latent_dim columns should be z itself, unchanged.")
    explain(close(got, expected), "the last num_classes columns should be one-hot: a 1 at the label's "
                                  "index, 0 elsewhere (keras.ops.one_hot(labels, num_classes)).")
    other = to_numpy(call(fn, Z.copy(), OTHER_LABELS.copy(), OTHER_CLASSES), "the conditioned input")
    explain(close(other, np.concatenate([Z, np.eye(OTHER_CLASSES)[OTHER_LABELS]], axis=1)),
            f"with num_classes={OTHER_CLASSES} expected shape ({n}, {d + OTHER_CLASSES}) with a "
            f"{OTHER_CLASSES}-long one-hot vector, got {other.shape}: use the num_classes argument "
            "rather than a fixed 10.")


@exercise("4.2", "the conditional discriminator's input", reference="gan_keras.conditional:stack_label_maps")
def check_stack_label_maps(fn):
    """Check ``fn(images, labels, num_classes)`` appends one constant map per class to the channels."""
    got = to_numpy(call(fn, IMAGES.copy(), LABELS.copy(), 10), "the discriminator's input")
    n, h, w, c = IMAGES.shape
    explain(got.ndim == 4, f"expected images with extra channels, shape ({n}, {h}, {w}, {c + 10}), got {got.shape}.")
    if got.shape == (n, h, w, 10):
        explain(False, "the image is missing: keep its channels and append the label maps after them.")
    explain(got.shape == (n, h, w, c + 10), f"expected shape ({n}, {h}, {w}, {c + 10}): the image's {c} "
                                            f"channels plus one map per class, got {got.shape}. "
                                            "Concatenate on the channel axis (the last one).")
    if close(got[..., 10:], IMAGES):
        explain(False, "the label maps come first: keep the image's channels first, then append the maps "
                       "(image first, then the label maps).")
    explain(close(got[..., :c], IMAGES), "the first channels should be the image itself, unchanged "
                                         "(image first, then the label maps).")
    maps = got[..., c:]
    explain(close(maps.min(axis=(1, 2)), maps.max(axis=(1, 2))),
            "each label map should be constant over the image: the same value at every pixel "
            "(broadcast the one-hot vector over height and width).")
    explain(close(maps[:, 0, 0, :], np.eye(10)[LABELS]),
            "map k should be 1 for images of class k and 0 otherwise (one-hot over the channels).")
    other = to_numpy(call(fn, IMAGES.copy(), OTHER_LABELS.copy(), OTHER_CLASSES), "the discriminator's input")
    expected = np.concatenate([IMAGES, np.broadcast_to(np.eye(OTHER_CLASSES)[OTHER_LABELS][:, None, None, :],
                                                       (n, h, w, OTHER_CLASSES))], axis=-1)
    explain(close(other, expected),
            f"with num_classes={OTHER_CLASSES} expected shape ({n}, {h}, {w}, {c + OTHER_CLASSES}), got "
            f"{other.shape}: use the num_classes argument rather than a fixed 10.")
