"""Exercise checks: ``check_<name>(fn)`` runs your function on fixed inputs against the reference.

In a notebook: write the stub, then ``checks.check_discriminator_loss(discriminator_loss)``.
Correct -> a tick; a mistake (or a crash) -> ``AssertionError`` with a teaching message; the
untouched stub (its own body raises ``NotImplementedError``) -> "not attempted", and the
chapter goes on. A check prints that one line and returns None (``quiet=True``: it prints
nothing and returns True or False). Under pytest, see ``README.md`` ("Checking your exercises").
The registry of exercises lives in ``gan_keras.exercises``; ``REGISTRY`` here is the same dict.
"""

from gan_keras.checks._core import REGISTRY, ExerciseError, reference_of, require
from gan_keras.checks.ch01 import (
    check_discriminator_backward,
    check_js_divergence,
    check_optimal_discriminator,
)
from gan_keras.checks.ch02 import (
    check_discriminator_loss,
    check_generator_loss,
    check_least_squares_discriminator_loss,
    check_value_function,
)
from gan_keras.checks.ch03 import check_discriminator_block, check_generator_block
from gan_keras.checks.ch04 import check_concat_label, check_stack_label_maps
from gan_keras.checks.ch05 import check_dream_loss, check_gradient_ascent_update
from gan_keras.checks.ch06 import check_content_loss, check_gram_matrix, check_style_loss
from gan_keras.checks.ch07 import check_autoencoder_loss, check_kl_loss, check_reparameterize
from gan_keras.checks.ch08 import check_real_fake_logit, check_unsupervised_loss
from gan_keras.checks.ch09 import check_high_quality_share, check_modes_covered
from gan_keras.checks.ch10 import check_cycle_loss, check_pix2pix_generator_loss
from gan_keras.checks.notebooks import load_exercises, require_exercise

__all__ = [
    "REGISTRY",
    "ExerciseError",
    "load_exercises",
    "require_exercise",
    "check_concat_label",
    "check_discriminator_block",
    "check_generator_block",
    "check_stack_label_maps",
    "check_content_loss",
    "check_cycle_loss",
    "check_pix2pix_generator_loss",
    "check_discriminator_loss",
    "check_dream_loss",
    "check_generator_loss",
    "check_autoencoder_loss",
    "check_kl_loss",
    "check_reparameterize",
    "check_gradient_ascent_update",
    "check_gram_matrix",
    "check_optimal_discriminator",
    "check_discriminator_backward",
    "check_js_divergence",
    "check_least_squares_discriminator_loss",
    "check_value_function",
    "check_real_fake_logit",
    "check_unsupervised_loss",
    "check_high_quality_share",
    "check_modes_covered",
    "check_style_loss",
    "reference_of",
    "require",
]
