"""Mode collapse on 2-D toy data: the metrics of the mode-collapse papers and the loss variants that fight it.

The ring of 8 Gaussians and the 5x5 grid (``gan_keras.data``) have known modes, so what a
generator covers can be counted, as VEEGAN, PacGAN and the unrolled-GAN paper do:

- a generated point is **high quality** if it lies within 3 standard deviations of the
  nearest mode's centre;
- a mode is **covered** if at least ``min_count`` high-quality points have it as their
  nearest mode (VEEGAN counts one point; by default we ask for 20 of 2500, so that a few
  stray points do not count as a mode).

``train_toy_gan`` trains the package's ``GAN`` with any loss of ``gan_keras.losses`` on
these sets; ``ToySnapshots`` records the generated points and the discriminator's output on
a grid as training goes (the views of interactive GAN visualisers).
Introduced in ``notebooks/09_mode_collapse.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np

from gan_keras import models, validate
from gan_keras.data import batches, toys
from gan_keras.trainers.gan import GAN

LOSS_NAMES = ("minimax", "non_saturating", "least_squares", "wasserstein", "hinge")


@dataclass(frozen=True)
class ToySet:
    """A 2-D mixture of Gaussians with known modes."""

    name: str
    centers: np.ndarray
    std: float

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Sample ``n`` points, shape ``(n, 2)``."""
        return toys.mixture_2d(n, self.centers, self.std, seed)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """Return ``(xmin, xmax, ymin, ymax)``: the centres' box with a margin."""
        low = self.centers.min(axis=0) - 1.5
        high = self.centers.max(axis=0) + 1.5
        return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def toy_set(name: str) -> ToySet:
    """Return the ring of 8 Gaussians (std 0.02) or the 5x5 grid (std 0.05) by name."""
    if name == "ring":
        return ToySet("ring", toys.ring_centers(), 0.02)
    if name == "grid":
        return ToySet("grid", toys.grid_centers(), 0.05)
    raise ValueError(f"unknown toy set {name!r}: expected 'ring' or 'grid'")


# ---------------------------------------------------------------------------------------
# The metrics
# ---------------------------------------------------------------------------------------

def _nearest(samples, centers):
    """Return each sample's nearest centre and its distance (NaN samples get distance inf)."""
    samples = np.asarray(samples, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples (n, d) and centers (k, d) must be 2-D with the same d, got "
                         f"shapes {samples.shape} and {centers.shape}")
    if len(samples) == 0 or len(centers) == 0:
        raise ValueError("samples and centers must not be empty")
    finite = np.all(np.isfinite(samples), axis=1)  # a diverged generator's NaNs are never good
    distances = np.linalg.norm(np.where(finite[:, None], samples, 0.0)[:, None, :] - centers[None], axis=-1)
    nearest = np.argmin(distances, axis=1)
    best = distances[np.arange(len(samples)), nearest]
    best[~finite] = np.inf
    return nearest, best


def _check_std(std):
    validate.positive_number(std, "std")


def high_quality_share(samples, centers, std: float, num_std: float = 3.0) -> float:
    """Return the share of samples within ``num_std`` standard deviations of their nearest mode.

    Introduced in ``notebooks/09_mode_collapse.ipynb``.
    """
    _check_std(std)
    _, distance = _nearest(samples, centers)
    return float(np.mean(distance < num_std * std))


def modes_covered(samples, centers, std: float, min_count: int = 20, num_std: float = 3.0) -> int:
    """Return how many modes have at least ``min_count`` high-quality samples nearest to them.

    Introduced in ``notebooks/09_mode_collapse.ipynb``.
    """
    return mode_metrics(samples, centers, std, num_std, min_count)["modes_covered"]


def mode_metrics(samples, centers, std: float, num_std: float = 3.0, min_count: int = 20) -> dict:
    """Return the modes covered and the share of high-quality samples.

    Each sample goes to its nearest centre; it is high quality if that distance is below
    ``num_std * std``. A mode is covered when at least ``min_count`` high-quality samples
    went to it. Returns ``modes_covered``, ``num_modes``, ``high_quality`` (a share in
    ``[0, 1]``) and ``counts`` (high-quality samples per mode).
    Introduced in ``notebooks/09_mode_collapse.ipynb``.
    """
    _check_std(std)
    validate.positive_int(min_count, "min_count")
    nearest, distance = _nearest(samples, centers)
    good = distance < num_std * std
    counts = np.bincount(nearest[good], minlength=len(np.asarray(centers)))
    return {
        "modes_covered": int(np.sum(counts >= min_count)),
        "num_modes": int(len(counts)),
        "high_quality": float(np.mean(good)),
        "counts": counts.astype(int).tolist(),
    }


def discriminator_heatmap(gan, extent, resolution: int = 80):
    """Return ``(xs, ys, values)``: the discriminator's output on a ``resolution`` x ``resolution`` grid.

    ``values`` is ``D(x) = sigmoid(logit)`` for the cross-entropy losses and the raw score
    for least squares, Wasserstein and hinge.
    """
    xmin, xmax, ymin, ymax = extent
    xs = np.linspace(xmin, xmax, resolution, dtype=np.float32)
    ys = np.linspace(ymin, ymax, resolution, dtype=np.float32)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    scores = gan.discriminator.predict(grid, batch_size=4096, verbose=0)
    values = np.asarray(gan.probability(scores)).reshape(resolution, resolution)
    return xs, ys, values


class ToySnapshots(keras.callbacks.Callback):
    """Record generated points (from fixed noise) and the discriminator heat map every ``every`` epochs."""

    def __init__(self, extent, every: int = 1, num_points: int = 1000, resolution: int = 60, seed: int = 1):
        super().__init__()
        validate.positive_int(every, "every")
        self.extent = extent
        self.every = every
        self.num_points = num_points
        self.resolution = resolution
        self.seed = seed
        self.snapshots: list[dict] = []

    def record(self, step: int) -> None:
        """Store the current generated points and heat map, labelled with the training step."""
        z = np.random.default_rng(self.seed).standard_normal(
            (self.num_points, self.model.latent_dim)).astype("float32")
        points = self.model.generator.predict(z, batch_size=4096, verbose=0)
        xs, ys, values = discriminator_heatmap(self.model, self.extent, self.resolution)
        self.snapshots.append({"step": step, "points": points, "xs": xs, "ys": ys, "values": values})

    def on_train_begin(self, logs=None):
        self.steps_per_epoch = self.params.get("steps") or 1
        if not self.snapshots:
            self.record(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.record((epoch + 1) * self.steps_per_epoch)


# ---------------------------------------------------------------------------------------
# Training the loss variants
# ---------------------------------------------------------------------------------------

@dataclass
class ToyRun:
    """One loss trained on one toy set: the model, its metrics, history and snapshots."""

    toy: str
    loss: str
    seed: int
    steps: int
    metrics: dict
    gan: GAN
    history: dict = field(default_factory=dict)
    snapshots: list = field(default_factory=list)
    samples: np.ndarray | None = None


def build_toy_gan(loss: str = "non_saturating", latent_dim: int = 16, hidden_units=(128, 128),
                  d_steps: int | None = None, learning_rate: float = 1e-3, seed: int = 0) -> GAN:
    """Build and compile a toy GAN for one loss with the usual settings of its paper.

    WGAN-GP: 5 critic steps per generator step (each on its own real minibatch),
    Adam(beta_1=0.5, beta_2=0.9) as in the authors' toy-data code (the paper's Algorithm 1
    has beta_1=0) and a penalty weight of 10. The others: one step, Adam(beta_1=0.5). Learning rate 1e-3 for all.
    Introduced in ``notebooks/09_mode_collapse.ipynb``.
    """
    from gan_keras.losses import canonical_loss_name

    name = canonical_loss_name(loss)
    keras.utils.set_random_seed(seed)
    generator = models.build_toy_generator(latent_dim, data_dim=2, hidden_units=hidden_units)
    discriminator = models.build_toy_discriminator(data_dim=2, hidden_units=hidden_units)
    if d_steps is None:
        d_steps = 5 if name == "wasserstein" else 1
    gan = GAN(generator, discriminator, d_steps=d_steps, seed=seed)
    beta_2 = 0.9 if name == "wasserstein" else 0.999
    gan.compile(keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=beta_2, name="d_optimizer"),
                keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=beta_2, name="g_optimizer"),
                loss=name)
    return gan


def train_toy_gan(toy: str = "ring", loss: str = "non_saturating", steps: int = 2000,
                  batch_size: int = 256, seed: int = 0, num_samples: int = 2500,
                  snapshot_every: int | None = None, steps_per_epoch: int = 100,
                  min_count: int = 20, verbose=0, **build_kwargs) -> ToyRun:
    """Train one loss on one toy set for ``steps`` generator updates; measure its modes.

    ``snapshot_every`` (in epochs of ``steps_per_epoch`` steps) records the generated points
    and the heat map as training goes. Introduced in ``notebooks/09_mode_collapse.ipynb``.
    """
    toyset = toy_set(toy)
    for value, name in ((steps, "steps"), (batch_size, "batch_size"), (steps_per_epoch, "steps_per_epoch")):
        validate.positive_int(value, name)
    steps_per_epoch = min(steps_per_epoch, steps)
    epochs = max(1, steps // steps_per_epoch)
    gan = build_toy_gan(loss, seed=seed, **build_kwargs)
    # Each of the k critic steps draws its own minibatch of batch_size points (Algorithm 1):
    # a batch of the dataset holds the k minibatches of one generator step.
    points = toyset.sample(batch_size * gan.d_steps * steps_per_epoch, seed=seed)
    dataset = batches.make_dataset(points, batch_size=batch_size * gan.d_steps, seed=seed)
    callbacks = []
    if snapshot_every:
        callbacks.append(ToySnapshots(toyset.extent, every=snapshot_every))
    history = gan.fit(dataset, epochs=epochs, verbose=verbose, shuffle=False, callbacks=callbacks)
    samples = gan.generate(num_samples)
    metrics = mode_metrics(samples, toyset.centers, toyset.std, min_count=min_count)
    return ToyRun(toy, gan.loss_name, seed, epochs * steps_per_epoch, metrics, gan,
                  dict(history.history), callbacks[0].snapshots if callbacks else [], samples)


def mode_collapse_table(losses=LOSS_NAMES, toys=("ring", "grid"), steps: int = 2000,
                        seeds=(0,), verbose=0, **kwargs) -> list[dict]:
    """Train every loss on every toy set for each seed; return one row per (toy, loss, seed).

    Introduced in ``notebooks/09_mode_collapse.ipynb``.
    """
    rows = []
    for toy in toys:
        for loss in losses:
            for seed in seeds:
                run = train_toy_gan(toy, loss, steps=steps, seed=seed, verbose=verbose, **kwargs)
                rows.append({"toy": toy, "loss": run.loss, "seed": seed, "steps": run.steps,
                             "modes_covered": run.metrics["modes_covered"],
                             "num_modes": run.metrics["num_modes"],
                             "high_quality": run.metrics["high_quality"]})
    return rows


def format_table(rows) -> str:
    """Return the rows as a Markdown table (mean over seeds, with every seed's figures)."""
    lines = ["| toy set | loss | modes covered | high-quality share | per seed (modes / share) |",
             "|---|---|---|---|---|"]
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["toy"], row["loss"]), []).append(row)
    for (toy, loss), group in groups.items():
        modes = np.mean([r["modes_covered"] for r in group])
        share = np.mean([r["high_quality"] for r in group])
        per_seed = ", ".join(f"{r['modes_covered']} / {r['high_quality']:.2f}" for r in group)
        lines.append(f"| {toy} | {loss} | {modes:.1f} of {group[0]['num_modes']} | {share:.2f} | {per_seed} |")
    return "\n".join(lines)
