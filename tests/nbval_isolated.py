"""Run nbval on notebooks, each copied alone into an empty temporary directory.

One execution proves three things: the stored outputs are reproduced (nbval), the
notebook reads no file of the repository (it runs where only the installed package
is available, as on Colab), and no cell writes to stderr (readers see it in red).
Usage: ``python tests/nbval_isolated.py [NOTEBOOK.ipynb ...]``;
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

    @staticmethod
    def pytest_runtest_teardown(item):
        """Fail a cell that wrote to stderr: readers see it in red, on any stack.

        The committed notebooks hold no stderr (a unit test checks them), but another
        TensorFlow can write lines this one does not (TF 2.16's XLA start-up lines): the
        Colab-stack and floors jobs run this check where the stored outputs cannot.
        """
        outputs = getattr(item, "test_outputs", None) or []
        stderr = [
            output["text"]
            for output in outputs
            if output.get("output_type") == "stream" and output.get("name") == "stderr"
        ]
        if stderr:
            pytest.fail(f"the cell wrote to stderr:\n{''.join(stderr)[:2000]}", pytrace=False)


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
            "--durations=10",  # the slowest cells, for the time budgets
            *copies,
        ]
        return int(pytest.main(args, plugins=[NbvalSettings()]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
