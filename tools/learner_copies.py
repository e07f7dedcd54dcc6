"""Your working copies of the course notebooks, apart from the tracked ones.

    python tools/learner_copies.py my-notebooks            copy each notebook you don't have yet
    python tools/learner_copies.py my-notebooks --reset 01 replace your 01 by the course's

JupyterLab saves what you run and type; working on copies keeps `git pull` and the
tests clean, and a copy is never overwritten: a reset first moves yours to backups/.
A new copy is trusted (as `jupyter trust` does): the course's stored outputs, figures and
widgets show at once instead of "Not Trusted". Your own later edits are trusted by
JupyterLab as you save them, as for any notebook you write.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "notebooks"


def course_notebooks() -> list[Path]:
    """The lessons: notebooks/NN_name.ipynb (scratch notebooks and checkpoints are not)."""
    return sorted(COURSE.glob("[0-9][0-9]_*.ipynb"))


def trust(notebook: Path) -> bool:
    """Sign ``notebook`` in this user's Jupyter notary, as `jupyter trust` does.

    False (and nothing signed) where nbformat is missing: the copy then opens untrusted."""
    try:
        import nbformat
        from nbformat.sign import NotebookNotary
    except ImportError:
        return False
    NotebookNotary().sign(nbformat.read(notebook, as_version=4))
    return True


def copy_missing(target: Path) -> list[Path]:
    """Copy every course notebook that ``target`` lacks; return the new copies."""
    target.mkdir(parents=True, exist_ok=True)
    made = []
    for notebook in course_notebooks():
        copy = target / notebook.name
        if not copy.exists():
            shutil.copy2(notebook, copy)
            trust(copy)
            made.append(copy)
    return made


def reset(target: Path, number: str) -> Path:
    """Move the learner's copy of notebook ``number`` (e.g. "01") to backups/, copy it afresh."""
    matches = [nb for nb in course_notebooks() if nb.stem == number]
    matches = matches or [nb for nb in course_notebooks() if nb.name.startswith(f"{number}_")]
    if len(matches) != 1 or not number[:2].isdigit():
        known = ", ".join(nb.stem for nb in course_notebooks())
        raise SystemExit(
            f"reset needs a notebook's number or name, e.g. NB=01, or NB=08_myths_on_trial_2 "
            f"where two share a number (one of {known}); got {number!r}"
        )
    copy = target / matches[0].name
    if copy.exists():
        backups = target / "backups"
        backups.mkdir(parents=True, exist_ok=True)
        kept = backups / f"{copy.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        shutil.move(str(copy), kept)
        print(
            "your previous copy is in "
            f"{kept.relative_to(ROOT) if kept.is_relative_to(ROOT) else kept}"
        )
    shutil.copy2(matches[0], copy)
    trust(copy)
    print(f"{copy.name}: fresh copy of the course's notebook")
    return copy


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument(
        "--reset", metavar="NN", help="replace your copy of notebook NN by the course's"
    )
    args = parser.parse_args(argv)
    target = args.target if args.target.is_absolute() else ROOT / args.target
    if args.reset is not None:
        reset(target, args.reset.strip())
        return 0
    made = copy_missing(target)
    where = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    if made:
        print(f"your working copies are in {where}/: {', '.join(p.name for p in made)}")
    else:
        print(f"your working copies are in {where}/ (reset one with: make reset-notebook NB=01)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
