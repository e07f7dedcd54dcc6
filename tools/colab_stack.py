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

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / ".ci" / "colab-stack.txt"
TEST_TOOLS = ["pytest", "nbval", "ipykernel"]
SEED_CHECK_TOOLS = ["jupytext"]  # check_seeds.py reads the notebook scripts


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


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` (e.g. "3.13"): on PATH, or in pyenv's versions."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(
        glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def run(*command, **kwargs) -> None:
    print("+ " + " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, **kwargs)


def build_wheel(workdir: Path) -> Path:
    """Build the wheel from a copy of the tracked sources (no stale build/ or caches)."""
    source = workdir / "source"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        workdir / "dist",
        source,
        stdout=subprocess.DEVNULL,
    )
    (wheel,) = (workdir / "dist").glob("gradcourse-*.whl")
    return wheel


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the venv and print where it is")
    parser.add_argument("--seeds", nargs="+", type=int, help="also run the seed check with these")
    args = parser.parse_args(argv)
    version, pins = read_pins()
    python = find_python(version)
    if python is None:
        print(
            f"SKIPPED the Colab-stack job: no Python {version} with venv found (PATH, pyenv). "
            f"Install Python {version} to run it.",
            flush=True,
        )
        return 0
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="gradcourse-colab-"))
    try:
        wheel = build_wheel(workdir)
        venv = workdir / "venv"
        run(python, "-m", "venv", venv)
        venv_python = venv / "bin" / "python"
        pip = [venv_python, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
        run(*pip, "--upgrade", "pip")
        # The pins are requirements, so the wheel cannot move them: pip fails on a conflict.
        run(*pip, *pins, str(wheel), *TEST_TOOLS)
        check = (
            "import sys, gradcourse, importlib.metadata as m; "
            "assert 'site-packages' in gradcourse.__file__, gradcourse.__file__; "
            "assert 'tensorflow' not in sys.modules; "
            f"pins = {pins!r}; "
            "bad = [p for p in pins if m.version(p.split('==')[0]) != p.split('==')[1]]; "
            "assert not bad, bad; "
            "print('Colab stack:', sys.version.split()[0], *pins, 'gradcourse', "
            "gradcourse.__version__)"
        )
        run(
            venv_python, "-c", check, cwd=workdir
        )  # cwd: not the repository, so the wheel is imported
        run(venv_python, ROOT / "tests" / "nbval_isolated.py")
        if args.seeds:
            run(*pip, *SEED_CHECK_TOOLS)
            seeds = [str(seed) for seed in args.seeds]
            run(venv_python, ROOT / "tools" / "check_seeds.py", "--seeds", *seeds)
        print(f"Colab-stack job passed in {time.perf_counter() - start:.0f} s", flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(f"Colab-stack job FAILED ({error.cmd[0]} ... exited {error.returncode})", flush=True)
        return 1
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
