"""Pictures: image grids, GIFs, training curves and histograms. Every function takes arrays.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), so they save the
same way from a script and display inline when a notebook cell returns them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from gan_keras.data import to_unit
from gan_keras.io import atomic_path, save_figure

# One colour per curve, the same in every chapter.
COLORS = {"d_loss": "tab:red", "g_loss": "tab:blue", "d_real": "tab:green", "d_fake": "tab:orange"}


def image_grid(images, nrows: int | None = None, ncols: int | None = None, pad: int = 0,
               pad_value: float = 0.0, signed: bool = True) -> np.ndarray:
    """Tile images ``(N, H, W, C)`` into one array ``(rows*H, cols*W, C)`` in ``[0, 1]``.

    ``signed=True`` means the images are in ``[-1, 1]`` (the course's convention).
    With ``pad=0`` cells touch, as in ``class_grid.png``.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must have shape (N, H, W, C) with N >= 1, got {images.shape}")
    images = to_unit(images) if signed else np.clip(images, 0.0, 1.0)
    n, h, w, c = images.shape
    if nrows is None and ncols is None:
        ncols = math.ceil(math.sqrt(n))
    if ncols is None:
        ncols = math.ceil(n / nrows)
    if nrows is None:
        nrows = math.ceil(n / ncols)
    if nrows * ncols < n:
        raise ValueError(f"a {nrows}x{ncols} grid cannot hold {n} images")
    grid = np.full((nrows * h + (nrows - 1) * pad, ncols * w + (ncols - 1) * pad, c), pad_value, np.float32)
    for i in range(n):
        r, col = divmod(i, ncols)
        grid[r * (h + pad): r * (h + pad) + h, col * (w + pad): col * (w + pad) + w] = images[i]
    return grid


def to_uint8(grid: np.ndarray) -> np.ndarray:
    """Turn a ``[0, 1]`` image into uint8 pixels (grayscale drops its channel axis)."""
    pixels = np.round(np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)
    return pixels[..., 0] if pixels.ndim == 3 and pixels.shape[-1] == 1 else pixels


def save_image(image, path, signed: bool = False) -> Path:
    """Save one image ``(H, W[, C])`` as PNG pixel for pixel, atomically."""
    from PIL import Image

    image = np.asarray(image, dtype=np.float32)
    unit = to_unit(image) if signed else image
    with atomic_path(path) as tmp:
        Image.fromarray(to_uint8(unit)).save(tmp, format="PNG")
    return Path(path)


def save_image_grid(images, path, nrows: int | None = None, ncols: int | None = None,
                    pad: int = 0, signed: bool = True) -> Path:
    """Save images as one PNG grid, one pixel per pixel (no axes, no gaps unless ``pad``)."""
    return save_image(image_grid(images, nrows, ncols, pad=pad, signed=signed), path)


def save_gif(frames, path, duration_ms: int = 400) -> Path:
    """Save a list of ``[0, 1]`` images (e.g. per-epoch grids) as an animated GIF."""
    from PIL import Image

    if not frames:
        raise ValueError("save_gif needs at least one frame")
    pics = [Image.fromarray(to_uint8(np.asarray(f, np.float32))) for f in frames]
    with atomic_path(path) as tmp:
        pics[0].save(tmp, format="GIF", save_all=True, append_images=pics[1:],
                     duration=duration_ms, loop=0)
    return Path(path)


def show_images(images, nrows: int | None = None, ncols: int | None = None, title: str | None = None,
                signed: bool = True, size: float = 4.0, row_labels=None) -> Figure:
    """Return a figure showing images as a grid (a notebook displays it)."""
    grid = image_grid(images, nrows, ncols, pad=1, pad_value=1.0, signed=signed)
    aspect = grid.shape[1] / grid.shape[0]
    fig = Figure(figsize=(size * aspect, size))
    ax = fig.add_subplot()
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1,
              interpolation="nearest")
    ax.set_xticks([])
    if row_labels is not None:
        rows = len(row_labels)
        cell = (grid.shape[0] + 1) / rows
        ax.set_yticks([cell * (i + 0.5) for i in range(rows)], [str(r) for r in row_labels])
    else:
        ax.set_yticks([])
    if title:
        ax.set_title(title)
    return fig


def plot_history(history, title: str | None = None) -> Figure:
    """Return a figure of the losses (left) and of ``D(x)``, ``D(G(z))`` (right) per epoch."""
    history = getattr(history, "history", history)
    loss_keys = [k for k in history if k.endswith("loss")]
    prob_keys = [k for k in ("d_real", "d_fake") if k in history]
    panels = 2 if prob_keys else 1
    fig = Figure(figsize=(5 * panels, 3.5))
    ax = fig.add_subplot(1, panels, 1)
    for key in loss_keys:
        values = history[key]
        ax.plot(range(1, len(values) + 1), values, label=key, color=COLORS.get(key))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    if prob_keys:
        ax2 = fig.add_subplot(1, panels, 2)
        names = {"d_real": "D(x)", "d_fake": "D(G(z))"}
        for key in prob_keys:
            values = history[key]
            ax2.plot(range(1, len(values) + 1), values, label=names[key], color=COLORS[key])
        ax2.axhline(0.5, color="gray", linestyle=":", linewidth=1)
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("mean discriminator output")
        ax2.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_discriminator_trace(d_real, d_fake, title: str = "D(x) and D(G(z)) per training step") -> Figure:
    """Return a figure of ``D(x)`` and ``D(G(z))`` at every training step."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.plot(np.asarray(d_real), label="D(x)", color=COLORS["d_real"], linewidth=1)
    ax.plot(np.asarray(d_fake), label="D(G(z))", color=COLORS["d_fake"], linewidth=1)
    ax.axhline(0.5, color="gray", linestyle=":", linewidth=1)
    ax.set_xlabel("training step")
    ax.set_ylabel("mean discriminator output")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_value_histogram(real, fake, bins: int = 50, title: str = "Real against generated values") -> Figure:
    """Return a histogram of real against generated values (pixels or 1-D samples)."""
    real = np.asarray(real, dtype=np.float32).ravel()
    fake = np.asarray(fake, dtype=np.float32).ravel()
    low = float(min(real.min(), fake.min()))
    high = float(max(real.max(), fake.max()))
    edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    ax.hist(real, bins=edges, alpha=0.6, density=True, label="real", color="tab:green")
    ax.hist(fake, bins=edges, alpha=0.6, density=True, label="generated", color="tab:orange")
    ax.set_xlabel("value")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


__all__ = [
    "image_grid", "save_image", "save_image_grid", "save_gif", "show_images", "plot_history",
    "plot_discriminator_trace", "plot_value_histogram", "save_figure", "to_uint8",
]


# Chapter 07: latent spaces.
def plot_latent_scatter(z, labels=None, title: str = "Test images in the 2-D latent space") -> Figure:
    """Return a scatter plot of 2-D latent codes, coloured by label when labels are given."""
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z must have shape (N, 2) for a 2-D map, got {z.shape}")
    fig = Figure(figsize=(5, 4.5))
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=6, alpha=0.7)
    else:
        points = ax.scatter(z[:, 0], z[:, 1], c=np.asarray(labels), cmap="tab10", s=6, alpha=0.8,
                            vmin=-0.5, vmax=9.5)
        fig.colorbar(points, ax=ax, ticks=range(10), label="label")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    fig.tight_layout()
    return fig


__all__ += ["plot_latent_scatter"]


# --- chapter 10: image-to-image translation -------------------------------------------

def interleave_columns(columns) -> np.ndarray:
    """Stack image sets ``[inputs, outputs, targets, ...]`` row by row: one example per grid row."""
    columns = [np.asarray(c, dtype=np.float32) for c in columns]
    if not columns:
        raise ValueError("interleave_columns needs at least one column of images")
    shapes = {c.shape for c in columns}
    if len(shapes) != 1:
        raise ValueError(f"every column must hold images of one shape, got {sorted(shapes)}")
    return np.stack(columns, axis=1).reshape((-1,) + columns[0].shape[1:])


def show_translations(columns, titles=None, title: str | None = None, size: float = 1.2) -> Figure:
    """Return a figure with one example per row and one column per stage (input | output | target)."""
    columns = [np.asarray(c, dtype=np.float32) for c in columns]
    stacked = interleave_columns(columns)
    rows, cols = len(columns[0]), len(columns)
    grid = image_grid(stacked, ncols=cols, pad=1, pad_value=1.0)
    fig = Figure(figsize=(size * cols + 0.4, size * rows + 0.6))
    ax = fig.add_subplot()
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1,
              interpolation="nearest")
    cell = (grid.shape[1] + 1) / cols
    if titles is not None:
        if len(titles) != cols:
            raise ValueError(f"got {len(titles)} titles for {cols} columns")
        ax.set_xticks([cell * (i + 0.5) for i in range(cols)], list(titles))
        ax.xaxis.tick_top()
    else:
        ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, pad=20 if titles is not None else 6)
    fig.tight_layout()
    return fig


__all__ += ["interleave_columns", "show_translations"]


# ---------------------------------------------------------------------------------------
# Chapter 09: 2-D toy data, mode collapse
# ---------------------------------------------------------------------------------------

def draw_toy_panel(ax, points=None, centers=None, heatmap=None, extent=None, title: str | None = None,
                   colorbar: bool = False):
    """Draw generated points (orange) over mode centres (black crosses) and an optional heat map."""
    image = None
    if heatmap is not None:
        xs, ys, values = heatmap
        image = ax.pcolormesh(xs, ys, values, shading="auto", cmap="coolwarm", alpha=0.8)
        if colorbar:
            ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if points is not None:
        points = np.asarray(points)
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5, color="tab:orange", label="generated")
    if centers is not None:
        centers = np.asarray(centers)
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=30, color="black", label="modes")
    if extent is not None:
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return image


def plot_toy_samples(points, centers, extent=None, title: str | None = None, real=None) -> Figure:
    """Return a scatter of generated points (and optionally real ones) over the modes' centres."""
    fig = Figure(figsize=(4, 4))
    ax = fig.add_subplot()
    if real is not None:
        real = np.asarray(real)
        ax.scatter(real[:, 0], real[:, 1], s=2, alpha=0.3, color="tab:green", label="real")
    draw_toy_panel(ax, points, centers, extent=extent, title=title)
    ax.legend(loc="upper right", fontsize=7, markerscale=3)
    fig.tight_layout()
    return fig


def plot_toy_progress(snapshots, centers, extent=None, title: str | None = None, max_panels: int = 6) -> Figure:
    """Return one panel per snapshot: the discriminator heat map, generated points and modes.

    ``snapshots`` are dicts with ``step``, ``points``, ``xs``, ``ys``, ``values`` (as
    ``gan_keras.modes.ToySnapshots`` records them); at most ``max_panels`` evenly chosen.
    """
    if not snapshots:
        raise ValueError("no snapshots to draw: train with snapshot_every set")
    chosen = np.unique(np.linspace(0, len(snapshots) - 1, min(max_panels, len(snapshots))).round().astype(int))
    fig = Figure(figsize=(2.6 * len(chosen), 2.9))
    for i, index in enumerate(chosen):
        snap = snapshots[index]
        ax = fig.add_subplot(1, len(chosen), i + 1)
        draw_toy_panel(ax, snap["points"], centers, (snap["xs"], snap["ys"], snap["values"]),
                       extent=extent, title=f"step {snap['step']}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_toy_grid(panels, centers_by_row, extents_by_row=None, row_labels=(), col_labels=()) -> Figure:
    """Return a rows x columns figure of generated points (``panels[r][c]`` an ``(n, 2)`` array)."""
    rows, cols = len(panels), max(len(p) for p in panels)
    fig = Figure(figsize=(2.2 * cols, 2.3 * rows))
    for r in range(rows):
        for c in range(len(panels[r])):
            ax = fig.add_subplot(rows, cols, r * cols + c + 1)
            extent = extents_by_row[r] if extents_by_row is not None else None
            draw_toy_panel(ax, panels[r][c], centers_by_row[r], extent=extent,
                           title=col_labels[c] if r == 0 and c < len(col_labels) else None)
            if c == 0 and r < len(row_labels):
                ax.set_ylabel(row_labels[r])
    fig.tight_layout()
    return fig


def plot_accuracy_table(rows, title: str = "Test accuracy: SGAN against supervised only") -> Figure:
    """Return a bar chart of test accuracies per number of labels (rows of the chapter 08 table)."""
    labels = [f"{r['per_class']}/class" for r in rows]
    x = np.arange(len(rows))
    fig = Figure(figsize=(1.6 * len(rows) + 2.5, 3.5))
    ax = fig.add_subplot()
    ax.bar(x - 0.18, [r["supervised_accuracy"] for r in rows], 0.36, label="supervised only", color="tab:gray")
    ax.bar(x + 0.18, [r["sgan_accuracy"] for r in rows], 0.36, label="SGAN", color="tab:blue")
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
__all__ += ["draw_toy_panel", "plot_toy_samples", "plot_toy_progress", "plot_toy_grid", "plot_accuracy_table"]


# --- Chapters 03 and 04: the interpolation strip and the class grid ---------------------

def plot_interpolation(images, title: str | None = None, labels=None, size: float = 1.2) -> Figure:
    """Return a figure of images in one row (an interpolation strip), optionally captioned."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must have shape (N, H, W, C) with N >= 1, got {images.shape}")
    n = len(images)
    fig = Figure(figsize=(size * n, size * 1.25 if labels is not None or title else size))
    for i, img in enumerate(to_unit(images)):
        ax = fig.add_subplot(1, n, i + 1)
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_axis_off()
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def class_grid(images, num_classes: int = 10) -> np.ndarray:
    """Tile ``num_classes * k`` images (class by class) into a grid with row ``r`` holding class ``r``, no gaps."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(images) % num_classes:
        raise ValueError(f"expected (num_classes * k, H, W, C) images with num_classes={num_classes}, "
                         f"got shape {images.shape}")
    return image_grid(images, nrows=num_classes, ncols=len(images) // num_classes, pad=0)


__all__ += ["plot_interpolation", "class_grid"]


# ---------------------------------------------------------------------------------------
# Chapters 01-02: the adversarial process in 1-D and the generator's two losses
# ---------------------------------------------------------------------------------------

def plot_adversarial_process(x, p_data, stages, titles=None, d_star=None,
                             title: str | None = None) -> Figure:
    """Return the original paper's figure: one panel per stage of training on 1-D data.

    ``stages`` is a list of ``(p_g, d)``: the generator's density and the discriminator's
    output ``D(x)`` on the grid ``x``. The data density is dotted, the generator's solid,
    ``D`` dashed; ``d_star`` (a list, one per stage) adds the optimal discriminator.
    Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    x = np.asarray(x, dtype=np.float64)
    p_data = np.asarray(p_data, dtype=np.float64)
    if x.ndim != 1 or p_data.shape != x.shape:
        raise ValueError(f"x and p_data must be 1-D arrays of the same length, got {x.shape} and {p_data.shape}")
    if not stages:
        raise ValueError("stages must hold at least one (p_g, d) pair")
    if titles is not None and len(titles) != len(stages):
        raise ValueError(f"got {len(titles)} titles for {len(stages)} stages")
    if d_star is not None and len(d_star) != len(stages):
        raise ValueError(f"got {len(d_star)} optimal discriminators for {len(stages)} stages")
    n = len(stages)
    fig = Figure(figsize=(3.2 * n, 3.0))
    axes = fig.subplots(1, n, sharey=True, squeeze=False)[0]
    for i, (ax, (p_g, d)) in enumerate(zip(axes, stages)):
        p_g, d = np.asarray(p_g, dtype=np.float64), np.asarray(d, dtype=np.float64)
        if p_g.shape != x.shape or d.shape != x.shape:
            raise ValueError(f"stage {i}: p_g and d must have the grid's shape {x.shape}, "
                             f"got {p_g.shape} and {d.shape}")
        ax.plot(x, p_data, linestyle=":", color="black", linewidth=2, label="data $p_{data}$")
        ax.plot(x, p_g, linestyle="-", color="tab:green", linewidth=1.8, label="generator $p_g$")
        ax.plot(x, d, linestyle="--", color="tab:blue", linewidth=1.5, label="discriminator $D(x)$")
        if d_star is not None:
            # D* is a ratio of densities: drawn only where there is mass, not in the empty tails
            mass = p_data + p_g
            shown = np.where(mass > 0.01 * mass.max(), np.asarray(d_star[i], dtype=np.float64), np.nan)
            ax.plot(x, shown, linestyle="-.", color="gray",
                    linewidth=1, label="optimal $D^*(x)$")
        ax.axhline(0.5, color="lightgray", linewidth=0.8, zorder=0)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("x")
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=10)
    axes[0].legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_generator_loss_gradients(d_fake, minimax_gradient, non_saturating_gradient,
                                  title: str = "How hard each loss pushes the generator") -> Figure:
    """Return the magnitude of each generator loss's gradient (at D's logit) against ``D(G(z))``.

    Introduced in ``notebooks/02_loss_computation.ipynb``.
    """
    d_fake = np.asarray(d_fake, dtype=np.float64)
    curves = {"minimax: log(1 - D(G(z)))": minimax_gradient,
              "non-saturating: -log D(G(z))": non_saturating_gradient}
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    for (label, grad), color in zip(curves.items(), ("tab:red", "tab:blue")):
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != d_fake.shape:
            raise ValueError(f"gradients must have the shape of d_fake {d_fake.shape}, got {grad.shape}")
        ax.plot(d_fake, np.abs(grad), label=label, color=color)
    ax.set_xlabel("D(G(z))  (0: the discriminator is sure the sample is fake)")
    ax.set_ylabel("|d loss / d logit|")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


__all__ += ["plot_adversarial_process", "plot_generator_loss_gradients"]


def plot_loss_comparison(histories, keys=("g_grad_norm", "d_fake"), log_keys=("g_grad_norm",),
                         title: str | None = None) -> Figure:
    """Return one panel per key comparing per-step histories of runs (name -> history dict).

    Introduced in ``notebooks/02_loss_computation.ipynb``.
    """
    if not histories:
        raise ValueError("histories must map at least one run name to its history")
    labels = {"g_grad_norm": "generator gradient norm", "d_fake": "D(G(z))", "d_real": "D(x)",
              "d_loss": "d_loss", "g_loss": "g_loss"}
    fig = Figure(figsize=(5 * len(keys), 3.5))
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        for name, history in histories.items():
            if key not in history:
                raise ValueError(f"run {name!r} has no {key!r} in its history (keys: {sorted(history)})")
            ax.plot(np.asarray(history[key], dtype=np.float64), label=str(name), linewidth=1.2)
        if key in log_keys:
            ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel(labels.get(key, key))
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


__all__ += ["plot_loss_comparison"]
