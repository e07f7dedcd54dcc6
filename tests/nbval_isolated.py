"""Run nbval on notebooks, each copied alone into an empty temporary directory.

One execution proves three things: the stored outputs are reproduced (nbval), the
notebook reads no file of the repository (it runs where only the installed package
is available, as on Colab), and no cell writes to stderr (readers see it in red).
Usage: ``python tests/nbval_isolated.py [--jobs N] [NOTEBOOK.ipynb ...]``;
without notebooks, the course's (notebooks/NN_name.ipynb: scratch notebooks such as
Untitled.ipynb and checkpoints are not lessons and are not run).

Two notebooks run at once by default (pytest-xdist, a whole notebook per worker): a
course kernel keeps about 1.1 of 2 cores busy (TensorFlow's small recurrent ops leave
the other mostly idle), so two take less time than one after the other. Each still has
its own kernel and directory; ``--jobs 1`` runs them one by one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def course_notebooks(folder: Path = HERE.parent / "notebooks") -> list[Path]:
    """The lessons, notebooks/NN_name.ipynb: not Untitled.ipynb, not checkpoints."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


SANITIZE_FILE = HERE / "nbval_sanitize.cfg"
SETTINGS_PLUGIN = HERE / "nbval_settings.py"
CELL_TIMEOUT_SECONDS = 120


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("notebooks", nargs="*", help="default: the course's notebooks")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    notebooks = args.notebooks or [str(p) for p in course_notebooks()]
    if not notebooks:
        print("no notebooks found in notebooks/", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gradcourse-nbval-") as workdir:
        # The settings as the root's conftest.py: every xdist worker loads it.
        shutil.copy(SETTINGS_PLUGIN, Path(workdir) / "conftest.py")
        copies = []
        for notebook in map(Path, notebooks):
            alone = Path(workdir) / notebook.stem  # an empty directory per notebook
            alone.mkdir()
            copies.append(str(shutil.copy(notebook, alone)))
        workers = min(args.jobs, len(copies))
        # A notebook's cells share one kernel: each notebook goes whole to one worker.
        parallel = ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []
        pytest_args = [
            "--nbval",
            "--nbval-current-env",
            f"--nbval-cell-timeout={CELL_TIMEOUT_SECONDS}",
            f"--nbval-sanitize-with={SANITIZE_FILE}",
            f"--rootdir={workdir}",
            "-p",
            "no:cacheprovider",
            "-ra",
            "--durations=10",  # the slowest cells, for the time budgets
            *parallel,
            *copies,
        ]
        return int(pytest.main(pytest_args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
