"""An exponential moving average of the generator's weights: the generator to sample from.

A GAN's generator never settles: each update answers the discriminator of the moment, so
its weights circle around a good solution instead of stopping at it, and two epochs apart
it draws visibly different digits. The average of its recent weights lies near the centre
of that circle. It is never trained itself; after every generator update

    average <- decay * average + (1 - decay) * weights

(Yazici et al., 2019; the "EMA generator" of ProGAN, StyleGAN and BigGAN). With
``decay=0.995`` the average spans about the last 200 updates. Early in training a short
average is better (the first weights are noise), so the decay used at update ``n`` is
``min(decay, (1 + n) / (10 + n))``, as ``tf.train.ExponentialMovingAverage`` does.

Batch-norm statistics are not trained by gradients, and the trained generator's moving
means and variances belong to its own weights, not to the average: before the average
draws samples it gets statistics of its own, from one pass over a large batch of noise
(:func:`recompute_statistics`). Written with ``keras.ops`` only. A trainer holds all of
this as one object, :class:`AveragedGenerator`. Introduced in ``notebooks/03_dcgan.ipynb``.
"""

from __future__ import annotations

import keras
from keras import ops

from gan_keras import engine, validate


def check_decay(decay) -> float | None:
    """Return ``decay`` as a float in ``[0, 1)``, or ``None`` (no average); clear errors otherwise."""
    if decay is None:
        return None
    decay = validate.number(decay, "ema")
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"ema must be a decay in [0, 1) (e.g. 0.995), got {decay:g}")
    return decay


def average_copy(model: keras.Model, name: str | None = None) -> keras.Model:
    """Return a new model of the same architecture holding a copy of ``model``'s weights."""
    copy = keras.models.clone_model(model)
    copy.name = name or f"{model.name}_ema"
    copy.set_weights(model.get_weights())
    return copy


def effective_decay(decay: float, updates):
    """Return ``min(decay, (1 + n) / (10 + n))`` for ``n`` updates done (a tensor or a number)."""
    n = ops.cast(updates, "float32")
    return ops.minimum(ops.convert_to_tensor(decay, "float32"), (1.0 + n) / (10.0 + n))


def update_average(average: keras.Model, model: keras.Model, decay):
    """Move ``average``'s weights towards ``model``'s: ``a <- decay * a + (1 - decay) * w``.

    Trainable weights are averaged; the others (batch-norm moving statistics) are copied.
    ``decay`` may be a tensor (see :func:`effective_decay`).
    """
    decay = ops.cast(decay, "float32")
    for avg, var in zip(average.weights, model.weights):
        value = ops.cast(var, avg.dtype)
        if var.trainable:
            d = ops.cast(decay, avg.dtype)
            avg.assign(d * avg + (1.0 - d) * value)
        else:
            avg.assign(value)


def recompute_statistics(model: keras.Model, inputs) -> int:
    """Give ``model``'s batch-norm layers the statistics of ``inputs``; return how many layers.

    The averaged weights are not the weights the moving statistics were collected for, so
    before sampling the average gets its own: one forward pass in training mode over
    ``inputs`` (a large batch of noise) with momentum 0, which sets every moving mean and
    variance to that batch's. The weights do not change.
    """
    from keras import layers

    norms = [layer for layer in engine.all_layers(model) if isinstance(layer, layers.BatchNormalization)]
    if not norms:
        return 0
    momenta = [layer.momentum for layer in norms]
    try:
        for layer in norms:
            layer.momentum = 0.0
        model(inputs, training=True)
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
    return len(norms)


class AveragedGenerator(keras.layers.Layer):
    """The averaged generator a trainer holds: the copy, its decay, its update count, its statistics.

    ``decay`` as checked by :func:`check_decay`; ``statistics_inputs()`` returns the fixed
    generator inputs its batch-norm statistics are computed from. A layer, so that the
    trainer holding it tracks its variables (the copy's weights and ``updates``, the
    count of updates the warm-up reads) and checkpoints save and restore them.
    """

    def __init__(self, generator: keras.Model, decay: float, statistics_inputs, **kwargs):
        super().__init__(name=kwargs.pop("name", "averaged_generator"), **kwargs)
        self.decay = decay
        self.statistics_inputs = statistics_inputs
        # Same architecture, never trained, moved after each generator step
        self.model = average_copy(generator)
        self.updates = self.add_weight(shape=(), dtype=engine.counter_dtype(), initializer="zeros", trainable=False,
                                       name="ema_updates", aggregation="only_first_replica")
        self._statistics_at = None
        self.built = True

    def update(self, generator: keras.Model) -> None:
        """Move the average towards ``generator`` (after its update), with the warm-up's decay."""
        update_average(self.model, generator, effective_decay(self.decay, self.updates))
        self.updates.assign(self.updates + 1)

    def sampled(self) -> keras.Model:
        """Return the average, its batch-norm statistics recomputed for its weights if it moved since the last time."""
        updates = int(ops.convert_to_numpy(self.updates))
        if self._statistics_at != updates:
            recompute_statistics(self.model, self.statistics_inputs())
            self._statistics_at = updates
        return self.model
