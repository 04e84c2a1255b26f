"""Authoring notebooks for the course: the shared setup cell, headers, exercises, stripping.

Chapters are stored as .ipynb without outputs. Write or edit them with nbformat, e.g.::

    from tools.nbtool import chapter, md, code, exercise, check, save
    nb = chapter("03_dcgan.ipynb", "Chapter 03 — DCGAN", "overview text ...")
    nb.cells += [md("## ..."), code("..."), exercise("3.1", "def f(...): ..."), check("...")]
    save(nb, "notebooks/03_dcgan.ipynb")

Run ``python tools/nbtool.py strip notebooks/*.ipynb`` to remove outputs in place.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_keras import config  # noqa: E402

# The first code cell of every chapter, identical everywhere (a test keeps it so).
SETUP_SOURCE = f'''# Setup (the same in every chapter): install in Colab, check versions, read the fast-mode switch.
import sys

if "google.colab" in sys.modules:
    %pip install -q "gan_keras @ git+https://github.com/{config.REPOSITORY}@{config.REPOSITORY_REF}"

import gan_keras.notebook

FAST = gan_keras.notebook.setup()  # True when GAN_KERAS_FAST=1: tiny settings, seconds per cell'''


def badge(notebook_name: str) -> str:
    """Return the markdown of the Open-in-Colab badge of a notebook."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({config.colab_url(notebook_name)})")


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, tags=None):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def chapter(notebook_name: str, title: str, overview: str, note: str | None = None):
    """Return a new notebook holding the H1 title, the Colab badge, the overview and the setup cell."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    header = f"# {title}\n\n{badge(notebook_name)}\n\n{overview.strip()}"
    if note:
        header += f"\n\nLecture notes: [{note}](../course/{note})"
    nb.cells = [md(header), code(SETUP_SOURCE, tags=["setup"])]
    return nb


def exercise(exercise_id: str, stub_source: str):
    """Return an exercise stub cell (its body raises NotImplementedError), tagged for the tools."""
    cell = code(stub_source, tags=["exercise"])
    cell.metadata["gan_keras"] = {"exercise": exercise_id}
    return cell


def check(source: str):
    """Return the check cell that follows an exercise."""
    return code(source, tags=["check"])


def strip(nb):
    """Remove outputs and execution counts in place; return the notebook."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def save(nb, path) -> None:
    """Strip and write a notebook."""
    nbformat.validate(nb)
    nbformat.write(strip(nb), str(path))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "strip":
        raise SystemExit("usage: python tools/nbtool.py strip NOTEBOOK...")
    for name in sys.argv[2:]:
        save(nbformat.read(name, as_version=4), name)
        print(f"stripped {name}")
