"""The release files and ``make release-check``: the notebooks are never published before
the tag that their Colab cell installs exists."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import release_check  # noqa: E402

PROJECT = release_check.project()
VERSION = PROJECT["version"]


def test_citation_file_says_what_pyproject_says():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    # The fields CFF 1.2.0 requires, and their types.
    assert citation["cff-version"] == "1.2.0"
    assert isinstance(citation["message"], str) and citation["message"].strip()
    assert isinstance(citation["title"], str) and citation["title"].strip()
    assert citation["authors"] and all(
        ("name" in a) or ("family-names" in a) for a in citation["authors"]
    )
    # The ones that must agree with the package.
    assert citation["version"] == VERSION
    assert citation["license"] == PROJECT["license"]
    assert citation["repository-code"] == PROJECT["urls"]["Repository"]
    datetime.date.fromisoformat(str(citation["date-released"]))


def test_changelog_starts_at_the_first_release_and_names_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    versions = [line.split()[1] for line in changelog.splitlines() if line.startswith("## ")]
    assert versions[-1] == "0.1.0" and VERSION in versions
    assert release_check.file_problems(ROOT, VERSION) == []


def test_readme_says_how_to_cite_and_to_run_the_release_check():
    readme = (ROOT / "README.md").read_text()
    assert "CITATION.cff" in readme and "make release-check" in readme
    assert "release-check" in (ROOT / "Makefile").read_text()
    assert "release-check" not in (ROOT / ".ci" / "run").read_text()  # maintainers only


def _repo_at(tmp_path: Path, installs_tag: str) -> Path:
    """A git repository with one notebook whose Colab cell installs ``installs_tag``."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    cell = {
        "cell_type": "code",
        "source": f'%pip install -q "gradcourse @ git+{PROJECT["urls"]["Repository"]}'
        f'@{installs_tag}"',
    }
    (repo / "notebooks" / "01_x.ipynb").write_text(json.dumps({"cells": [cell]}))
    for command in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "release"],
    ):
        subprocess.run(["git", "-C", str(repo), *command], check=True)
    return repo


def test_no_tag_no_release(tmp_path):
    repo = _repo_at(tmp_path, f"v{VERSION}")
    repository = PROJECT["urls"]["Repository"]
    problems = release_check.tag_problems(repo, VERSION, repository)
    assert len(problems) == 1 and f"the tag v{VERSION} does not exist" in problems[0]
    subprocess.run(["git", "-C", str(repo), "tag", f"v{VERSION}"], check=True)
    assert release_check.tag_problems(repo, VERSION, repository) == []


def test_a_tag_whose_notebooks_install_another_tag_is_refused(tmp_path):
    repo = _repo_at(tmp_path, "v0.0.9")
    subprocess.run(["git", "-C", str(repo), "tag", f"v{VERSION}"], check=True)
    problems = release_check.tag_problems(repo, VERSION, PROJECT["urls"]["Repository"])
    assert len(problems) == 1 and "installs" in problems[0] and "@v0.0.9" in problems[0]


def test_release_check_fails_with_a_message_here_without_the_tag(tmp_path):
    repo = _repo_at(tmp_path, f"v{VERSION}")
    for name in ("CHANGELOG.md", "CITATION.cff"):
        shutil.copy(ROOT / name, repo / name)
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "release_check.py"), "--tag-only", "--root", repo],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"v{VERSION} is not ready to publish" in result.stderr
    assert f"git tag v{VERSION}" in result.stderr


@pytest.mark.parametrize("field", ["version", "changelog"])
def test_release_files_that_name_another_version_are_refused(tmp_path, field):
    for name in ("CHANGELOG.md", "CITATION.cff"):
        shutil.copy(ROOT / name, tmp_path / name)
    if field == "version":
        path = tmp_path / "CITATION.cff"
        path.write_text(path.read_text().replace(f"version: {VERSION}", "version: 9.9.9"))
    else:
        path = tmp_path / "CHANGELOG.md"
        path.write_text(path.read_text().replace(f"## {VERSION}", "## 9.9.9"))
    assert len(release_check.file_problems(tmp_path, VERSION)) == 1
