"""Fast mode is small wherever it runs: every notebook's fast settings, read from its code, are bounded.

The README promises that fast mode (``GAN_KERAS_FAST=1``) runs any chapter "in about a minute
anywhere". Timing stays out of the tests; instead this reads each notebook's ``X if FAST else Y``
constants and its data-loading calls and checks them against bounds. Online, MNIST has 60 000
training images where the offline stand-in has 1437: a load without a limit is bounded in fast
mode by ``data.FAST_MODE_LIMITS``, which a test with a faked download checks.
"""

import ast
from pathlib import Path

import numpy as np
import pytest

from gan_keras import data
from gan_keras.app.notebook import read_notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
DIGITS = {"train": 1437, "test": 360}  # the scikit-learn stand-in, the same online and offline

MAX_IMAGES = 2048      # images (or points, pairs, samples) a fast chapter trains or measures on
MAX_EPOCHS = 3
MAX_STEPS = 200        # optimisation steps of a loop that is not counted in epochs
MAX_IMAGE_SIZE = 150   # pixels of the longer side (chapters 05 and 06)
MAX_OCTAVES = 2
# What each fast constant is, by its name: (words in the name, bound on its fast value).
RULES = (
    (("step",), MAX_STEPS),  # before "epoch": steps_per_epoch counts steps
    (("epoch", "stages"), MAX_EPOCHS),
    (("limit", "num_pairs", "num_images", "num_points", "num_samples"), MAX_IMAGES),
    (("image_size",), MAX_IMAGE_SIZE),
    (("octave",), MAX_OCTAVES),
)
NOT_A_COST = ("every", "batch_size")  # how often to draw, how many per batch: not more work
LOADERS = {"load_images", "load_pix2pix_pairs", "load_sr_pairs", "load_unpaired"}


def _code(path):
    nb = read_notebook(path)
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            for line in "".join(cell["source"]).splitlines():
                stripped = line.lstrip()
                # A magic or shell line is not Python: keep its indentation, do nothing.
                lines.append(line[: len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line)
    return ast.parse("\n".join(lines))


def _is_fast_switch(node) -> bool:
    return isinstance(node, ast.IfExp) and isinstance(node.test, ast.Name) and node.test.id == "FAST"


def fast_settings(tree) -> dict:
    """Return ``{name: fast value}`` for ``name = A if FAST else B`` and ``f(name=A if FAST else B)``."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_fast_switch(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = ast.literal_eval(node.value.body)
        elif isinstance(node, ast.keyword) and node.arg and _is_fast_switch(node.value):
            found[node.arg] = ast.literal_eval(node.value.body)
    return found


def data_loads(tree, settings) -> list:
    """Return ``(call, dataset, split, images kept in fast mode)`` for every data-loading call."""
    loads = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOADERS):
            continue
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        dataset = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        split = kwargs["split"].value if "split" in kwargs else "train"
        limit = kwargs.get("limit")
        if isinstance(limit, ast.Name):
            limit = settings[limit.id]
        elif isinstance(limit, ast.Constant):
            limit = limit.value
        if dataset == "digits":
            kept = min(limit or DIGITS[split], DIGITS[split])
        elif node.func.attr == "load_images":
            kept = limit if limit is not None else data.FAST_MODE_LIMITS[split]
        else:
            kept = limit  # another dataset through a pairs loader: only a limit bounds it
        loads.append((ast.unparse(node)[:80], dataset, split, kept))
    return loads


def _bound(name):
    for words, bound in RULES:
        if any(w in name for w in words):
            return bound
    return None


def _largest(value):
    if isinstance(value, (list, tuple)):
        return max(value)
    return value


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_fast_settings_are_bounded(path):
    tree = _code(path)
    settings = fast_settings(tree)
    problems = []
    for name, value in settings.items():
        if any(w in name for w in NOT_A_COST):
            continue
        if name.startswith("table_") and isinstance(value, (list, tuple)):
            if len(value) > 1:
                problems.append(f"{name} = {value}: a fast table runs one setting, not {len(value)}")
            continue
        bound = _bound(name)
        if bound is None:
            problems.append(f"{name} = {value!r}: an unknown fast setting (give it a bound in RULES)")
        elif value is None or _largest(value) > bound:
            problems.append(f"{name} = {value!r} in fast mode, more than {bound}")
    for call, dataset, split, kept in data_loads(tree, settings):
        if kept is None or kept > MAX_IMAGES:
            problems.append(f"{call}: keeps {kept} {split} images of {dataset} in fast mode (at most {MAX_IMAGES})")
    assert not problems, "\n".join(problems)


def test_the_reader_finds_what_a_notebook_sets():
    tree = ast.parse(
        "n = 4 if FAST else 40\nlimit = 512 if FAST else None\n"
        "d = data.load_images('mnist', limit=limit)\nt = data.load_images('mnist', split='test')\n"
        "u = data.load_images('digits')\nfit(x, epochs=2 if FAST else 9)\n")
    settings = fast_settings(tree)
    assert settings == {"n": 4, "limit": 512, "epochs": 2}
    kept = [load[1:] for load in data_loads(tree, settings)]
    assert sorted(kept, key=str) == sorted([("mnist", "train", 512), ("mnist", "test", data.FAST_MODE_LIMITS["test"]),
                                            ("digits", "train", 1437)], key=str)


def test_every_chapter_is_read():
    assert len(NOTEBOOKS) == 10
    counts = {p.stem[:2]: len(fast_settings(_code(p))) for p in NOTEBOOKS}
    assert all(n >= 1 for n in counts.values()), counts


def _fake_mnist(monkeypatch):
    calls = []

    def download(name):
        calls.append(name)
        rng = np.random.default_rng(0)
        return ((rng.integers(0, 256, (60_000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 60_000)),
                (rng.integers(0, 256, (10_000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 10_000)))

    monkeypatch.setattr(data, "_download", download)
    return calls


def test_online_mnist_is_bounded_in_fast_mode(monkeypatch, capsys):
    calls = _fake_mnist(monkeypatch)
    train = data.load_images("mnist", offline=False)
    test = data.load_images("mnist", split="test", offline=False)
    assert calls == ["mnist", "mnist"] and train.name == "mnist"
    assert len(train) == data.FAST_MODE_LIMITS["train"] and len(test) == data.FAST_MODE_LIMITS["test"]
    assert "fast mode keeps 2048 of the 60000 mnist train images" in capsys.readouterr().err
    # An explicit limit is kept as asked; the same subset every time (fixed seed).
    assert len(data.load_images("mnist", limit=5000, offline=False)) == 5000
    again = data.load_images("mnist", offline=False)
    assert np.array_equal(again.images, train.images)
    # Offline the stand-in is below the bound and stays whole.
    assert len(data.load_images("digits")) == DIGITS["train"]


def test_full_mode_keeps_every_image(monkeypatch):
    _fake_mnist(monkeypatch)
    monkeypatch.setenv("GAN_KERAS_FAST", "0")
    assert data.fast_mode_limit("train") is None
    assert len(data.load_images("mnist", offline=False)) == 60_000
