"""The course as static HTML: every chapter executed, with its outputs and figures, plus an index.

``python -m gan_keras notebooks html [--fast]`` runs each chapter notebook top to bottom in a
fresh kernel (in a temporary working folder, so nothing lands beside the notebooks), writes
``build/html/NN_name.html`` with its outputs and pictures embedded, and ``build/html/index.html``
listing the chapters in the course's order. Students read a chapter with its pictures without
running it; instructors put the folder on a course page. The stored notebooks stay without
outputs.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gan_keras import config, io

INDEX_FILE = "index.html"
DEFAULT_OUT = Path("build") / "html"


@dataclass
class ChapterPage:
    """What building one chapter's page produced."""

    notebook: Path
    page: Path
    title: str
    seconds: float
    figures: int
    cpu_seconds: float | None = None
    errors: list[str] = field(default_factory=list)
    executed: object = None  # the executed nbformat notebook, for tests and tools


def chapter_order(paths) -> list[Path]:
    """Return the notebooks in the course's order (their NN_ prefix, as in the README's table)."""
    paths = [Path(p) for p in paths]
    for p in paths:
        if p.suffix != ".ipynb":
            raise ValueError(f"expected chapter notebooks (.ipynb files), got {p}")
        if not p.is_file():
            raise FileNotFoundError(f"no such notebook: {p}")
        _check_readable(p)

    def key(p: Path):
        m = re.match(r"(\d+)_", p.name)
        return (int(m.group(1)) if m else 10**6, p.name)

    return sorted(paths, key=key)


def _check_readable(path: Path) -> None:
    """Raise a one-line ValueError when a file is not a readable notebook (before any kernel starts)."""
    import nbformat

    try:
        nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several kinds (JSON, validation, Unicode)
        raise ValueError(f"{path} is not a readable notebook ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'empty'})") from None


def title_of(nb) -> str:
    """Return the H1 title of a notebook's first markdown cell (or its file name)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            break
    return ""


def count_figures(nb) -> int:
    """Return how many PNG pictures the executed notebook's outputs hold."""
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))


def error_outputs(nb) -> list[str]:
    """Return a line per error output of the executed notebook (exception name and message)."""
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def kernel_env(fast: bool, offline: bool | None, extra: dict | None = None) -> dict:
    """Return the environment of a chapter's kernel: fast mode and offline mode as asked."""
    env = dict(os.environ)
    env[config.FAST_ENV] = "1" if fast else "0"
    if offline is not None:
        env[config.OFFLINE_ENV] = "1" if offline else "0"
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env.update(extra or {})
    return {k: v for k, v in env.items() if v is not None}


def execute_notebook(path, fast: bool = True, offline: bool | None = None, timeout: int = 3600,
                     env: dict | None = None):
    """Run a chapter notebook top to bottom in a fresh kernel and a temporary folder; return it."""
    return _execute(path, fast, offline, timeout, env)[0]


def _kernel_cpu_seconds(km) -> float | None:
    """Return the CPU time (user + system) the kernel process has used, where /proc tells it."""
    try:
        pid = km.provisioner.process.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, ValueError, IndexError):
        return None


def _execute(path, fast, offline, timeout, env):
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory(prefix="gan_keras_html_") as work:
        # A local socket file instead of TCP: no "running over TCP without encryption" warning.
        km = KernelManager(kernel_name="python3", transport="ipc",
                           connection_file=str(Path(work) / "kernel.json"), ip=str(Path(work) / "kernel"))
        # coalesce_streams: the lines a cell prints one by one (a training table) form one block.
        client = NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3", allow_errors=True,
                                coalesce_streams=True,
                                resources={"metadata": {"path": work}})
        cpu = None
        try:
            client.execute(env=kernel_env(fast, offline, env))
            cpu = _kernel_cpu_seconds(km)
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=False)
    return nb, cpu


def render_page(nb, title: str) -> str:
    """Return a notebook as one self-contained HTML page (pictures embedded)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


_RELATIVE_HREF = re.compile(r'href="(?![a-zA-Z][\w+.-]*:|#|/)([^"#]+)(#[^"]*)?"')


def relink(page: str, notebook_dir, out_dir) -> str:
    """Point a page's relative links (``../course/NN.md``) at the same files from ``out_dir``."""
    notebook_dir, out_dir = Path(notebook_dir).resolve(), Path(out_dir).resolve()

    def fix(m):
        target = (notebook_dir / m.group(1)).resolve()
        return f'href="{Path(os.path.relpath(target, out_dir)).as_posix()}{m.group(2) or ""}"'

    return _RELATIVE_HREF.sub(fix, page)


def render_index(pages: list[ChapterPage], fast: bool) -> str:
    """Return the index page: the chapters in order, with their figures and build time."""
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(p.page.name)}">{html.escape(p.title or p.notebook.stem)}</a></td>'
        f"<td>{p.figures}</td><td>{p.seconds:.0f} s</td>"
        f"<td>{'' if p.cpu_seconds is None else f'{p.cpu_seconds:.0f} s'}</td>"
        f"<td>{'errors: ' + html.escape('; '.join(p.errors)) if p.errors else 'ok'}</td></tr>"
        for p in pages)
    mode = "fast mode (tiny data, few epochs)" if fast else "the full course settings"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gan_keras: the course</title>
<style>body{{font-family:sans-serif;max-width:48em;margin:2em auto}}td,th{{padding:.3em .8em;text-align:left}}</style>
</head><body>
<h1>gan_keras: the course</h1>
<p>Every chapter notebook, executed top to bottom in {mode}, with its outputs and figures.
The lecture notes are in <code>course/</code>; the notebooks to run are in <code>notebooks/</code>.</p>
<table><tr><th>chapter</th><th>figures</th><th>built in (wall)</th><th>kernel CPU</th><th>status</th></tr>
{rows}
</table></body></html>
"""


def build_html(paths=None, out=DEFAULT_OUT, fast: bool = True, offline: bool | None = None,
               timeout: int = 3600, env: dict | None = None, log=print) -> list[ChapterPage]:
    """Execute each chapter and write its HTML page and the index into ``out``; return the pages.

    ``offline=None`` keeps the current setting (``GAN_KERAS_OFFLINE``); with no internet the
    chapters fall back to their offline data and random weights by themselves.
    """
    if paths is None:
        paths = sorted(Path("notebooks").glob("*.ipynb"))
        if not paths:
            raise FileNotFoundError("no notebooks/*.ipynb here: run this in the course repository, "
                                    "or name the notebooks")
    paths = chapter_order(paths)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out must be a folder, but {out} is a file")
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for k, path in enumerate(paths, 1):
        start = time.perf_counter()
        nb, cpu = _execute(path, fast, offline, timeout, env)
        seconds = time.perf_counter() - start
        title = title_of(nb) or path.stem
        page = out / f"{path.stem}.html"
        io.write_text(page, relink(render_page(nb, title), path.parent, out))
        result = ChapterPage(path, page, title, seconds, count_figures(nb), cpu, error_outputs(nb), nb)
        pages.append(result)
        if log:
            status = f"{len(result.errors)} error(s)" if result.errors else "ok"
            cpu_text = "" if cpu is None else f" ({cpu:.0f} CPU-s)"
            log(f"[{k}/{len(paths)}] {path.stem}: {seconds:.0f} s{cpu_text}, {result.figures} figures, "
                f"{status} -> {page}")
    io.write_text(out / INDEX_FILE, render_index(pages, fast))
    if log:
        log(f"wrote {out / INDEX_FILE}")
    return pages
