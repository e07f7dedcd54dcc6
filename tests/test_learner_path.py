"""The learner's side of the repository: working copies, ignored litter, the bootstrap's rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))

import bootstrap  # noqa: E402
import learner_copies  # noqa: E402
from nbval_isolated import course_notebooks  # noqa: E402


@pytest.fixture(autouse=True)
def own_jupyter_notary(tmp_path_factory, monkeypatch):
    """Copies are signed in a notary of the test's own, never in the user's."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path_factory.mktemp("jupyter-data")))


def test_copies_open_trusted(tmp_path):
    import nbformat
    from nbformat.sign import NotebookNotary

    def trusted(path):
        return NotebookNotary().check_signature(nbformat.read(path, as_version=4))

    made = learner_copies.copy_missing(tmp_path)
    assert made and all(trusted(copy) for copy in made)
    learner_copies.reset(tmp_path, made[0].name[:2])
    assert trusted(made[0])
    # Trust is per content: a notebook nobody signed here is not trusted.
    other = tmp_path / "other.ipynb"
    notebook = nbformat.read(made[0], as_version=4)
    notebook.cells[0].source += " (changed)"
    nbformat.write(notebook, other)
    assert not trusted(other)


def test_copies_are_made_once_and_never_overwritten(tmp_path):
    made = learner_copies.copy_missing(tmp_path)
    assert [p.name for p in made] == [p.name for p in learner_copies.course_notebooks()]
    mine = made[0]
    mine.write_text(json.dumps({"my": "answers"}))
    assert learner_copies.copy_missing(tmp_path) == []
    assert json.loads(mine.read_text()) == {"my": "answers"}


def test_reset_keeps_the_old_copy_in_backups(tmp_path):
    learner_copies.copy_missing(tmp_path)
    course = learner_copies.course_notebooks()[0]
    mine = tmp_path / course.name
    mine.write_text("my answers")
    learner_copies.reset(tmp_path, course.name[:2])
    assert mine.read_bytes() == course.read_bytes()
    (backup,) = (tmp_path / "backups").iterdir()
    assert backup.read_text() == "my answers"


@pytest.mark.parametrize("number", ["1", "99", "ab", ""])
def test_reset_of_an_unknown_notebook_says_which_exist(tmp_path, number):
    with pytest.raises(SystemExit, match="NB=01"):
        learner_copies.reset(tmp_path, number)


def test_scratch_notebooks_are_not_lessons(tmp_path):
    for name in ("01_lesson.ipynb", "Untitled.ipynb", "Untitled1.ipynb", "scratch.ipynb"):
        (tmp_path / name).write_text("{}")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "01_lesson-checkpoint.ipynb").write_text("{}")
    assert [p.name for p in course_notebooks(tmp_path)] == ["01_lesson.ipynb"]


@pytest.mark.parametrize(
    "path",
    [
        "notebooks/Untitled.ipynb",
        "notebooks/Untitled3.ipynb",
        "notebooks/.ipynb_checkpoints/01_chain_rule-checkpoint.ipynb",
        "my-notebooks/01_chain_rule.ipynb",
        ".virtual_documents/notebooks/01_chain_rule.ipynb",
        "notebooks/.DS_Store",
        ".venv/bin/python",
        "gradcourse/__pycache__/x.pyc",
        "gradcourse.egg-info/PKG-INFO",
        "build/lib/gradcourse/__init__.py",
    ],
)
def test_litter_is_ignored_by_git(path):
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
    assert ignored.returncode == 0, f"{path} is not ignored by .gitignore"


def test_lessons_are_not_ignored_by_git():
    for path in (
        "notebooks/01_chain_rule.ipynb",
        "notebooks/01_chain_rule.py",
        "gradcourse/__init__.py",
    ):
        assert (
            subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT).returncode
            == 1
        )


@pytest.mark.parametrize(
    "version, ok", [((3, 9), False), ((3, 10), True), ((3, 13, 1), True), ((3, 14), False)]
)
def test_bootstrap_supported_range(version, ok):
    assert bootstrap.supported(version) is ok


def test_bootstrap_refuses_an_explicit_unsupported_python_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setattr(bootstrap.sys, "version_info", (3, 14, 0, "final", 0))
    with pytest.raises(SystemExit):
        bootstrap.choose_creator(explicit=True)
    message = capsys.readouterr().err
    assert "3.10-3.13" in message and "PYTHON=python3.12" in message


def test_bootstrap_falls_back_to_a_supported_python_on_path(monkeypatch):
    monkeypatch.setattr(bootstrap.sys, "version_info", (3, 14, 0, "final", 0))
    monkeypatch.setattr(
        bootstrap.shutil, "which", lambda name: "/usr/bin/" + name if name == "python3.12" else None
    )
    assert bootstrap.choose_creator(explicit=False) == "/usr/bin/python3.12"


def test_reset_names_a_notebook_by_number_or_by_name_where_two_share_a_number(tmp_path):
    learner_copies.copy_missing(tmp_path)
    stems = [nb.stem for nb in learner_copies.course_notebooks()]
    shared = sorted({s[:2] for s in stems if sum(t[:2] == s[:2] for t in stems) > 1})
    if not shared:
        pytest.skip("no two notebooks share a number")
    number = shared[0]
    with pytest.raises(SystemExit, match=rf"got '{number}'"):
        learner_copies.reset(tmp_path, number)
    for stem in (s for s in stems if s.startswith(number)):
        assert learner_copies.reset(tmp_path, stem).stem == stem
