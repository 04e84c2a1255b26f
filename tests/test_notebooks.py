"""Every chapter notebook runs top to bottom in fast mode, offline, in a temporary folder.

The chapters are executed once, by the builder of the HTML course (``notebooks html --fast``),
in kernels that see TensorFlow's own logging level (not the tests' quiet one), so that what a
student would see is what is checked: no error, at least one picture, no TensorFlow C++ log
line, no bare ``True``/``False`` echoed under a cell, no thirty ``Epoch k/n`` lines.
"""

import re
from pathlib import Path

import pytest

from gan_keras.app import course_html, quiet

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_notebooks")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
EPOCH_LINE = re.compile(r"^Epoch \d+/\d+$")


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """Build the HTML course in fast mode, offline; return the folder and the pages by notebook name."""
    out = tmp_path_factory.mktemp("html")
    # The kernel inherits GAN_KERAS_FAST/OFFLINE and the private cache from conftest.py; it does
    # not inherit the tests' TF_CPP_MIN_LOG_LEVEL, so TensorFlow logs as it would for a student.
    pages = course_html.build_html(NOTEBOOKS, out, fast=True, offline=True, timeout=600,
                                   env={"TF_CPP_MIN_LOG_LEVEL": None}, log=None)
    return out, {p.notebook.name: p for p in pages}


def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _stream_lines(nb):
    return [line for o in _outputs(nb) if o.get("output_type") == "stream"
            for line in o.get("text", "").splitlines()]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(path, course):
    nb = course[1][path.name].executed
    errors = [o for o in _outputs(nb) if o.get("output_type") == "error"]
    assert not errors, [f"{o.get('ename')}: {o.get('evalue')}" for o in errors]
    pictures = [o for o in _outputs(nb) if "image/png" in o.get("data", {})]
    assert pictures, "the chapter shows no picture (figures must render as PNG in a notebook)"
    unrendered = [o for o in _outputs(nb) if "image/png" not in o.get("data", {})
                  and str(o.get("data", {}).get("text/plain", "")).startswith("<Figure size")]
    assert not unrendered, "a figure was shown as text instead of a picture"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_output_is_clean(path, course):
    nb = course[1][path.name].executed
    lines = _stream_lines(nb)
    tf_lines = [line for line in lines if quiet.is_tensorflow_log_line(line)]
    assert not tf_lines, f"TensorFlow's C++ log reached the notebook: {tf_lines[:3]}"
    booleans = [o["data"]["text/plain"] for o in _outputs(nb) if o.get("output_type") == "execute_result"
                and o.get("data", {}).get("text/plain", "").strip() in ("True", "False")]
    assert not booleans, "a cell echoed a bare True/False (a check should print its line and return nothing)"
    epochs = [line for line in lines if EPOCH_LINE.match(line.strip())]
    assert not epochs, f"training printed {len(epochs)} 'Epoch k/n' lines: use verbose=0 with progress.EpochTable()"


@pytest.mark.notebook
def test_html_course_has_every_chapter_with_its_figures(course):
    out, pages = course
    assert len(pages) == len(NOTEBOOKS) == 10
    index = (out / course_html.INDEX_FILE).read_text()
    # The index lists the chapters in the course's order.
    positions = [index.index(f'href="{p.stem}.html"') for p in NOTEBOOKS]
    assert positions == sorted(positions)
    for path in NOTEBOOKS:
        page = pages[path.name]
        text = page.page.read_text(encoding="utf-8")
        assert page.figures >= 1 and text.count("data:image/png;base64,") >= page.figures
        assert not page.errors
        stderr_output = 'class="jp-RenderedText jp-OutputArea-output" data-mime-type="application/vnd.jupyter.stderr"'
        assert stderr_output not in text or "Traceback" not in text
        assert page.title and page.title in text
