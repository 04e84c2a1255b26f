"""Authoring notebooks for the course: the shared setup cell, headers, exercises, stripping.

Chapters are stored as .ipynb without outputs. Write or edit them with nbformat, e.g.::

    from tools.nbtool import chapter, md, code, exercise, check, save
    nb = chapter("03_dcgan.ipynb", "Chapter 03 — DCGAN", "overview text ...")
    nb.cells += [md("## ..."), code("..."), exercise("3.1", "def f(...): ..."), check("...")]
    save(nb, "notebooks/03_dcgan.ipynb")

Commands (run from the repository root)::

    python tools/nbtool.py strip notebooks/*.ipynb     # remove outputs in place
    python tools/nbtool.py check                       # hygiene of notebooks/ and course/ (what CI tests)
    python tools/nbtool.py refresh notebooks/*.ipynb   # re-apply SETUP_SOURCE and the Colab badge

``refresh`` is for when ``SETUP_SOURCE`` or ``gan_keras.config.REPOSITORY``/``REPOSITORY_REF``
change: it rewrites only the setup cell and the badge line, nothing else of a chapter.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_keras import config  # noqa: E402

# The first code cell of every chapter, identical everywhere (a test keeps it so).
SETUP_SOURCE = f'''# Setup (the same in every chapter): install in Colab, check versions, read the fast-mode switch.
import sys

if "google.colab" in sys.modules:  # Colab: install the course's package at its pinned release
    %pip install -q "gan_keras @ git+https://github.com/{config.REPOSITORY}@{config.REPOSITORY_REF}"

try:
    import gan_keras.app.notebook
except ModuleNotFoundError as exc:  # outside Colab the package comes from the repository
    raise ModuleNotFoundError("gan_keras is not installed in this kernel: run `pip install -r requirements.txt` "
                              "in the course repository, then restart the kernel") from exc

FAST = gan_keras.app.notebook.setup()  # True when GAN_KERAS_FAST=1: tiny settings, seconds per cell'''


BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def badge(notebook_name: str) -> str:
    """Return the markdown of the Open-in-Colab badge of a notebook."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({config.colab_url(notebook_name)})"


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


# ----------------------------------------------------------------------------------------
# Hygiene: what tests/test_hygiene.py checks, usable before a commit (`python tools/nbtool.py check`).

CHAPTER_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+$")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_LINK = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_MATH = re.compile(r"\$\$.*?\$\$|(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$", re.S)


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def prose(markdown: str) -> str:
    """Return markdown without code blocks, inline code and LaTeX math (where links and headings are not)."""
    return _MATH.sub("", _INLINE_CODE.sub("", _FENCE.sub("", markdown)))


def links(markdown: str) -> list[str]:
    """Return the targets of the markdown and HTML links and images in a text, in order."""
    text = prose(markdown)
    return _LINK.findall(text) + _HTML_LINK.findall(text)


def h1_titles(markdown: str) -> list[str]:
    """Return the level-1 headings of a markdown text (ATX `# x`, setext `x\n===`, `<h1>`)."""
    text = prose(markdown)
    titles = [m.group(1).strip() for m in re.finditer(r"^ {0,3}#[ \t]+(.+?)[ \t#]*$", text, re.M)]
    titles += [m.group(1).strip() for m in re.finditer(r"^([^\n#>|-][^\n]*)\n {0,3}=+[ \t]*$", text, re.M)]
    titles += re.findall(r"<h1[^>]*>(.*?)</h1>", text, re.I | re.S)
    return titles


def anchors(markdown: str) -> set[str]:
    """Return the anchors GitHub makes for the headings of a markdown text."""
    found = set()
    for m in re.finditer(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", _FENCE.sub("", markdown), re.M):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1)).replace("`", "").lower()
        found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


def link_problems(markdown: str, base: Path, where: str) -> list[str]:
    """Return one line per relative link of a text whose target (or its #anchor in a .md) does not exist."""
    problems = []
    for target in links(markdown):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
            continue  # web addresses, mailto:
        path, _, anchor = target.split("?", 1)[0].partition("#")
        file = (base / unquote(path)) if path else None
        if file is not None and not file.exists():
            problems.append(f"{where}: broken link {target!r} ({file.resolve()} does not exist)")
            continue
        if anchor and (file is None or file.suffix == ".md"):
            text = markdown if file is None else file.read_text(encoding="utf-8")
            if unquote(anchor).lower() not in anchors(text):
                problems.append(f"{where}: broken link {target!r} (no heading makes the anchor #{anchor})")
    return problems


def notebook_problems(path) -> list[str]:
    """Return every hygiene problem of a chapter notebook (an empty list when it is clean)."""
    path = Path(path)
    name = path.name
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # not JSON, not a notebook
        return [f"{name}: not a readable notebook ({type(exc).__name__}: {exc})"]
    problems = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"{name}: invalid nbformat ({exc.message})")
    stem = path.stem
    if not CHAPTER_NAME.match(stem):
        problems.append(f"{name}: expected a name like 'NN_topic.ipynb' (two digits, lower case)")
    cells = nb.cells
    code_cells = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    for i, cell in code_cells:
        if cell.get("outputs"):
            problems.append(f"{name}: cell {i} is stored with outputs (strip: python tools/nbtool.py strip {path})")
        if cell.get("execution_count") is not None:
            problems.append(f"{name}: cell {i} is stored with execution count {cell.execution_count}")
    if "widgets" in nb.metadata:
        problems.append(f"{name}: widget state stored in the notebook metadata")
    markdown = [(i, _text(c)) for i, c in enumerate(cells) if c.cell_type == "markdown"]
    titles = [t for _, text in markdown for t in h1_titles(text)]
    if len(titles) != 1:
        problems.append(f"{name}: expected exactly one H1 title, found {len(titles)}: {titles}")
    first = _text(cells[0]) if cells and cells[0].cell_type == "markdown" else ""
    if not first or not h1_titles(first):
        problems.append(f"{name}: the first cell must be markdown starting with the H1 title")
    url = config.colab_url(name)
    if f"[![Open In Colab]({BADGE_IMAGE})]({url})" not in first:
        found = [t for t in links(first) if "colab.research.google.com/github" in t]
        problems.append(f"{name}: the first cell needs the Colab badge pointing at {url}"
                        + (f" (found {found})" if found else ""))
    setup_cells = [i for i, c in code_cells if _text(c) == SETUP_SOURCE]
    if not code_cells or _text(code_cells[0][1]) != SETUP_SOURCE:
        problems.append(f"{name}: the first code cell must be the shared setup cell, identical to "
                        "tools/nbtool.SETUP_SOURCE (python tools/nbtool.py refresh " + str(path) + ")")
    elif len(setup_cells) != 1:
        problems.append(f"{name}: the setup cell appears {len(setup_cells)} times")
    note = f"../course/{stem}.md"
    all_links = [t for _, text in markdown for t in links(text)]
    if note not in all_links:
        problems.append(f"{name}: no link to its lecture note {note}")
    for i, text in markdown:
        problems += link_problems(text, path.parent, f"{name} cell {i}")
    problems += exercise_problems(path, cells)
    return problems


def exercise_problems(path, cells) -> list[str]:
    """Return problems of the exercise cells: registered id of this chapter, a stub, a check after it."""
    from gan_keras.app.notebook import defined_name, exercise_id
    from gan_keras.checks import REGISTRY

    name = Path(path).name
    match = CHAPTER_NAME.match(Path(path).stem)
    problems = []
    for i, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code" or "exercise" not in tags:
            continue
        ex_id = exercise_id(cell)
        if ex_id is None:
            problems.append(f"{name}: exercise cell {i} has no metadata gan_keras.exercise (use nbtool.exercise())")
            continue
        if ex_id not in REGISTRY:
            problems.append(f"{name}: exercise {ex_id} (cell {i}) is not registered in gan_keras.checks")
        if match and ex_id.split(".")[0] != str(int(match.group(1))):
            problems.append(f"{name}: exercise {ex_id} (cell {i}) is numbered for another chapter")
        source = _text(cell)
        if "NotImplementedError" not in source:
            problems.append(f"{name}: exercise {ex_id} (cell {i}) is not a stub raising NotImplementedError")
        fn = defined_name(source)
        later = [_text(c) for c in cells[i + 1:]
                 if c.cell_type == "code" and "check" in c.get("metadata", {}).get("tags", [])]
        if not fn or not any(re.search(rf"\b{re.escape(fn)}\b", text) for text in later):
            problems.append(f"{name}: exercise {ex_id} (cell {i}) has no later check cell calling {fn}")
    return problems


def note_problems(path) -> list[str]:
    """Return every hygiene problem of a lecture note: a link to its notebook, links that resolve."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    problems = link_problems(text, path.parent, path.name)
    if CHAPTER_NAME.match(path.stem):
        notebook = f"../notebooks/{path.stem}.ipynb"
        if notebook not in links(text):
            problems.append(f"{path.name}: no link to its notebook {notebook}")
        titles = h1_titles(text)
        if len(titles) != 1:
            problems.append(f"{path.name}: expected exactly one H1 title, found {len(titles)}: {titles}")
    return problems


def course_problems(root=ROOT) -> list[str]:
    """Return the hygiene problems of every notebook in notebooks/ and note in course/."""
    root = Path(root)
    problems = []
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        problems += notebook_problems(nb)
    for note in sorted((root / "course").glob("*.md")):
        problems += note_problems(note)
    return problems


def refresh(nb, notebook_name: str):
    """Re-apply the shared setup cell and the Colab badge to a notebook in place; return it."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code_cells if "setup" in c.metadata.get("tags", [])]
    target = tagged[0] if tagged else (code_cells[0] if code_cells else None)
    if target is None or "gan_keras.app.notebook" not in _text(target):
        raise ValueError(f"{notebook_name}: found no setup cell to refresh (expected the first code "
                         "cell, tagged 'setup', calling gan_keras.app.notebook.setup())")
    target.source = SETUP_SOURCE
    first = nb.cells[0]
    badge_re = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
    if first.cell_type == "markdown" and badge_re.search(_text(first)):
        first.source = badge_re.sub(lambda m: badge(notebook_name), _text(first), count=1)
    return nb


def _main(argv) -> int:
    usage = ("usage: python tools/nbtool.py strip NOTEBOOK... | refresh NOTEBOOK... | "
             "check [NOTEBOOK_OR_NOTE...]")
    if not argv or argv[0] not in {"strip", "refresh", "check"}:
        print(usage, file=sys.stderr)
        return 2
    command, names = argv[0], argv[1:]
    if command == "check":
        if names:
            problems = [p for n in names for p in (notebook_problems(n) if n.endswith(".ipynb")
                                                     else note_problems(n))]
        else:
            problems = course_problems()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s)" if problems else "clean")
        return 1 if problems else 0
    if not names:
        print(usage, file=sys.stderr)
        return 2
    for name in names:
        nb = nbformat.read(name, as_version=4)
        if command == "refresh":
            before = nbformat.writes(nb)
            refresh(nb, Path(name).name)
            if nbformat.writes(nb) == before:
                print(f"unchanged {name}")
                continue
        save(nb, name)
        print(f"{'stripped' if command == 'strip' else 'refreshed'} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
