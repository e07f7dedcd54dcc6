"""Rebuild notebooks/NN_*.ipynb from their jupytext scripts, executing every cell.

Usage: python tools/build_notebooks.py [notebooks/01_chain_rule.py ...]  (default: all)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from notebook_exec import execute_alone, notebook_from_script, stderr_outputs

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def build(script: Path) -> float:
    """Execute ``script`` and write its .ipynb next to it; return the wall seconds."""
    start = time.perf_counter()
    notebook = execute_alone(notebook_from_script(script))
    noise = stderr_outputs(notebook)
    if noise:  # silence it at its source (gradcourse._tensorflow), or say it in prose
        raise SystemExit(f"{script.name} wrote to stderr; not saved:\n  " + "\n  ".join(noise))
    nbformat.write(notebook, script.with_suffix(".ipynb"))
    return time.perf_counter() - start


def main(paths: list[str]) -> int:
    scripts = [Path(p).with_suffix(".py") for p in paths] or sorted(
        NOTEBOOKS.glob("[0-9][0-9]_*.py")
    )
    for script in scripts:
        print(f"building {script.name} ...", flush=True)
        print(f"  done in {build(script.resolve()):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
