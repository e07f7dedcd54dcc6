"""Run nbval on notebooks, each copied alone into an empty temporary directory.

One execution proves two things: the stored outputs are reproduced (nbval), and the
notebook reads no file of the repository (it runs where only the installed package
is available, as on Colab). Usage: ``python tests/nbval_isolated.py [NOTEBOOK.ipynb ...]``;
without arguments, the course's notebooks (notebooks/NN_name.ipynb: scratch notebooks
such as Untitled.ipynb and checkpoints are not lessons and are not run).
"""

from __future__ import annotations

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
CELL_TIMEOUT_SECONDS = 120


class NbvalSettings:
    """pytest plugin: compare what is reproducible, as COURSE.md prescribes."""

    @staticmethod
    def pytest_collectstart(collector):
        if collector.fspath and collector.fspath.ext == ".ipynb":
            # nbval starts the kernel with stderr discarded, so TensorFlow's C++ log
            # lines stored in the notebook are never reproduced: don't compare stderr.
            collector.skip_compare += ("stderr",)


def main(notebooks: list[str]) -> int:
    notebooks = notebooks or [str(p) for p in course_notebooks()]
    if not notebooks:
        print("no notebooks found in notebooks/", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gradcourse-nbval-") as workdir:
        copies = []
        for notebook in map(Path, notebooks):
            alone = Path(workdir) / notebook.stem  # an empty directory per notebook
            alone.mkdir()
            copies.append(str(shutil.copy(notebook, alone)))
        args = [
            "--nbval",
            "--nbval-current-env",
            f"--nbval-cell-timeout={CELL_TIMEOUT_SECONDS}",
            f"--nbval-sanitize-with={SANITIZE_FILE}",
            f"--rootdir={workdir}",
            "-p",
            "no:cacheprovider",
            "-ra",
            *copies,
        ]
        return int(pytest.main(args, plugins=[NbvalSettings()]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
