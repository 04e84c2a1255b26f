import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_keras import losses

REAL = np.array([[2.0], [0.5], [-1.0], [3.0]], np.float32)
FAKE = np.array([[-2.0], [0.3], [1.5], [-0.5]], np.float32)


def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def test_discriminator_loss_matches_keras_bce():
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    oracle = bce(np.ones_like(REAL), REAL) + bce(np.zeros_like(FAKE), FAKE)
    assert np.isclose(float(losses.discriminator_loss(REAL, FAKE)), float(oracle), rtol=1e-6)


def test_losses_equal_their_formulas():
    d_real, d_fake = sigmoid(REAL), sigmoid(FAKE)
    by_formula = {
        "d_bce": -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake)),
        "g_ns": -np.mean(np.log(d_fake)),
        "g_minimax": np.mean(np.log(1 - d_fake)),
        "d_ls": 0.5 * np.mean((REAL - 1) ** 2) + 0.5 * np.mean(FAKE ** 2),
        "g_ls": 0.5 * np.mean((FAKE - 1) ** 2),
        "d_w": np.mean(FAKE) - np.mean(REAL),
        "g_w": -np.mean(FAKE),
        "d_hinge": np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE)),
        "g_hinge": -np.mean(FAKE),
    }
    got = {
        "d_bce": losses.discriminator_loss(REAL, FAKE),
        "g_ns": losses.generator_loss(FAKE),
        "g_minimax": losses.minimax_generator_loss(FAKE),
        "d_ls": losses.least_squares_discriminator_loss(REAL, FAKE),
        "g_ls": losses.least_squares_generator_loss(FAKE),
        "d_w": losses.wasserstein_critic_loss(REAL, FAKE),
        "g_w": losses.wasserstein_generator_loss(FAKE),
        "d_hinge": losses.hinge_discriminator_loss(REAL, FAKE),
        "g_hinge": losses.hinge_generator_loss(FAKE),
    }
    for key, expected in by_formula.items():
        assert np.isclose(float(got[key]), expected, rtol=1e-5), key


def test_value_at_equilibrium_is_minus_log_4():
    zeros = np.zeros((8, 1), np.float32)  # logit 0 -> D = 1/2
    assert np.isclose(float(losses.value_function(zeros, zeros)), -np.log(4.0), rtol=1e-6)


def test_logits_stay_finite_where_probabilities_would_round():
    big = np.array([[60.0]], np.float32)
    assert np.isfinite(float(losses.discriminator_loss(-big, big)))
    assert np.isclose(float(losses.generator_loss(-big)), 60.0, rtol=1e-4)


def test_gradient_penalty_is_finite_at_zero_gradient():
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    real = np.ones((4, 3), np.float32)
    fake = np.zeros((4, 3), np.float32)
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(critic, real, fake, alpha=np.full((4, 1), 0.5, np.float32))
    grads = tape.gradient(gp, critic.trainable_weights)
    assert np.isclose(float(gp), 1.0, atol=1e-5)  # (0 - 1)^2
    kernel_grad = grads[0]  # the bias does not change the input gradient, so its gradient is None
    assert kernel_grad is not None and np.all(np.isfinite(kernel_grad.numpy()))


def test_gradient_penalty_matches_formula():
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    critic.layers[0].kernel.assign(np.array([[3.0], [4.0]], np.float32))  # |grad| = 5
    gp = losses.gradient_penalty(critic, np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32))
    assert np.isclose(float(gp), 16.0, rtol=1e-5)


def test_loss_names():
    assert losses.canonical_loss_name("lsgan") == "least_squares"
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get_loss_pair("nope")
    with pytest.raises(TypeError):
        losses.get_loss_pair(3)
