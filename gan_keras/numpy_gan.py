"""A GAN from scratch in NumPy: the lecture's two MLPs, forward and backward passes by hand.

Generator ``z (64) -> 128 (ReLU) -> 784 (sigmoid)``, discriminator
``x (784) -> 128 (ReLU) -> 1 (sigmoid)``; images in ``[0, 1]`` as in the lecture (use
``gan_keras.data.to_unit`` on the course's ``[-1, 1]`` images). Every matrix product of
the forward pass has its transpose in the backward pass, written out below; the tests
check the gradients against ``tf.GradientTape`` on the same weights.

The losses are the package's (``gan_keras.losses``), computed on the logit ``l`` with
``D = sigmoid(l)``:

- discriminator: ``mean softplus(-l_real) + mean softplus(l_fake)``
  (``-mean log D(x) - mean log(1 - D(G(z)))``), whose gradient at a logit is
  ``(D - label) / batch_size``;
- generator, non-saturating: ``mean softplus(-l_fake)`` (``-mean log D(G(z))``), gradient
  ``(D - 1) / batch_size``; minimax (saturating): ``-mean softplus(l_fake)``
  (``mean log(1 - D(G(z)))``), gradient ``-D / batch_size``, which vanishes when ``D -> 0``.

Introduced in ``notebooks/01_gan_basics.ipynb``.
"""

from __future__ import annotations

import numpy as np

from gan_keras import validate  # NumPy only, like this module

GENERATOR_SIZES = (64, 128, 784)
DISCRIMINATOR_SIZES = (784, 128, 1)
PARAM_NAMES = ("w1", "b1", "w2", "b2")
GENERATOR_LOSSES = ("non_saturating", "minimax")


# ---------------------------------------------------------------------------------------
# Small pieces
# ---------------------------------------------------------------------------------------

def sigmoid(x):
    """Return ``1 / (1 + exp(-x))`` without overflow warnings."""
    x = np.asarray(x)
    return np.exp(-np.logaddexp(0.0, -x)).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def softplus(x):
    """Return ``log(1 + exp(x))``, computed stably."""
    x = np.asarray(x)
    return np.logaddexp(0.0, x).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def init_mlp(sizes, rng: np.random.Generator, dtype="float32") -> dict:
    """Return the weights of a one-hidden-layer MLP ``sizes = (in, hidden, out)``.

    He-normal for the ReLU layer, Glorot-uniform for the output layer, zero biases.
    """
    n_in, n_hidden, n_out = _sizes(sizes)
    limit = np.sqrt(6.0 / (n_hidden + n_out))
    params = {
        "w1": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "w2": rng.uniform(-limit, limit, size=(n_hidden, n_out)),
        "b2": np.zeros(n_out),
    }
    return {k: v.astype(dtype) for k, v in params.items()}


def _sizes(sizes) -> tuple[int, int, int]:
    if not isinstance(sizes, (tuple, list)) or len(sizes) != 3:
        raise ValueError(f"sizes must be (inputs, hidden, outputs), got {sizes!r}")
    for s in sizes:
        validate.positive_int(s, f"each of sizes {tuple(sizes)!r}")
    return tuple(int(s) for s in sizes)


def _check_params(params, name: str) -> dict:
    if not isinstance(params, dict) or any(k not in params for k in PARAM_NAMES):
        raise TypeError(f"{name} must be a dict with keys {PARAM_NAMES}, got {type(params).__name__}"
                        + (f" with keys {sorted(params)}" if isinstance(params, dict) else ""))
    return params


def _check_batch(x, width: int, name: str, dtype=np.float32) -> np.ndarray:
    x = np.asarray(x, dtype=dtype)
    if x.ndim > 2:  # images (N, 28, 28, 1) -> (N, 784)
        x = x.reshape(len(x), -1)
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(f"{name} must have shape (batch, {width}), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


# ---------------------------------------------------------------------------------------
# Forward and backward through one MLP
# ---------------------------------------------------------------------------------------

def mlp_forward(params: dict, x: np.ndarray):
    """Run ``x -> ReLU(x w1 + b1) -> h w2 + b2``; return the output logits and the cache."""
    pre = x @ params["w1"] + params["b1"]      # (batch, in) -> (batch, hidden)
    h = np.maximum(pre, 0.0)                   # ReLU
    logits = h @ params["w2"] + params["b2"]   # (batch, hidden) -> (batch, out)
    return logits, {"x": x, "pre": pre, "h": h}


def mlp_backward(params: dict, cache: dict, grad_logits: np.ndarray):
    """Return ``(grads, grad_x)``: the loss's gradients given its gradient at the logits."""
    grads = {
        "w2": cache["h"].T @ grad_logits,      # (hidden, batch) @ (batch, out)
        "b2": grad_logits.sum(axis=0),
    }
    grad_h = grad_logits @ params["w2"].T      # (batch, out) -> (batch, hidden)
    grad_pre = grad_h * (cache["pre"] > 0)     # ReLU lets the gradient through where it was on
    grads["w1"] = cache["x"].T @ grad_pre      # (in, batch) @ (batch, hidden)
    grads["b1"] = grad_pre.sum(axis=0)
    grad_x = grad_pre @ params["w1"].T         # (batch, hidden) -> (batch, in)
    return grads, grad_x


def generate(g_params: dict, z: np.ndarray):
    """Return generated images ``sigmoid(G's logits)`` in ``[0, 1]``, shape ``(batch, 784)``, and the cache."""
    logits, cache = mlp_forward(g_params, z)
    images = sigmoid(logits)
    cache["images"] = images
    return images, cache


def discriminate(d_params: dict, x: np.ndarray) -> np.ndarray:
    """Return ``D(x) = sigmoid(logit)`` for a batch of flattened images, shape ``(batch,)``."""
    logits, _ = mlp_forward(d_params, x)
    return sigmoid(logits[:, 0])


# ---------------------------------------------------------------------------------------
# The two players' gradients
# ---------------------------------------------------------------------------------------

def discriminator_gradients(d_params: dict, real_images: np.ndarray, fake_images: np.ndarray):
    """Return ``(d_loss, grads)`` of the discriminator's cross-entropy.

    As in the lecture, the backward pass runs once on the real batch (label 1) and once on
    the fake batch (label 0), and the two gradients are added.
    Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    _check_params(d_params, "d_params")
    width, dtype = d_params["w1"].shape[0], d_params["w1"].dtype
    real_images = _check_batch(real_images, width, "real_images", dtype)
    fake_images = _check_batch(fake_images, width, "fake_images", dtype)
    real_logits, real_cache = mlp_forward(d_params, real_images)
    fake_logits, fake_cache = mlp_forward(d_params, fake_images)
    d_loss = float(np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits)))
    # d/dl of softplus(-l) is sigmoid(l) - 1 (label 1); of softplus(l) is sigmoid(l) (label 0)
    grad_real = (sigmoid(real_logits) - 1.0) / len(real_images)
    grad_fake = sigmoid(fake_logits) / len(fake_images)
    grads_real, _ = mlp_backward(d_params, real_cache, grad_real)
    grads_fake, _ = mlp_backward(d_params, fake_cache, grad_fake)
    return d_loss, {k: grads_real[k] + grads_fake[k] for k in PARAM_NAMES}


def generator_gradients(g_params: dict, d_params: dict, z: np.ndarray, loss: str = "non_saturating"):
    """Return ``(g_loss, grads)``: the generator's gradients taken through the frozen discriminator.

    ``loss="non_saturating"`` minimises ``-mean log D(G(z))``; ``"minimax"`` minimises the
    original ``mean log(1 - D(G(z)))``. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    _check_params(g_params, "g_params")
    _check_params(d_params, "d_params")
    if loss not in GENERATOR_LOSSES:
        raise ValueError(f"loss must be one of {GENERATOR_LOSSES}, got {loss!r}")
    z = _check_batch(z, g_params["w1"].shape[0], "z", g_params["w1"].dtype)
    fake_images, g_cache = generate(g_params, z)
    fake_logits, d_cache = mlp_forward(d_params, fake_images)
    n = len(z)
    if loss == "non_saturating":
        g_loss = float(np.mean(softplus(-fake_logits)))
        grad_logits = (sigmoid(fake_logits) - 1.0) / n
    else:
        g_loss = float(np.mean(-softplus(fake_logits)))
        grad_logits = -sigmoid(fake_logits) / n
    # Through the discriminator to its input; D's own gradients are thrown away (D is frozen)
    _, grad_images = mlp_backward(d_params, d_cache, grad_logits)
    # Through the generator's sigmoid output: d sigmoid(a) / da = s (1 - s)
    grad_g_logits = grad_images * fake_images * (1.0 - fake_images)
    grads, _ = mlp_backward(g_params, g_cache, grad_g_logits)
    return g_loss, grads


# ---------------------------------------------------------------------------------------
# Optimiser and training
# ---------------------------------------------------------------------------------------

class Adam:
    """Adam on a dict of NumPy arrays (the DCGAN settings by default: lr 2e-4, beta_1 0.5)."""

    def __init__(self, learning_rate: float = 2e-4, beta_1: float = 0.5, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.m: dict = {}
        self.v: dict = {}
        self.iterations = 0

    def apply(self, params: dict, grads: dict) -> None:
        """Update ``params`` in place with one Adam step."""
        self.iterations += 1
        t = self.iterations
        for k, g in grads.items():
            m = self.m.setdefault(k, np.zeros_like(g))
            v = self.v.setdefault(k, np.zeros_like(g))
            m *= self.beta_1
            m += (1.0 - self.beta_1) * g
            v *= self.beta_2
            v += (1.0 - self.beta_2) * g * g
            m_hat = m / (1.0 - self.beta_1 ** t)
            v_hat = v / (1.0 - self.beta_2 ** t)
            params[k] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


class SGD:
    """Gradient descent with optional (classical) momentum, as in the paper's code.

    With momentum ``mu`` each parameter keeps a velocity ``v``; one step is
    ``v <- mu v - learning_rate g`` then ``p <- p + v``. A gradient that keeps its sign adds up
    over steps (up to ``1 / (1 - mu)`` times one plain step); one that flips sign cancels out.
    ``momentum=0`` is plain gradient descent ``p <- p - learning_rate g``.
    Introduced in ``notebooks/02_loss_computation.ipynb``.
    """

    def __init__(self, learning_rate: float = 0.05, momentum: float = 0.0):
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
        self.learning_rate, self.momentum = learning_rate, momentum
        self.velocity: dict = {}
        self.iterations = 0

    def apply(self, params: dict, grads: dict) -> None:
        """Update ``params`` in place with one (momentum) gradient step."""
        self.iterations += 1
        for k, g in grads.items():
            v = self.velocity.setdefault(k, np.zeros_like(g))
            v *= self.momentum
            v -= self.learning_rate * g
            params[k] += v


OPTIMIZERS = {"adam": Adam, "sgd": SGD}

# The optimiser of Goodfellow et al. (2014) on MNIST (goodfeli/adversarial, mnist.yaml):
# SGD, learning rate 0.1 (divided by 1.000004 after every update), minibatches of 100,
# momentum 0.5 rising linearly to 0.7 between epochs 1 and 250 (pylearn2's MomentumAdjustor).
PAPER_SGD = {"optimizer": "sgd", "learning_rate": 0.1, "momentum": 0.5}
PAPER_BATCH_SIZE = 100


def paper_momentum(epoch: int, init: float = 0.5, final: float = 0.7, start: int = 1,
                   saturate: int = 250) -> float:
    """Return the paper's momentum after ``epoch`` epochs: ``init`` until ``start``, then linear to ``final`` at
    ``saturate``."""
    validate.non_negative_int(epoch, "epoch")
    if epoch <= start:
        return float(init)
    share = min(1.0, (epoch - start) / float(saturate - start))
    return float(init + share * (final - init))


_CONTROLLER = None


def _one_blas_thread():
    """Limit BLAS to one thread: these matrices are small, and idle BLAS threads spinning on a
    busy machine made each step 40 times slower (measured on 2 shared cores)."""
    global _CONTROLLER
    try:
        if _CONTROLLER is None:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER = ThreadpoolController()  # inspecting the libraries is the slow part
        return _CONTROLLER.limit(limits=1, user_api="blas")
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, run as is
        import contextlib

        return contextlib.nullcontext()


def global_norm(grads: dict) -> float:
    """Return the Euclidean norm of all gradients together."""
    return float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))


class NumpyGAN:
    """The lecture's GAN from scratch: ``G: 64 -> 128 -> 784``, ``D: 784 -> 128 -> 1``.

    ``optimizer="adam"`` (the DCGAN settings) or ``"sgd"`` with ``momentum`` (the paper's
    setting is ``NumpyGAN(**PAPER_SGD)``: learning rate 0.1, momentum 0.5).

    ``train`` runs minibatch training: for each batch, one discriminator step on real and
    fake images, then one generator step through the frozen discriminator. The history
    holds one entry per step. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """

    def __init__(self, latent_dim: int = 64, hidden_units: int = 128, image_dim: int = 784,
                 generator_loss: str = "non_saturating", learning_rate: float = 2e-4,
                 beta_1: float = 0.5, seed: int = 0, dtype="float32", optimizer: str = "adam",
                 momentum: float = 0.0):
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {GENERATOR_LOSSES}, got {generator_loss!r}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}, got {optimizer!r}")
        if momentum and optimizer != "sgd":
            raise ValueError(f"momentum is an option of optimizer='sgd' (Adam has beta_1), got "
                             f"momentum={momentum!r} with optimizer={optimizer!r}")
        self.latent_dim, self.image_dim = _sizes((latent_dim, hidden_units, image_dim))[::2]
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.g_params = init_mlp((latent_dim, hidden_units, image_dim), self.rng, self.dtype)
        self.d_params = init_mlp((image_dim, hidden_units, 1), self.rng, self.dtype)
        self.generator_loss = generator_loss
        # Two optimisers, never shared: each keeps its own state.
        if optimizer == "adam":
            self.d_optimizer, self.g_optimizer = Adam(learning_rate, beta_1), Adam(learning_rate, beta_1)
        else:
            self.d_optimizer, self.g_optimizer = SGD(learning_rate, momentum), SGD(learning_rate, momentum)
        self.history: dict[str, list[float]] = {k: [] for k in
                                                ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm")}

    def sample_latent(self, batch_size: int) -> np.ndarray:
        """Draw ``batch_size`` latent vectors from N(0, I)."""
        return self.rng.standard_normal((batch_size, self.latent_dim)).astype(self.dtype)

    def generate(self, count_or_z) -> np.ndarray:
        """Return generated images in ``[0, 1]``, shape ``(n, 784)``, from a count or latent vectors."""
        z = self.sample_latent(int(count_or_z)) if np.ndim(count_or_z) == 0 else count_or_z
        z = _check_batch(z, self.latent_dim, "z", self.dtype)
        return generate(self.g_params, z)[0]

    def discriminate(self, images) -> np.ndarray:
        """Return ``D(x)`` for images in ``[0, 1]`` (any shape with 784 values per image)."""
        return discriminate(self.d_params, _check_batch(images, self.image_dim, "images", self.dtype))

    def discriminator_step(self, real_images: np.ndarray):
        """Update D once on real images and as many fakes; return ``(d_loss, fake_images)``."""
        real_images = _check_batch(real_images, self.image_dim, "real_images", self.dtype)
        fake_images = self.generate(len(real_images))
        d_loss, d_grads = discriminator_gradients(self.d_params, real_images, fake_images)
        self.d_optimizer.apply(self.d_params, d_grads)
        return d_loss, fake_images

    def generator_step(self, batch_size: int):
        """Update G once through the frozen discriminator; return ``(g_loss, grads)``."""
        z = self.sample_latent(batch_size)
        g_loss, g_grads = generator_gradients(self.g_params, self.d_params, z, self.generator_loss)
        self.g_optimizer.apply(self.g_params, g_grads)
        return g_loss, g_grads

    def train_step(self, real_images: np.ndarray) -> dict:
        """Update D once, then G once; record and return the step's numbers."""
        with _one_blas_thread():
            return self._train_step(real_images)

    def _train_step(self, real_images: np.ndarray) -> dict:
        real_images = _check_batch(real_images, self.image_dim, "real_images", self.dtype)
        # Train the discriminator (on real images and on fakes, gradients added)
        d_loss, fake_images = self.discriminator_step(real_images)
        # Train the generator (the discriminator's weights stay fixed)
        g_loss, g_grads = self.generator_step(len(real_images))
        step = {
            "d_loss": d_loss, "g_loss": g_loss,
            "d_real": float(np.mean(discriminate(self.d_params, real_images))),
            "d_fake": float(np.mean(discriminate(self.d_params, fake_images))),
            "g_grad_norm": global_norm(g_grads),
        }
        for k, v in step.items():
            self.history[k].append(v)
        return step

    def train(self, images, num_epochs: int, batch_size: int = 500, verbose: int = 1,
              callback=None) -> dict:
        """Train on images in ``[0, 1]`` for ``num_epochs`` passes of shuffled minibatches.

        ``callback(epoch, gan)`` runs after each epoch (e.g. to keep sample grids).
        Returns the per-step history.
        """
        images = _check_batch(images, self.image_dim, "images", self.dtype)
        if images.min() < 0.0 or images.max() > 1.0:
            raise ValueError(f"images must lie in [0, 1] (the generator ends in a sigmoid), got "
                             f"values in [{images.min():.2f}, {images.max():.2f}]; "
                             "use gan_keras.data.to_unit on [-1, 1] images")
        validate.non_negative_int(num_epochs, "num_epochs")
        validate.positive_int(batch_size, "batch_size")
        batch_size = min(batch_size, len(images))
        with _one_blas_thread():
            self._train_epochs(images, num_epochs, batch_size, verbose, callback)
        return self.history

    def _train_epochs(self, images, num_epochs, batch_size, verbose, callback):
        for epoch in range(num_epochs):
            order = self.rng.permutation(len(images))
            start = len(self.history["d_loss"])
            for i in range(0, len(images) - batch_size + 1, batch_size):  # drop the remainder
                self._train_step(images[order[i:i + batch_size]])
            if verbose:
                mean = {k: float(np.mean(v[start:])) for k, v in self.history.items()}
                print(f"epoch {epoch + 1}/{num_epochs}: d_loss {mean['d_loss']:.3f}  g_loss {mean['g_loss']:.3f}  "
                      f"D(x) {mean['d_real']:.3f}  D(G(z)) {mean['d_fake']:.3f}")
            if callback is not None:
                callback(epoch, self)


# ---------------------------------------------------------------------------------------
# The same networks in Keras (for the gradient check and for comparison)
# ---------------------------------------------------------------------------------------

def to_keras(g_params: dict, d_params: dict):
    """Return Keras copies ``(generator, discriminator)`` holding the same weights.

    The generator ends in a sigmoid and returns flat ``(batch, 784)`` images; the
    discriminator returns one logit, as every discriminator of the package does.
    """
    from gan_keras import models

    _check_params(g_params, "g_params")
    _check_params(d_params, "d_params")
    latent_dim, hidden_g = g_params["w1"].shape
    image_dim, hidden_d = d_params["w1"].shape
    generator = models.build_mlp_generator(int(latent_dim), (int(g_params["w2"].shape[1]),),
                                           hidden_units=(int(hidden_g),), output_activation="sigmoid")
    discriminator = models.build_mlp_discriminator((int(image_dim),), hidden_units=(int(hidden_d),))
    for model, params in ((generator, g_params), (discriminator, d_params)):
        dense = [layer for layer in model.layers if layer.weights]
        dense[0].set_weights([params["w1"], params["b1"]])
        dense[1].set_weights([params["w2"], params["b2"]])
    return generator, discriminator


def as_keras_order(grads: dict) -> list:
    """Return gradients in the order of a Keras model's ``trainable_weights``."""
    return [grads[k] for k in PARAM_NAMES]
