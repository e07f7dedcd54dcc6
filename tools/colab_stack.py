"""The learner's path, tested: a regular wheel in a fresh venv with Colab's stack, nbval on
every notebook.

    python tools/colab_stack.py [--keep] [--seeds 1 2]

1. builds the wheel of gradcourse from a clean copy of the sources (not an editable
   install, which hides a missing subpackage);
2. creates a fresh virtual environment with the Python of .ci/colab-stack.txt and
   installs Colab's pinned stack plus that wheel, as the notebooks' Colab cell does;
3. checks that the pins held and that gradcourse comes from the wheel;
4. runs tests/nbval_isolated.py with that environment: every notebook alone in an empty
   directory, its stored outputs compared;
5. with ``--seeds``, runs the seed check (tools/check_seeds.py) there too: another
   TensorFlow rounds differently, and a training run amplifies it (on 2026-12-04 one
   assert of 05 held on TF 2.21 and failed on Colab's 2.20).

If no interpreter of that Python version is found, it says so and skips (exit 0).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from stack_job import ROOT, build_wheel, find_python, parse_arguments, run_stack_job

PINS = ROOT / ".ci" / "colab-stack.txt"
TEST_TOOLS = ["pytest", "pytest-xdist", "nbval", "ipykernel"]
__all__ = ["build_wheel", "find_python", "read_pins"]


def read_pins(path: Path = PINS) -> tuple[str, list[str]]:
    """(python version, ["name==version", ...]) from the pins file."""
    text = path.read_text()
    match = re.search(r"^# python: (3\.\d+)\s*$", text, flags=re.M)
    if not match:
        raise ValueError(f"{path.name} must name the Python version in a line '# python: 3.X'")
    pins = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    bad = [pin for pin in pins if not re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", pin)]
    if bad or not pins:
        raise ValueError(f"{path.name}: every pin must be name==version, got {bad or 'none'}")
    return match.group(1), pins


def main(argv: list[str]) -> int:
    args = parse_arguments(__doc__.splitlines()[0], argv)
    version, pins = read_pins()
    python = find_python(version)
    if python is None:
        print(
            f"SKIPPED the Colab-stack job: no Python {version} with venv found (PATH, pyenv). "
            f"Install Python {version} to run it.",
            flush=True,
        )
        return 0
    return run_stack_job("Colab-stack", python, pins, TEST_TOOLS, args.seeds, args.keep)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
