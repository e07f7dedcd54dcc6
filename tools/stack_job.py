"""What the stack jobs share: a regular wheel in a fresh venv with a given stack, nbval on
every notebook (and the seed check, if asked).

Used by ``tools/colab_stack.py`` (Colab's pinned stack) and ``tools/floors_stack.py``
(the lowest versions ``pyproject.toml`` admits, on the oldest Python found).
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_CHECK_TOOLS = ["jupytext"]  # check_seeds.py reads the notebook scripts


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` (e.g. "3.13") with venv: on PATH, or in pyenv's versions."""
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


def run(*command: object, **kwargs) -> None:
    """Print a command, run it, raise ``CalledProcessError`` if it fails."""
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


def parse_arguments(description: str, argv: Sequence[str]) -> argparse.Namespace:
    """The stack jobs' command line: ``--keep`` (the venv) and ``--seeds`` (the seed check)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--keep", action="store_true", help="keep the venv and print where it is")
    parser.add_argument("--seeds", nargs="+", type=int, help="also run the seed check with these")
    return parser.parse_args(argv)


def run_stack_job(
    name: str,
    python: str,
    pins: Sequence[str] | Callable[[Path], list[str]],
    test_tools: Sequence[str],
    seeds: Sequence[int] | None = None,
    keep: bool = False,
) -> int:
    """The job: wheel, fresh venv with ``pins`` + ``test_tools``, pins checked, nbval, seeds.

    ``pins`` are ``name==version`` requirements installed together with the wheel, so the
    wheel cannot move them (pip fails on a conflict); they are checked after the install.
    ``pins`` may be a function of the venv's Python that returns them (the floors job asks
    pip there which releases exist).
    Returns the exit code (0 passed, 1 failed) and prints the job's time.
    """
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix=f"gradcourse-{name.split()[0].lower()}-"))
    try:
        wheel = build_wheel(workdir)
        venv = workdir / "venv"
        run(python, "-m", "venv", venv)
        venv_python = venv / "bin" / "python"
        pip = [venv_python, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
        run(*pip, "--upgrade", "pip")
        if callable(pins):
            pins = pins(venv_python)
        run(*pip, *pins, *test_tools, str(wheel))
        check = (
            "import sys, gradcourse, importlib.metadata as m; "
            "assert 'site-packages' in gradcourse.__file__, gradcourse.__file__; "
            "assert 'tensorflow' not in sys.modules; "
            f"pins = {list(pins)!r}; "
            "bad = [(p, m.version(p.split('==')[0])) for p in pins "
            "if m.version(p.split('==')[0]) != p.split('==')[1]]; "
            "assert not bad, bad; "
            f"print({name!r} + ':', sys.version.split()[0], *pins, 'gradcourse', "
            "gradcourse.__version__)"
        )
        # cwd: not the repository, so the wheel is imported
        run(venv_python, "-c", check, cwd=workdir)
        run(venv_python, ROOT / "tests" / "nbval_isolated.py")
        if seeds:
            run(*pip, *SEED_CHECK_TOOLS)
            run(venv_python, ROOT / "tools" / "check_seeds.py", "--seeds", *map(str, seeds))
        print(f"{name} job passed in {time.perf_counter() - start:.0f} s", flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(
            f"{name} job FAILED ({error.cmd[0]} ... exited {error.returncode}) "
            f"after {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        return 1
    finally:
        if keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
