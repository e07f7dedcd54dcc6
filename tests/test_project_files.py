"""pyproject.toml is the one source of dependencies; the other files must agree with it."""

from __future__ import annotations

import re
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
    match = re.fullmatch(r"--editable \.\[([\w,]+)\]", entry)
    assert match, f"unexpected pip entry {entry!r}"
    assert set(match.group(1).split(",")) == set(PYPROJECT["project"]["optional-dependencies"])


def test_environment_lists_no_dependency_of_its_own():
    conda_names = {d.split(">")[0].split("=")[0].split("<")[0] for d in ENVIRONMENT["dependencies"] if isinstance(d, str)}
    assert conda_names == {"python", "pip"}
    assert ENVIRONMENT["channels"] == ["conda-forge"]


def test_python_range_agrees():
    python = next(d for d in ENVIRONMENT["dependencies"] if isinstance(d, str) and d.startswith("python"))
    floor = re.search(r">=\s*([\d.]+)", python).group(1)
    assert PYPROJECT["project"]["requires-python"] == f">={floor}"


def test_floors_admit_colabs_stack():
    # Colab: TF 2.20, Keras 3.13, NumPy 2.1, Matplotlib 3.10 (COURSE.md). Installing the
    # package there must not upgrade any of them.
    colab = {"tensorflow": (2, 20), "keras": (3, 13), "numpy": (2, 1), "matplotlib": (3, 10)}
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, floor = re.fullmatch(r"([\w-]+)>=([\d.]+)", requirement).groups()
        assert name in colab, f"unexpected dependency {name}"
        assert tuple(int(p) for p in floor.split(".")[:2]) <= colab[name], requirement
        assert "<" not in requirement and "==" not in requirement


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "\n    make test\n" in readme or "```bash\nmake test\n```" in readme
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "make test"
