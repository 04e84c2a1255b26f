"""A small digit classifier that the package trains once and caches: the judge of generated digits.

Its softmax says which digit a generated image shows (the conditional GAN's label accuracy,
the classifier score) and its penultimate layer is the feature space of the Frechet and
kernel distances (the MNIST counterpart of Inception features).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import layers

from gan_keras import config, io, validate
from gan_keras import data as gk_data

FEATURE_LAYER = "features"
VERSION = 1  # bump when the architecture or training changes, to invalidate caches


def build_classifier(image_shape=(28, 28, 1), num_classes: int = 10, name: str = "digit_classifier"):
    """Build the CNN: two strided convolutions, a 128-unit feature layer, class logits."""
    images = keras.Input(shape=image_shape, name="image")
    # 28x28x1 -> 14x14x32
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(images)
    # 14x14x32 -> 7x7x64
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    features = layers.Dense(128, activation="relu", name=FEATURE_LAYER)(x)
    logits = layers.Dense(num_classes, name="logits")(features)
    return keras.Model(images, logits, name=name)


def _augment(images: np.ndarray, rng: np.random.Generator, copies: int) -> np.ndarray:
    """Shift images by up to 2 pixels (cheap augmentation for the small digits set)."""
    out = [images]
    for _ in range(copies):
        dx, dy = rng.integers(-2, 3, size=2)
        shifted = np.roll(np.roll(images, dx, axis=1), dy, axis=2)
        out.append(shifted)
    return np.concatenate(out)


@dataclass
class DigitClassifier:
    """A trained classifier with its held-out accuracy and a feature extractor."""

    model: keras.Model
    test_accuracy: float
    data_name: str

    def __post_init__(self):
        self._features = keras.Model(self.model.inputs, self.model.get_layer(FEATURE_LAYER).output)

    def _check(self, images) -> np.ndarray:
        return validate.images(images, "images", expected_shape=self.model.input_shape[1:])

    def logits(self, images, batch_size: int = 512) -> np.ndarray:
        return self.model.predict(self._check(images), batch_size=batch_size, verbose=0)

    def predict_proba(self, images, batch_size: int = 512) -> np.ndarray:
        """Return class probabilities, shape ``(N, num_classes)``."""
        logits = self.logits(images, batch_size)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, images, batch_size: int = 512) -> np.ndarray:
        """Return the predicted class of each image."""
        return np.argmax(self.logits(images, batch_size), axis=1)

    def features(self, images, batch_size: int = 512) -> np.ndarray:
        """Return the 128-d penultimate-layer features, shape ``(N, 128)``."""
        return self._features.predict(self._check(images), batch_size=batch_size, verbose=0)

    def accuracy(self, images, labels) -> float:
        """Return the share of images classified as their label."""
        labels = np.asarray(labels)
        if len(labels) != len(images):
            raise ValueError(f"got {len(images)} images but {len(labels)} labels")
        return float(np.mean(self.predict(images) == labels))


def _cache_path(data_name: str) -> Path:
    budget = "fast" if config.fast_mode() else "full"
    key = hashlib.sha1(f"{data_name}-{budget}-v{VERSION}".encode()).hexdigest()[:10]
    return config.cache_dir() / f"classifier-{data_name}-{budget}-{key}.keras"


def train_classifier(data_name: str = "mnist", epochs: int | None = None, seed: int = 0,
                     verbose: int = 0) -> DigitClassifier:
    """Train the classifier on a dataset's training split; report held-out accuracy."""
    train = gk_data.load_images(data_name)
    test = gk_data.load_images(data_name, split="test")
    if train.labels is None:
        raise ValueError(f"dataset {data_name!r} has no labels to train a classifier on")
    if epochs is None:
        epochs = config.fast_or_full(3, 8) if len(train) > 10000 else config.fast_or_full(8, 30)
    keras.utils.set_random_seed(seed)
    images, labels = train.images, train.labels
    if len(images) < 10000:  # the digits stand-in: 1437 images, so add shifted copies
        rng = np.random.default_rng(seed)
        images = _augment(images, rng, copies=4)
        labels = np.tile(labels, 5)
    model = build_classifier(train.image_shape, train.num_classes)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(images, labels, batch_size=128, epochs=epochs, verbose=verbose, shuffle=True)
    _, acc = model.evaluate(test.images, test.labels, verbose=0)
    return DigitClassifier(model, float(acc), train.name)


def get_classifier(data_name: str = "mnist", retrain: bool = False, verbose: int = 0) -> DigitClassifier:
    """Return the cached classifier for a dataset, training and caching it the first time.

    Offline, ``"mnist"`` resolves to the digits stand-in, and so does its classifier.
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    resolved = gk_data.load_images(data_name, limit=1).name
    path = _cache_path(resolved)
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists() and not retrain:
        model = keras.models.load_model(path, safe_mode=True)
        return DigitClassifier(model, float(json.loads(meta.read_text())["test_accuracy"]), resolved)
    clf = train_classifier(resolved, verbose=verbose)
    io.save_model(clf.model, path)
    io.write_json(meta, {"test_accuracy": clf.test_accuracy, "data": resolved})
    return clf
