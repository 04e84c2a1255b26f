"""Batches for ``fit``: one pass over the images an epoch, shuffled by a seed, on every backend.

:func:`make_dataset` serves ``tf.data`` on TensorFlow (cache, shuffle, batch, prefetch) and an
:class:`ArrayBatches` (a ``keras.utils.PyDataset`` with a seeded NumPy order per epoch) on JAX and
PyTorch. Both stay: ``benchmarks/RESULTS_data_pipeline.md`` measured the PyDataset up to about
10% slower than ``tf.data`` on TensorFlow's small MLP step (no loss on the DCGAN step).
``ArrayBatches.stream(k)`` serves from epoch ``k`` on, so a resumed run sees the batches of an
uninterrupted one.
"""

from __future__ import annotations

import numpy as np

from gan_keras import engine, validate
from gan_keras.data import check_labels


def make_dataset(
    images,
    labels=None,
    batch_size: int = 64,
    shuffle: bool = True,
    seed: int = 0,
    drop_remainder: bool = True,
):
    """Serve images (and labels) in batches: ``images``, or ``(images, labels)`` with labels.

    On TensorFlow a ``tf.data`` pipeline: cache, shuffle, batch, prefetch. On JAX and
    PyTorch an :class:`ArrayBatches` (a ``keras.utils.PyDataset``, no TensorFlow): the same
    batches from a seeded NumPy shuffle, drawn anew each epoch.
    """
    validate.positive_int(batch_size, "batch_size")
    images = np.asarray(images, dtype=np.float32)
    if len(images) == 0:
        raise ValueError("cannot make a dataset from zero images")
    if drop_remainder and len(images) < batch_size:
        raise ValueError(
            f"batch_size {batch_size} is larger than the {len(images)} images: "
            "lower --batch-size or use more data"
        )
    if labels is not None:
        labels = check_labels(labels)
        if len(labels) != len(images):
            raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    tf_data = engine.tf_data()  # the tf.data module on TensorFlow, else None
    if tf_data is None:
        columns = (images,) if labels is None else (images, labels.astype(np.int32))
        return _array_batches_class()(columns, batch_size, shuffle=shuffle, seed=seed,
                                      drop_remainder=drop_remainder)
    if labels is not None:
        ds = tf_data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    else:
        ds = tf_data.Dataset.from_tensor_slices(images)
    ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf_data.AUTOTUNE)


class EpochCounting:
    """Epoch bookkeeping of a seeded dataset: ``epoch`` moves on only after a whole epoch was served.

    A ``keras.utils.PyDataset`` mixin: ``__getitem__`` adds one to ``_served``. Keras also calls
    ``on_epoch_end`` after peeking at one batch (to build the model), which must not change the order.
    """

    epoch = 0
    _served = 0

    def on_epoch_begin(self):
        self._served = 0

    def on_epoch_end(self):
        if self._served >= len(self):
            self.epoch += 1
        self._served = 0


class _ArrayBatchesLogic(EpochCounting):
    """Batches of in-memory arrays for ``fit`` on JAX and PyTorch: a ``keras.utils.PyDataset``.

    (``data.ArrayBatches`` is this class with the ``PyDataset`` base, made on first use so
    that importing ``gan_keras.data`` does not import Keras.)
    ``columns`` are arrays of the same length (or, with ``independent=True``, of any
    lengths: each is shuffled on its own and the dataset is as long as the shortest).
    Batch ``i`` is ``columns[0][order[i * batch_size:...]]`` (one array alone) or the tuple
    of every column's slice. The order of epoch ``e`` is a NumPy permutation seeded by
    ``(seed, column, e)``: the same seed gives the same batches on every run, each epoch
    sees another order, and :meth:`stream` serves epoch ``e`` identically after a resume.
    Like a seeded ``tf.data`` shuffle, the dataset remembers its epoch: a second ``fit`` on
    the same object (or a second ``for`` loop over it) continues with the next orders.
    """

    def __init__(self, columns, batch_size: int, shuffle: bool = True, seed: int | None = 0,
                 drop_remainder: bool = True, independent: bool = False):
        super().__init__()  # keras.utils.PyDataset: one worker, no processes (the arrays are in memory)
        self.batch_size = validate.positive_int(batch_size, "batch_size")
        if not isinstance(columns, (tuple, list)) or not columns:
            raise TypeError(f"columns must be a non-empty tuple of arrays, got {type(columns).__name__}")
        self.columns = tuple(np.asarray(c) for c in columns)
        lengths = [len(c) for c in self.columns]
        if not independent and len(set(lengths)) > 1:
            raise ValueError(f"the columns must have one length each, got {lengths}")
        self.num_samples = min(lengths)
        if self.num_samples == 0:
            raise ValueError("cannot make a dataset from zero samples")
        self.shuffle = bool(shuffle)
        self.drop_remainder = bool(drop_remainder)
        self.independent = bool(independent)
        if drop_remainder and self.num_samples < self.batch_size:
            raise ValueError(f"batch_size {batch_size} is larger than the {self.num_samples} samples")
        if seed is None:  # like tf.data's shuffle without a seed: another order each run
            seed = int(np.random.SeedSequence().entropy % (2 ** 31))
        self.seed = validate.non_negative_int(seed, "seed")
        self.epoch = 0  # the epoch whose order __getitem__ serves
        self._served = 0
        self._orders = (None, None)

    # -- the batches -------------------------------------------------------------------
    def __len__(self) -> int:
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + (1 if rest and not self.drop_remainder else 0)

    def order(self, epoch: int) -> tuple:
        """Return the sample indices of each column in epoch ``epoch`` (a tuple, one per column)."""
        if self._orders[0] == epoch:
            return self._orders[1]
        orders = []
        for c, column in enumerate(self.columns):
            if not self.shuffle:
                orders.append(np.arange(self.num_samples))
            elif self.independent or c == 0:
                rng = np.random.default_rng([self.seed, c if self.independent else 0, int(epoch)])
                orders.append(rng.permutation(len(column))[:self.num_samples])
            else:
                orders.append(orders[0])
        self._orders = (epoch, tuple(orders))
        return self._orders[1]

    def batch(self, epoch: int, index: int):
        """Return batch ``index`` of epoch ``epoch``: an array, or a tuple of one per column."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of a dataset of {len(self)} batches")
        start = index * self.batch_size
        parts = tuple(column[order[start:start + self.batch_size]]
                      for column, order in zip(self.columns, self.order(epoch)))
        return parts[0] if len(parts) == 1 else parts

    def __getitem__(self, index):
        self._served += 1
        return self.batch(self.epoch, index)

    def __iter__(self):
        # Iterated by hand (a loop of one's own), each pass is the next epoch, as with tf.data
        epoch, self.epoch = self.epoch, self.epoch + 1
        for index in range(len(self)):
            yield self.batch(epoch, index)


    def stream(self, initial_epoch: int = 0):
        """Return the epochs from ``initial_epoch`` on as one endless ``PyDataset`` (for ``steps_per_epoch``).

        Its batch ``i`` is batch ``i % len(self)`` of epoch ``initial_epoch + i // len(self)``,
        so a run resumed at epoch ``k`` sees the batches the uninterrupted run saw.
        """
        return _epoch_stream_class()(self, validate.non_negative_int(initial_epoch, "initial_epoch"))

    @property
    def element_shapes(self) -> tuple:
        """The shape of one sample of each column (without the batch axis)."""
        return tuple(tuple(c.shape[1:]) for c in self.columns)

    def __repr__(self):
        shapes = ", ".join(f"{c.dtype}{tuple(c.shape[1:])}" for c in self.columns)
        return (f"<ArrayBatches of {self.num_samples} samples ({shapes}), batch_size {self.batch_size}, "
                f"{len(self)} batches, shuffle={self.shuffle}, seed={self.seed}>")


class _EpochStreamLogic:
    """The epochs of an :class:`ArrayBatches` one after another, without end (``num_batches`` None)."""

    def __init__(self, batches, initial_epoch: int = 0):
        super().__init__()
        self.batches = batches
        self.initial_epoch = initial_epoch

    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        epoch, i = divmod(int(index), len(self.batches))
        return self.batches.batch(self.initial_epoch + epoch, i)


_CLASSES = {}


def _with_py_dataset(name: str, logic: type) -> type:
    if name not in _CLASSES:
        import keras

        cls = type(name, (logic, keras.utils.PyDataset), {"__module__": __name__, "__doc__": logic.__doc__})
        _CLASSES[name] = cls
    return _CLASSES[name]


def _array_batches_class() -> type:
    return _with_py_dataset("ArrayBatches", _ArrayBatchesLogic)


def _epoch_stream_class() -> type:
    return _with_py_dataset("EpochStream", _EpochStreamLogic)


def __getattr__(name):
    # ArrayBatches subclasses keras.utils.PyDataset: made on first use, so that importing
    # gan_keras.data does not import Keras (and with it TensorFlow).
    if name == "ArrayBatches":
        return _array_batches_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

