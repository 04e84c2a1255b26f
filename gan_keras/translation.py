"""Image-to-image translation (chapter 10): how close a translation comes, and the grid that shows one.

The trainers are :class:`gan_keras.trainers.pix2pix.Pix2Pix`, :class:`gan_keras.trainers.srgan.SRGAN`
and :class:`gan_keras.trainers.discogan.DiscoGAN` (their losses live beside them: ``l1_loss``,
``content_loss``, ``cycle_loss``); the data are :mod:`gan_keras.data.pairs`. This module measures
a translation in NumPy (:func:`psnr`, :func:`mean_abs_error`) and draws fixed examples every
epoch (:class:`TranslationGrid`: input | output | target).
"""

from __future__ import annotations

import numpy as np

from gan_keras import plots
from gan_keras.training import callbacks as gk_callbacks

# ---------------------------------------------------------------------------------------
# Measures of a translation (NumPy)
# ---------------------------------------------------------------------------------------

def psnr(reference, images, data_range: float = 2.0) -> float:
    """Return the peak signal-to-noise ratio in dB, ``10 log10(range^2 / MSE)``, over a whole set.

    For images in ``[-1, 1]`` the range is 2. Higher is closer to the reference.
    """
    reference = np.asarray(reference, dtype=np.float64)
    images = np.asarray(images, dtype=np.float64)
    if reference.shape != images.shape:
        raise ValueError(f"psnr needs two arrays of one shape, got {reference.shape} and {images.shape}")
    mse = float(np.mean((reference - images) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))


def mean_abs_error(reference, images) -> float:
    """Return the mean absolute pixel difference between two image sets (the translation error)."""
    reference = np.asarray(reference, dtype=np.float64)
    images = np.asarray(images, dtype=np.float64)
    if reference.shape != images.shape:
        raise ValueError(f"need two arrays of one shape, got {reference.shape} and {images.shape}")
    return float(np.mean(np.abs(reference - images)))


# ---------------------------------------------------------------------------------------
# Sample grids
# ---------------------------------------------------------------------------------------

class TranslationGrid(gk_callbacks.SampleGrid):
    """Save a grid of fixed examples every epoch, one row each: input | output | target (PNG + GIF).

    Uses the trainer's ``panels(inputs, targets)``; DiscoGAN adds the way back
    (A | G_AB(A) | true B | G_BA(G_AB(A))). Introduced in ``notebooks/10_image_to_image.ipynb``.
    """

    def __init__(self, out_dir=None, inputs=None, targets=None, every: int = 1, show: bool = False,
                 gif_name: str = "progress.gif"):
        if inputs is None:
            raise ValueError("TranslationGrid needs the fixed input images to translate")
        super().__init__(out_dir, inputs=np.asarray(inputs, np.float32), num_images=len(inputs),
                         every=every, show=show, gif_name=gif_name)
        self.targets = None if targets is None else np.asarray(targets, np.float32)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        columns = self.model.panels(self.inputs, self.targets)
        grid = plots.image_grid(plots.interleave_columns(columns), ncols=len(columns))
        self.frames.append(grid)
        if self.out_dir is not None:
            self.paths.append(plots.save_image(grid, self.out_dir / "samples" / f"epoch_{epoch + 1:03d}.png"))
        if self.show:
            from IPython.display import display

            display(plots.show_translations(columns, title=f"epoch {epoch + 1}"))

