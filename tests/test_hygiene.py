"""Notebook and course hygiene: what a student meets first works the first time.

Data-driven: every notebook in notebooks/ and every note in course/ is checked, whatever
chapters exist. The checker itself (tools/nbtool.py) is shown to fail on small bad examples
in tests/data/hygiene/. Executing the notebooks is tests/test_notebooks.py's job; nothing
here starts a kernel.
"""

import copy
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_keras import config  # noqa: E402
from gan_keras.app import doctor, notebook  # noqa: E402
from gan_keras.checks import REGISTRY  # noqa: E402
from tools import nbtool  # noqa: E402

DATA = ROOT / "tests" / "data" / "hygiene"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOTES = sorted((ROOT / "course").glob("*.md"))
CHAPTER_NOTES = [p for p in NOTES if nbtool.CHAPTER_NAME.match(p.stem)]


def _exercise_notebooks():
    found = []
    for path in NOTEBOOKS:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue  # reported by test_notebook_is_clean
        if any(notebook.exercise_id(c) for c in nb.get("cells", [])):
            found.append(path)
    return found


EXERCISE_NOTEBOOKS = _exercise_notebooks()


# ------------------------------------------------------------------ the course as it is

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean(path):
    """No outputs, one H1, the Colab badge, the shared setup cell, a resolving link to its note."""
    problems = nbtool.notebook_problems(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTES, ids=[p.stem for p in NOTES])
def test_course_note_is_clean(path):
    """A chapter note links to its notebook; every relative link of every note resolves."""
    problems = nbtool.note_problems(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_its_lecture_note(path):
    assert (ROOT / "course" / f"{path.stem}.md").is_file(), f"course/{path.stem}.md is missing"


@pytest.mark.parametrize("path", CHAPTER_NOTES, ids=[p.stem for p in CHAPTER_NOTES])
def test_every_chapter_note_has_its_notebook(path):
    assert (ROOT / "notebooks" / f"{path.stem}.ipynb").is_file(), f"notebooks/{path.stem}.ipynb is missing"


def _notebook_exercise_ids():
    found = {}
    for path in NOTEBOOKS:
        for cell in notebook.read_notebook(path)["cells"]:
            if notebook.exercise_id(cell):
                found.setdefault(notebook.exercise_id(cell), []).append(path.name)
    return found


def test_every_exercise_of_a_present_chapter_is_in_exactly_one_notebook():
    """A registered check whose chapter exists is used by one exercise cell, in that chapter."""
    used = _notebook_exercise_ids()
    present = {int(p.stem[:2]) for p in NOTEBOOKS if nbtool.CHAPTER_NAME.match(p.stem)}
    problems = []
    for ex_id in REGISTRY:
        if int(ex_id.split(".")[0]) in present and len(used.get(ex_id, [])) != 1:
            problems.append(f"exercise {ex_id} appears in {used.get(ex_id, [])} (expected one notebook)")
    assert not problems, "\n".join(problems)


def test_syllabus_lists_every_registered_exercise():
    text = (ROOT / "course" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+\.\d+) \| [^|]+ \| `checks\.(\w+)` \| `([\w.]+)` \|$", text, re.M)
    listed = {ex_id: (check, reference) for ex_id, check, reference in rows}
    assert len(listed) == len(rows), "an exercise is listed twice in course/README.md"
    for ex_id, ex in REGISTRY.items():
        assert ex_id in listed, f"course/README.md's exercise table lacks exercise {ex_id} ({ex.title})"
        assert listed[ex_id] == (ex.check.__name__, str(ex.reference).replace(":", ".")), ex_id
    stale = sorted(set(listed) - set(REGISTRY))
    assert not stale, f"course/README.md lists exercises that are not registered: {stale}"


def test_setup_cell_pins_the_release_of_the_package():
    """Colab installs the tag of this package version, and the badges open the same tag."""
    from gan_keras import __version__

    assert config.REPOSITORY_REF == f"v{__version__}"
    assert f"github.com/{config.REPOSITORY}@{config.REPOSITORY_REF}" in nbtool.SETUP_SOURCE
    assert f"/blob/{config.REPOSITORY_REF}/notebooks/" in config.colab_url("01_x.ipynb")
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(rf'^version = "{re.escape(__version__)}"', pyproject, re.M)


def test_repository_address_lives_in_one_place():
    """Only gan_keras/config.py spells the repository out; everything else derives from it."""
    spelled = []
    for path in list((ROOT / "gan_keras").rglob("*.py")) + list((ROOT / "tools").glob("*.py")):
        if path.name != "config.py" and config.REPOSITORY in path.read_text(encoding="utf-8"):
            spelled.append(str(path.relative_to(ROOT)))
    assert not spelled, f"the repository address is hard-coded in {spelled}; use gan_keras.config"


# ------------------------------------------------------------------ README chapter table

def _readme_rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Chapters", 1)
    assert len(section) == 2, "README.md has no '## Chapters' section with the chapter table"
    body = section[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|") and "](notebooks/" in line]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in rows]


def test_readme_table_has_one_complete_row_per_chapter():
    rows = _readme_rows()
    listed = [re.search(r"\]\(notebooks/([^)]+\.ipynb)\)", " ".join(r)).group(1) for r in rows]
    stored = [p.name for p in NOTEBOOKS]
    assert sorted(listed) == sorted(set(listed)), f"chapters listed twice: {listed}"
    missing = sorted(set(stored) - set(listed))
    stale = sorted(set(listed) - set(stored))
    assert not missing, f"README chapter table lacks {missing}"
    assert not stale, f"README chapter table lists notebooks that do not exist: {stale}"
    for row, name in zip(rows, listed):
        stem = name[:-len(".ipynb")]
        line = " | ".join(row)
        assert len(row) == 7, f"{name}: expected 7 columns (#, notebook, note, Colab, trains, GPU, CPU): {row}"
        assert f"](course/{stem}.md)" in row[2], f"{name}: the lecture-note column must link course/{stem}.md"
        assert f"[![Open In Colab]({nbtool.BADGE_IMAGE})]({config.colab_url(name)})" in row[3], \
            f"{name}: the Colab column must hold the badge pointing at {config.colab_url(name)}"
        assert len(row[4]) > 10, f"{name}: say what the chapter trains: {line}"
        for column, label in ((5, "Colab GPU"), (6, "laptop CPU")):
            assert re.search(r"\d", row[column]) and re.search(r"\((measured|estimated)\b", row[column]), \
                f"{name}: the {label} time must be a time marked (measured ...) or (estimated ...): {row[column]!r}"


def test_readme_links_resolve():
    problems = nbtool.link_problems((ROOT / "README.md").read_text(encoding="utf-8"), ROOT, "README.md")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the checker itself

def _good_chapter(root: Path) -> Path:
    """Write a clean two-exercise chapter and its note under root/notebooks and root/course."""
    (root / "notebooks").mkdir(parents=True)
    (root / "course").mkdir()
    name = "02_demo.ipynb"
    nb = nbtool.chapter(name, "Chapter 02 — a demo", "What this chapter does.", note="02_demo.md")
    nb.cells += [
        nbtool.md("## Losses\n\nA code block is not a heading:\n\n```python\n# not a title\n```"),
        nbtool.code("from gan_keras import checks"),
        nbtool.exercise("2.1", "def discriminator_loss(real_logits, fake_logits):\n"
                               "    raise NotImplementedError('exercise 2.1')"),
        nbtool.check("checks.check_discriminator_loss(discriminator_loss)"),
        nbtool.exercise("2.2", "def my_generator_loss(fake_logits):\n"
                               "    raise NotImplementedError('exercise 2.2')"),
        nbtool.check("checks.check_generator_loss(my_generator_loss)"),
    ]
    path = root / "notebooks" / name
    nbtool.save(nb, path)
    (root / "course" / "02_demo.md").write_text(
        "# 02 — a demo\n\nNotebook: [02_demo.ipynb](../notebooks/02_demo.ipynb)\n")
    return path


def test_checker_passes_a_clean_chapter(tmp_path):
    path = _good_chapter(tmp_path)
    assert nbtool.notebook_problems(path) == []
    assert nbtool.note_problems(tmp_path / "course" / "02_demo.md") == []
    assert nbtool.course_problems(tmp_path) == []


def test_checker_fails_on_the_bad_examples():
    """The stored bad examples: a notebook saved with outputs, a note with broken links."""
    problems = nbtool.notebook_problems(DATA / "notebooks" / "01_with_outputs.ipynb")
    assert any("stored with outputs" in p for p in problems), problems
    assert any("execution count" in p for p in problems), problems
    problems = nbtool.note_problems(DATA / "course" / "02_broken_link.md")
    assert any("broken link '../notebooks/02_broken_link.ipynb'" in p for p in problems), problems
    assert any("broken link 'figures/02_missing.png'" in p for p in problems), problems
    assert len(problems) == 2, problems  # the working relative link and the web address pass
    problems = nbtool.course_problems(DATA)
    assert any("01_with_outputs.ipynb" in p for p in problems)
    assert any("02_broken_link.md" in p for p in problems)


def _mutated(tmp_path, change):
    path = _good_chapter(tmp_path)
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, str(path))
    return nbtool.notebook_problems(path)


def _retitle(nb, old, new):
    nb.cells[0].source = nb.cells[0].source.replace(old, new)


@pytest.mark.parametrize("change, expected", [
    (lambda nb: nb.cells.append(nbtool.md("# A second title")), "exactly one H1"),
    (lambda nb: _retitle(nb, "# Chapter 02", "## Chapter 02"), "exactly one H1"),
    (lambda nb: _retitle(nb, "/blob/", "/tree/"), "Colab badge"),
    (lambda nb: _retitle(nb, "02_demo.ipynb)", "03_other.ipynb)"), "Colab badge"),
    (lambda nb: setattr(nb.cells[1], "source", nb.cells[1].source.replace("-q ", "")), "setup cell"),
    (lambda nb: nb.cells.insert(1, nbtool.code("import os")), "setup cell"),
    (lambda nb: _retitle(nb, "../course/02_demo.md", "../course/02_missing.md"), "broken link"),
    (lambda nb: _retitle(nb, "Lecture notes: [02_demo.md](../course/02_demo.md)", ""), "lecture note"),
    (lambda nb: nb.cells.pop(), "no later check cell"),
    (lambda nb: nb.cells[-2].metadata["gan_keras"].update(exercise="3.9"), "not registered"),
    (lambda nb: setattr(nb.cells[-2], "source", "def my_generator_loss(x):\n    return x"), "not a stub"),
    (lambda nb: nb.metadata.update(widgets={"state": {}}), "widget state"),
])
def test_checker_fails_on_each_kind_of_mistake(tmp_path, change, expected):
    problems = _mutated(tmp_path, change)
    assert any(expected in p for p in problems), problems


def test_checker_reads_links_and_titles_outside_code():
    text = ("# Title\n\n```bash\n# a comment, not a title\n[x](missing.md)\n```\n\n"
            "Setext title\n============\n\n`[y](inline.md)` [z](real.md) <img src=\"pic.png\">\n"
            "$$\n\\mathbb{E}[\\log D](x)\n$$ and $D \\in [0, 1](x)$ are math, costs 5$ are not.\n")
    assert nbtool.h1_titles(text) == ["Title", "Setext title"]
    assert nbtool.links(text) == ["real.md", "pic.png"]


def test_checker_follows_anchors_into_markdown(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## Glossary — 용어집\n\n## How `checks` work (ids)\n")
    text = ("# Here\n\n## A section\n\n[a](#a-section) [b](other.md#glossary--용어집) "
            "[c](other.md#how-checks-work-ids) [d](#missing) [e](other.md#nowhere)\n")
    problems = nbtool.link_problems(text, tmp_path, "x.md")
    assert [p.split("'")[1] for p in problems] == ["#missing", "other.md#nowhere"], problems


def test_refresh_reapplies_setup_cell_and_badge_only(tmp_path):
    path = _good_chapter(tmp_path)
    nb = nbformat.read(path, as_version=4)
    original = copy.deepcopy(nb)
    nb.cells[1].source = nb.cells[1].source.replace("@v", "@old-ref-v")
    _retitle(nb, "/blob/", "/blob/old-ref/../")
    assert nbtool.notebook_problems(_write(nb, path))
    nbtool.refresh(nb, path.name)
    assert nbtool.notebook_problems(_write(nb, path)) == []
    assert [c.source for c in nb.cells] == [c.source for c in original.cells]


def _write(nb, path):
    nbformat.write(nb, str(path))
    return path


# ------------------------------------------------------------------ setup cell behaviour

def test_version_check_explains_what_to_install():
    assert doctor.check_versions("2.21.0", "3.15.1") == []
    assert "newer than" in doctor.check_versions("2.23.0", "3.15.1")[0]
    for tf_version, keras_version, expected in (("2.21.0", "2.15.0", "needs Keras 3"),
                                                ("2.21.0", "3.1.0", "keras>=3.3"),
                                                ("2.12.0", "3.15.1", "tensorflow>=2.16")):
        with pytest.raises(RuntimeError, match=re.escape(expected)):
            doctor.check_versions(tf_version, keras_version)


def test_gpu_message_says_what_no_gpu_means():
    message = notebook.gpu_message([], fast=False)
    assert "No GPU" in message and "Laptop CPU" in message and "GAN_KERAS_FAST=1" in message
    assert "GAN_KERAS_FAST=1" not in notebook.gpu_message([], fast=True)


# ------------------------------------------------------------------ instructor view

def _run_exercises(nb):
    """Execute each exercise cell alone and run its registered check; return {id: outcome}."""
    outcomes = {}
    for cell in nb["cells"]:
        ex_id = notebook.exercise_id(cell) or cell.get("metadata", {}).get("gan_keras", {}).get("exercise")
        if not ex_id or cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        namespace = {}
        exec(compile(source, f"<exercise {ex_id}>", "exec"), namespace)  # noqa: S102
        fn = namespace[notebook.defined_name(source)]
        outcomes[ex_id] = REGISTRY[ex_id].check(fn, quiet=True)
    return outcomes


def test_solutions_and_student_versions_come_from_one_source(tmp_path):
    path = _good_chapter(tmp_path)
    stored = notebook.read_notebook(path)
    student = notebook.student_notebook(stored)
    assert student == stored  # the student version is the stored notebook
    solutions = notebook.solutions_notebook(stored)
    assert _run_exercises(student) == {"2.1": False, "2.2": False}  # stubs: not attempted
    assert _run_exercises(solutions) == {"2.1": True, "2.2": True}  # references: correct
    # Everything but the exercise cells (and the banner under the title) is the same.
    same = [i for i, c in enumerate(stored["cells"]) if solutions["cells"][i] == c]
    assert len(same) == len(stored["cells"]) - 3
    assert "def my_generator_loss(fake_logits)" in "".join(solutions["cells"][-2]["source"])


@pytest.mark.parametrize("path", EXERCISE_NOTEBOOKS, ids=[p.stem for p in EXERCISE_NOTEBOOKS])
def test_solutions_version_of_chapter_passes_its_checks(path):
    """Every exercise of the chapter, filled with the package's reference, passes its check."""
    solutions = notebook.solutions_notebook(notebook.read_notebook(path))
    outcomes = _run_exercises(solutions)
    assert outcomes and all(outcomes.values()), outcomes


def test_notebooks_command_writes_both_versions(tmp_path, capsys):
    """`python -m gan_keras notebooks solutions|student` (run in-process: no second TensorFlow)."""
    from gan_keras.app import cli

    path = _good_chapter(tmp_path)
    for version in ("solutions", "student"):
        assert cli.main(["notebooks", version, str(path), "--out", str(tmp_path / version)]) == 0
        assert f"wrote {tmp_path / version / path.name}" in capsys.readouterr().out
        nbformat.validate(nbformat.read(tmp_path / version / path.name, as_version=4))
    assert "Solution: the package's reference" in (tmp_path / "solutions" / path.name).read_text()
    assert notebook.read_notebook(tmp_path / "student" / path.name) == notebook.read_notebook(path)
    assert cli.main(["notebooks", "solutions", str(tmp_path / "nope.ipynb")]) == 2
    assert "no notebook at" in capsys.readouterr().err
    assert cli.main(["notebooks", "solutions", str(path), "--out", str(path.parent)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
