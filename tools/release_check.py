"""Refuse to publish the notebooks before their release exists: ``make release-check``.

    python tools/release_check.py [--tag-only]

For the maintainers, before they push a release (not run by CI: a development commit has
no tag yet). The notebooks' Colab cell installs the tag ``v<version>`` of this repository,
so a learner on Colab gets a failed install until that tag exists. Checks, for the version
in pyproject.toml:
- the tag ``v<version>`` exists locally, and every notebook at the tagged commit installs
  that same tag;
- CHANGELOG.md has a section ``## <version>`` and CITATION.cff gives that version;
- CITATION.cff is valid against the Citation File Format's schema, with ``cffconvert``
  installed in a throwaway virtual environment (needs the package index; ``--tag-only``
  leaves this out).
Prints what is wrong and exits 1, or says the release is ready.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def project(root: Path = ROOT) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def tag_problems(root: Path, version: str, repository: str) -> list[str]:
    """What is wrong with the tag v<version>: missing, or its notebooks install another."""
    tag = f"v{version}"
    if _git(root, "rev-parse", "-q", "--verify", f"refs/tags/{tag}").returncode != 0:
        return [f"the tag {tag} does not exist here: tag the release commit (git tag {tag})"]
    listed = _git(root, "ls-tree", "--name-only", f"{tag}:notebooks")
    notebooks = [n for n in listed.stdout.split() if n.endswith(".ipynb")]
    if not notebooks:
        return [f"the commit of {tag} has no notebooks"]
    wanted = f"gradcourse @ git+{repository}@{tag}"
    problems = []
    for name in notebooks:
        text = _git(root, "show", f"{tag}:notebooks/{name}").stdout
        sources = ["".join(cell.get("source", "")) for cell in json.loads(text)["cells"]]
        if not any(wanted in source for source in sources):
            installs = re.findall(r"gradcourse @ git\+\S+@[\w.\-]+", "\n".join(sources))
            problems.append(
                f"notebooks/{name} at {tag} installs {installs[0] if installs else 'nothing'}, "
                f"not {wanted}"
            )
    return problems


def file_problems(root: Path, version: str) -> list[str]:
    """CHANGELOG.md and CITATION.cff must name the version being released."""
    problems = []
    changelog = (root / "CHANGELOG.md").read_text()
    if not re.search(rf"^## {re.escape(version)}\b", changelog, flags=re.M):
        problems.append(f"CHANGELOG.md has no section '## {version}'")
    citation = (root / "CITATION.cff").read_text()
    if not re.search(rf"^version: ['\"]?{re.escape(version)}['\"]?$", citation, flags=re.M):
        problems.append(f"CITATION.cff does not give version {version}")
    return problems


def schema_problems(root: Path) -> list[str]:
    """Validate CITATION.cff with cffconvert, installed in a throwaway environment."""
    with tempfile.TemporaryDirectory() as folder:
        venv.create(folder, with_pip=True)
        python = str(Path(folder) / "bin" / "python")
        install = subprocess.run(
            [python, "-m", "pip", "install", "-q", "cffconvert"], capture_output=True, text=True
        )
        if install.returncode != 0:
            return [f"could not install cffconvert: {install.stderr.strip()[-300:]}"]
        check = subprocess.run(
            [
                str(Path(folder) / "bin" / "cffconvert"),
                "--validate",
                "-i",
                str(root / "CITATION.cff"),
            ],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            return [f"CITATION.cff is not valid: {(check.stdout + check.stderr).strip()[-500:]}"]
    return []


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag-only", action="store_true", help="skip the schema validation")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    meta = project(args.root)
    version, repository = meta["version"], meta["urls"]["Repository"]
    problems = tag_problems(args.root, version, repository) + file_problems(args.root, version)
    if not args.tag_only:
        problems += schema_problems(args.root)
    if problems:
        print(f"release-check: v{version} is not ready to publish:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"release-check: v{version} is ready: the tag exists and its notebooks install it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
