"""Every chapter notebook runs top to bottom in fast mode, offline, in a temporary folder."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    # The kernel inherits GAN_KERAS_FAST=1 and GAN_KERAS_OFFLINE=1 from conftest.py.
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    pictures = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                if "image/png" in o.get("data", {})]
    assert pictures, "the chapter shows no picture (figures must render as PNG in a notebook)"
    unrendered = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/png" not in o.get("data", {})
                  and str(o.get("data", {}).get("text/plain", "")).startswith("<Figure size")]
    assert not unrendered, "a figure was shown as text instead of a picture"
