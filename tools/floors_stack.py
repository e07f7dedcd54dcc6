"""The oldest supported stack, tested: a regular wheel in a fresh venv with the oldest Python
found and the lowest versions ``pyproject.toml`` admits, nbval on every notebook.

    python tools/floors_stack.py [--keep] [--seeds 1 2]

1. reads the floors (``name>=X``) of the package's dependencies and of the test tools
   nbval needs (pytest, nbval, ipykernel: their floors in the ``test`` extra) from
   pyproject.toml, so a change of floor changes this job;
2. picks the oldest Python of the supported range (tools/bootstrap.py's ``SUPPORTED``)
   that is installed (PATH or pyenv), and says which one, and which older ones are missing;
3. in a fresh venv with that Python, asks pip which release is the lowest one each floor
   admits (``tensorflow>=2.16`` admits 2.16.1: there is no 2.16.0) and installs exactly
   those with the wheel (tools/stack_job.py, shared with the Colab-stack job);
4. runs tests/nbval_isolated.py there: every notebook alone in an empty directory, its
   stored outputs compared, and no stderr in any cell.

If no supported Python is found, it says so and skips (exit 0).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from stack_job import ROOT, find_python, parse_arguments, run_stack_job

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The test tools the job installs (nbval needs the others): their floors come from the
# ``test`` extra too.
TEST_TOOLS = ("pytest", "pytest-xdist", "nbval", "ipykernel")
_FLOOR = re.compile(r"([A-Za-z0-9_.-]+)\s*>=\s*([\d.]+)")


def read_floors(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """{name: floor} of the dependencies and of TEST_TOOLS, from ``pyproject``."""
    project = tomllib.loads(pyproject.read_text())["project"]
    floors: dict[str, str] = {}
    test_extra = project["optional-dependencies"]["test"]
    wanted = list(project["dependencies"]) + [
        requirement
        for requirement in test_extra
        if re.match(r"[A-Za-z0-9_.-]+", requirement).group(0) in TEST_TOOLS
    ]
    for requirement in wanted:
        match = _FLOOR.fullmatch(requirement.split(";")[0].strip())
        if not match:
            raise ValueError(f"pyproject.toml: {requirement!r} is not of the form name>=version")
        floors[match.group(1)] = match.group(2)
    missing = set(TEST_TOOLS) - set(floors)
    if missing:
        raise ValueError(f"pyproject.toml's test extra has no floor for {sorted(missing)}")
    return floors


def oldest_python() -> tuple[str | None, list[str]]:
    """(the oldest supported Python found, the supported versions older than it not found)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from bootstrap import SUPPORTED

    (major, low), (_, high) = SUPPORTED
    missing: list[str] = []
    for minor in range(low, high + 1):
        version = f"{major}.{minor}"
        found = find_python(version)
        if found:
            return found, missing
        missing.append(version)
    return None, missing


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def lowest_release(venv_python: Path, name: str, floor: str) -> str:
    """The lowest final release of ``name`` at or above ``floor`` that pip can install here."""
    listing = subprocess.run(
        [venv_python, "-m", "pip", "--disable-pip-version-check", "index", "versions", name],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Available versions:\s*(.+)", listing.stdout)
    if listing.returncode != 0 or not match:
        raise RuntimeError(f"pip could not list the versions of {name}: {listing.stderr.strip()}")
    finals = [
        v.strip() for v in match.group(1).split(",") if re.fullmatch(r"\d+(\.\d+)*", v.strip())
    ]
    admitted = [v for v in finals if _version_key(v) >= _version_key(floor)]
    if not admitted:
        raise RuntimeError(f"no release of {name} at or above {floor} for this Python")
    return min(admitted, key=_version_key)


def floor_pins(venv_python: Path) -> list[str]:
    """``name==version`` for the lowest release each floor of pyproject.toml admits."""
    pins = [
        f"{name}=={lowest_release(venv_python, name, floor)}"
        for name, floor in read_floors().items()
    ]
    print("floors: " + " ".join(pins), flush=True)
    return pins


def main(argv: list[str]) -> int:
    args = parse_arguments(__doc__.splitlines()[0], argv)
    python, missing = oldest_python()
    if python is None:
        print(
            f"SKIPPED the floors job: no supported Python ({', '.join(missing)}) with venv "
            "found (PATH, pyenv).",
            flush=True,
        )
        return 0
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"floors job: Python {version} ({python})", flush=True)
    if missing:
        print(
            f"  not found: Python {', '.join(missing)} (older, supported): the job runs on "
            f"{version} instead",
            flush=True,
        )
    return run_stack_job("Floors", python, floor_pins, [], args.seeds, args.keep)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
