"""Run chapter notebooks end to end with their full settings, offline, and print their CPU time.

    GAN_KERAS_OFFLINE=1 python benchmarks/notebook_cpu.py 02 05          # chapters by number
    GAN_KERAS_OFFLINE=1 python benchmarks/notebook_cpu.py 02 --json out.json

Each notebook runs in its own process (nbclient, a fresh kernel, a temporary folder, fast mode
off, offline). The CPU time is user + system of that process and of the kernel it waited
for (``os.wait4``), so it includes about 5 s of start-up (TensorFlow imported twice); unlike the
wall time it barely depends on what else runs on the machine. Prints one Markdown row per
notebook; numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from quality_03_04 import machine  # the benchmarks' one description of the CPU (this folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]

RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=7200, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
sys.exit(1 if errors else 0)
"""


def run(path: Path) -> dict:
    env = dict(os.environ)
    env.pop("GAN_KERAS_FAST", None)  # the notebook's full settings
    env["GAN_KERAS_OFFLINE"] = "1"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nb_cpu_") as folder:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", RUNNER, str(path), folder], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    return {"notebook": path.name, "ok": os.waitstatus_to_exitcode(status) == 0,
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "wall_s": round(wall, 1),
            "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="+", help="chapter numbers, e.g. 02 05")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args()
    paths = []
    for chapter in args.chapters:
        found = sorted((ROOT / "notebooks").glob(f"{int(chapter):02d}_*.ipynb"))
        if not found:
            parser.error(f"no notebook for chapter {chapter!r}")
        paths.extend(found)
    print(f"Machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| notebook | ran without error | CPU s (kernel included) | wall s | load before / after |")
    print("|---|---|---|---|---|")
    rows = []
    for path in paths:
        row = run(path)
        rows.append(row)
        print(f"| {row['notebook']} | {'yes' if row['ok'] else 'NO'} | {row['cpu_s']} | {row['wall_s']} | "
              f"{row['load_before']} / {row['load_after']} |", flush=True)
    if args.json:
        from gan_keras import io

        io.write_json(args.json, {"machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
