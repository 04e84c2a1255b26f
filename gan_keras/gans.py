"""The GAN trainer and the helpers every trainer shares (kept for old imports).

The GAN lives in :mod:`gan_keras.trainers.gan` (a game is its losses) and the helpers for
replicas, precision, optimizers and saved state in :mod:`gan_keras.engine`; this module
re-exports both under the names the chapters and earlier code use
(``from gan_keras.gans import GAN``).
"""

from gan_keras.engine import (  # noqa: F401
    PRECISIONS, check_training_data, compile_one_player, compile_players, loss_scaled, make_optimizer,
    num_replicas, optimizers_of, precision_name, precision_policy, prepare_loss, replica_index, replica_latent,
    replica_random, scale_for_replicas, split_batch, state_variables, two_optimizers, uses_float16,
)
from gan_keras.engine.trainer import (  # noqa: F401
    Trainer, check_model, model_input_shape, model_output_shape,
)
from gan_keras.trainers.gan import GAN, d_step_minibatches  # noqa: F401

# A trainer used to adopt the shared helpers by inheriting this mixin; it is the base class now.
TrainerMixin = Trainer


def apply_loss_gradients(tape, scaled_loss, optimizer, variables):
    """Differentiate ``scaled_loss`` (from :func:`prepare_loss`) recorded on a ``tf.GradientTape`` and update
    ``variables`` (TensorFlow only; trainers use :func:`gan_keras.engine.minimize`, which runs on every backend)."""
    grads = tape.gradient(scaled_loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return grads
