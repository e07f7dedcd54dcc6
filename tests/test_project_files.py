"""pyproject.toml is the one source of dependencies; the other files must agree with it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())


def _pip_entries() -> list[str]:
    for dependency in ENVIRONMENT["dependencies"]:
        if isinstance(dependency, dict) and "pip" in dependency:
            return dependency["pip"]
    raise AssertionError("environment.yml has no pip section")


def test_environment_installs_the_package_with_every_extra_through_pip():
    (entry,) = _pip_entries()  # one entry: the package itself, nothing listed twice
    match = re.fullmatch(r"\.\[([\w,]+)\]", entry)  # a regular install, as a learner gets it
    assert match, f"unexpected pip entry {entry!r}"
    # every extra but the lecturers' nbgrader (make assignments installs it on demand)
    extras = set(PYPROJECT["project"]["optional-dependencies"]) - {"assignments"}
    assert set(match.group(1).split(",")) == extras


def test_environment_lists_no_dependency_of_its_own():
    conda_names = {
        d.split(">")[0].split("=")[0].split("<")[0]
        for d in ENVIRONMENT["dependencies"]
        if isinstance(d, str)
    }
    assert conda_names == {"python", "pip"}
    assert ENVIRONMENT["channels"] == ["conda-forge"]


def test_python_range_agrees():
    python = next(
        d for d in ENVIRONMENT["dependencies"] if isinstance(d, str) and d.startswith("python")
    )
    floor = re.search(r">=\s*([\d.]+)", python).group(1)
    assert PYPROJECT["project"]["requires-python"] == f">={floor}"
    # The bootstrap's supported range, the classifiers and conda's cap say the same.
    sys.path.insert(0, str(ROOT / "tools"))
    import bootstrap

    low, high = bootstrap.SUPPORTED
    assert floor == f"{low[0]}.{low[1]}"
    assert f"<{high[0]}.{high[1] + 1}" in python
    classifiers = {
        c.rsplit(" :: ", 1)[1] for c in PYPROJECT["project"]["classifiers"] if "Python :: 3." in c
    }
    assert classifiers == {f"3.{minor}" for minor in range(low[1], high[1] + 1)}


def test_dependencies_have_floors_only():
    # A cap or a pin would make pip replace Colab's own TensorFlow or NumPy.
    for requirement in PYPROJECT["project"]["dependencies"]:
        assert re.fullmatch(r"[\w-]+>=[\d.]+", requirement), requirement


def _run_ci(tmp_path: Path, fail_at: int = 0) -> tuple[int, list[list[str]]]:
    """Run .ci/run with a stand-in ``make`` that records its arguments (and fails at its
    ``fail_at``-th call, if given); return the exit code and the calls."""
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "make"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\t" "$@" >> "{log}"; echo >> "{log}"\n'
        f'[ "$(wc -l < "{log}")" -eq {fail_at} ] && exit 3\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True)
    lines = log.read_text().splitlines() if log.exists() else []
    return done.returncode, [line.rstrip("\t").split("\t") for line in lines]


def test_ci_runs_the_readme_test_command_first_then_documented_targets(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "```bash\nmake test\n```" in readme
    code, calls = _run_ci(tmp_path)
    assert code == 0 and calls[0] == ["test"]  # exactly the README's test command, first
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for call in calls:
        assert call[0] in targets, call  # every call is a Makefile target ...
        written = " ".join(a.replace("=", '="', 1) + '"' if " " in a else a for a in call)
        assert f"make {written}" in readme, call  # ... and the README says CI runs it
    assert {"test-colab", "test-floors", "test-browser", "seeds"} <= {c[0] for c in calls}


def test_ci_stops_at_the_first_failure(tmp_path):
    code, calls = _run_ci(tmp_path, fail_at=2)
    assert code == 3 and len(calls) == 2


def test_colab_pins_are_dated_and_admitted_by_the_floors():
    sys.path.insert(0, str(ROOT / "tools"))
    import colab_stack

    text = (ROOT / ".ci" / "colab-stack.txt").read_text()
    assert re.search(r"Read on \d{4}-\d{2}-\d{2}", text), "say when the pins were read"
    python, pins = colab_stack.read_pins()
    assert python.startswith("3.")
    pinned = dict(pin.split("==") for pin in pins)
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, floor = re.fullmatch(r"([\w-]+)>=([\d.]+)", requirement).groups()
        have = tuple(int(p) for p in pinned[name].split(".")[:2])
        assert tuple(int(p) for p in floor.split(".")[:2]) <= have, (
            f"{requirement} excludes Colab's {pinned[name]}"
        )


def test_the_conda_path_starts_jupyterlab_with_the_flags_make_lab_passes():
    makefile = (ROOT / "Makefile").read_text()
    flags = {
        flag
        for line in makefile.splitlines()
        if line.startswith("LAB_FLAGS +=")
        for flag in line.split("+=", 1)[1].split()
    }
    readme = (ROOT / "README.md").read_text()
    conda = readme[readme.index("### With conda") : readme.index("### On Google Colab")]
    assert flags and all(flag in conda for flag in flags), flags


def test_floors_job_reads_its_versions_from_pyproject():
    sys.path.insert(0, str(ROOT / "tools"))
    import floors_stack

    floors = floors_stack.read_floors()
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, floor = re.fullmatch(r"([\w-]+)>=([\d.]+)", requirement).groups()
        assert floors[name] == floor
    for tool in floors_stack.TEST_TOOLS:  # nbval and what it needs, at their floors too
        assert tool in floors


def test_floors_job_takes_the_oldest_python_found_and_names_the_missing_ones(monkeypatch, capsys):
    sys.path.insert(0, str(ROOT / "tools"))
    import floors_stack

    found = {"3.11": "/usr/bin/python3.11", "3.12": "/usr/bin/python3.12"}
    monkeypatch.setattr(floors_stack, "find_python", found.get)
    assert floors_stack.oldest_python() == ("/usr/bin/python3.11", ["3.10"])
    monkeypatch.setattr(floors_stack, "find_python", lambda version: None)
    assert floors_stack.main([]) == 0  # skips, with a message
    assert "SKIPPED the floors job" in capsys.readouterr().out
