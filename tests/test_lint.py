"""The code passes ruff (configured in pyproject.toml: pycodestyle, pyflakes, import order; 120 columns)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list:
    if shutil.which("ruff"):
        return ["ruff"]
    try:
        import ruff  # noqa: F401  (the PyPI package ships the binary and a module entry point)
    except ImportError:
        pytest.fail("ruff is not installed: pip install -r requirements.txt")
    return [sys.executable, "-m", "ruff"]


def test_ruff_check_passes():
    result = subprocess.run([*_ruff(), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_ruff_finds_a_planted_mistake(tmp_path):
    """The check can fail: an unused import and an over-long line in a file of its own are reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n" + "x = " + "1 + " * 40 + "1\n")
    result = subprocess.run([*_ruff(), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad)],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "F401" in result.stdout and "E501" in result.stdout, result.stdout
