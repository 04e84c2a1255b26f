"""Exercise checks of chapter 04 (conditional GAN): conditioning the generator and the discriminator."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, close, exercise, explain, to_numpy

Z = np.random.default_rng(4).standard_normal((5, 3)).astype("float32")
LABELS = np.array([0, 3, 9, 3, 1], dtype=np.int32)
IMAGES = np.random.default_rng(5).uniform(-1, 1, (5, 4, 6, 1)).astype("float32")


@exercise("4.1", "the generator's conditioned input", reference="gan_keras.cgan:concat_label")
def check_concat_label(fn):
    """Check ``fn(z, labels, num_classes)`` returns ``z`` followed by the one-hot labels."""
    got = to_numpy(call(fn, Z, LABELS, 10), "the conditioned input")
    one_hot = np.eye(10)[LABELS]
    expected = np.concatenate([Z, one_hot], axis=1)
    explain(got.ndim == 2 and got.shape[0] == len(Z),
            f"expected one row per example, shape (5, 13), got {got.shape}.")
    if got.shape == (5, 4):
        explain(False, "you appended the label as one number: a class index is not a quantity "
                       "(digit 9 is not 'more' than digit 3). Append its one-hot vector instead.")
    if got.shape == (5, 10 + 3) and close(got, np.concatenate([one_hot, Z], axis=1)):
        explain(False, "the one-hot vector comes first: put z first and the label after it, "
                       "[z, one_hot(labels)], as the package's generator does.")
    explain(got.shape == expected.shape, f"expected shape (5, 13) = (batch, latent_dim + num_classes), "
                                         f"got {got.shape}. Did you use num_classes for the one-hot size?")
    explain(close(got[:, :3], Z), "the first latent_dim columns should be z itself, unchanged.")
    explain(close(got, expected), "the last num_classes columns should be one-hot: a 1 at the label's "
                                  "index, 0 elsewhere (keras.ops.one_hot(labels, num_classes)).")


@exercise("4.2", "the conditional discriminator's input", reference="gan_keras.cgan:stack_label_maps")
def check_stack_label_maps(fn):
    """Check ``fn(images, labels, num_classes)`` appends one constant map per class to the channels."""
    got = to_numpy(call(fn, IMAGES, LABELS, 10), "the discriminator's input")
    n, h, w, c = IMAGES.shape
    explain(got.ndim == 4, f"expected images with extra channels, shape (5, 4, 6, 11), got {got.shape}.")
    if got.shape == (n, h, w, 10):
        explain(False, "the image is missing: keep its channels and append the label maps after them.")
    explain(got.shape == (n, h, w, c + 10), f"expected shape (5, 4, 6, 11): the image's 1 channel plus "
                                            f"one map per class, got {got.shape}.")
    explain(close(got[..., :c], IMAGES), "the first channels should be the image itself, unchanged "
                                         "(image first, then the label maps).")
    maps = got[..., c:]
    explain(close(maps.min(axis=(1, 2)), maps.max(axis=(1, 2))),
            "each label map should be constant over the image: the same value at every pixel "
            "(broadcast the one-hot vector over height and width).")
    explain(close(maps[:, 0, 0, :], np.eye(10)[LABELS]),
            "map k should be 1 for images of class k and 0 otherwise (one-hot over the channels).")
