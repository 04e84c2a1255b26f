"""The same tests on JAX: trainers, resume, command line, exercise checks, learning.

Keras picks its backend once per process, so each group below runs in a pytest subprocess
of its own with ``GAN_KERAS_TEST_BACKEND=jax`` (``tests/conftest.py`` sets ``KERAS_BACKEND``
from it and skips the tests marked ``tensorflow_only``). One test per group, so that a
failure names it; the subprocess's output tail is in the failure message. PyTorch runs
the first group the same way when torch is installed (``pip install gan_keras[torch]``; not
in CI: its wheel brings several GB of CUDA libraries, see the README).

The other files run on TensorFlow only, to keep CI under its time budget: every trainer
goes through the engine (``tests/test_engine.py`` checks the JAX engine against TensorFlow
to float32 rounding), so what those files test above the trainers does not depend on the
backend, and what does (data, devices, the TensorFlow-free install) has tests of its own:
``tests/test_distribute_jax.py``, ``tests/test_without_tensorflow.py``,
``tests/test_image_optimisation_backends.py``. The notebooks run on JAX too (chapters 01-04
and 07 in fast mode, by hand: ``GAN_KERAS_TEST_BACKEND=jax python -m pytest tests/test_notebooks.py``),
but not here: they would take CI past its budget.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEST_BACKEND

ROOT = Path(__file__).resolve().parent.parent

# name -> pytest arguments. What depends on the backend: the engine and every trainer on it
# (the TensorFlow/JAX equality of test_engine.py covers the game's logic, so test_gan.py,
# test_averaging.py and test_simultaneous.py, which test the game above the engine, run on
# TensorFlow only), resume of every model (the backend's random streams and saved state), the
# data off tf.data, the command line's resume, the exercise checks and the learning tests.
GROUPS = {
    "trainers": ["tests/test_engine.py", "tests/test_trainers_backends_a.py", "tests/test_trainers_backends_b.py"],
    "resume": ["tests/test_resume_every_model.py::test_interrupted_run_resumes_to_the_state_of_an_uninterrupted_one",
               "tests/test_faults.py::test_interrupted_fit_resumes_bit_exact",
               "tests/test_faults.py::test_resume_restores_the_fixed_sample_vectors"],
    "command line": ["tests/test_data.py",
                     "tests/test_cli.py::test_resume_continues_a_run_exactly_like_an_uninterrupted_one",
                     "tests/test_run_folders.py::"
                     "test_ctrl_c_prints_the_resume_command_and_the_resumed_run_equals_an_uninterrupted_one"],
    "exercise checks": ["tests/test_check_gallery.py", "tests/test_checks_foundation.py"],
    # The GANs' and the VAE's learning tests (the two update paths: two players, one optimizer). AC-GAN's
    # and the translators' stay on TensorFlow: AC-GAN's trainer is the conditional GAN's (trainers/cgan.py,
    # one step and its loss hooks), and pix2pix, SRGAN and DiscoGAN update each player with the same
    # engine.minimize as the GAN, whose TF/JAX equality test_engine.py checks; they resume on JAX above.
    "learning": ["-m", "learning", "tests/test_03_dcgan.py", "tests/test_04_conditional_gan.py",
                 "tests/test_07_vae.py"],
}
TORCH_GROUPS = ["trainers"]


def run_on(backend: str, args: list, timeout: int = 1500) -> subprocess.CompletedProcess:
    env = dict(os.environ, GAN_KERAS_TEST_BACKEND=backend)
    env.pop("KERAS_BACKEND", None)
    env.pop("GAN_KERAS_CACHE", None)  # a classifier trained on this backend, not TensorFlow's
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def check(backend: str, group: str) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    result = run_on(backend, GROUPS[group])
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    assert result.returncode == 0, f"the {group} tests on {backend} failed:\n{tail}"
    assert " passed" in result.stdout, f"the {group} tests on {backend} ran nothing:\n{tail}"


pytestmark = pytest.mark.skipif(TEST_BACKEND != "tensorflow",
                                reason="the runs on other backends start from the TensorFlow run")


@pytest.mark.parametrize("group", GROUPS)
def test_on_jax(group):
    check("jax", group)


@pytest.mark.parametrize("group", TORCH_GROUPS)
def test_on_torch(group):
    check("torch", group)
