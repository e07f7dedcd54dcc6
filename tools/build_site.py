"""Build the course website: the executed notebooks, a home page, notation and references.

Usage: python tools/build_site.py [--out build/site]

Stages the sources in build/site-src/ (the README as the home page, the .ipynb with their
stored outputs, docs/notation.md, docs/references.md and docs/evidence.md), rewrites what
would leave the site (links to the docs on GitHub become links to their pages here; the Colab badge
image becomes a local file, its link still opens Colab), then runs Sphinx with MyST-NB
and the Sphinx Book Theme (tools/site_conf.py). Nothing is executed. The result opens
from the disk (build/site/index.html) and loads nothing from another host.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import nbformat
from offline_assets import (
    COLAB_BADGE,
    check_folder,
    copy_mathjax,
    offline_notebook,
    rewrite_links,
    write_badge,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DOCS = ("notation", "references", "evidence")
GITHUB_DOCS = "https://github.com/gradcourse/gradcourse/blob/main/docs/"


def toctree(caption: str, entries: list[str]) -> str:
    lines = "\n".join(entries)
    return f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{lines}\n```\n"


def home_page(readme: str, notebooks: list[Path]) -> str:
    """The README with a local badge image and the site's navigation (hidden toctrees)."""
    text = readme.replace(COLAB_BADGE, "colab-badge.svg")
    text += toctree("Notebooks", [f"notebooks/{p.stem}" for p in notebooks])
    text += toctree("Reference", [f"docs/{name}" for name in DOCS])
    return text


def stage(source: Path) -> list[Path]:
    """Write the site's sources into ``source``; return the notebooks staged."""
    if source.exists():
        shutil.rmtree(source)
    (source / "notebooks").mkdir(parents=True)
    (source / "docs").mkdir()
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    write_badge(source / "colab-badge.svg")
    (source / "index.md").write_text(home_page((ROOT / "README.md").read_text(), notebooks))
    doc_links = {f"{GITHUB_DOCS}{name}.md": f"../docs/{name}.md" for name in DOCS}
    for path in notebooks:
        notebook = offline_notebook(
            nbformat.read(path, as_version=4), "../colab-badge.svg", doc_links
        )
        nbformat.write(notebook, source / "notebooks" / path.name)
    for name in DOCS:
        text = (ROOT / "docs" / f"{name}.md").read_text()
        (source / "docs" / f"{name}.md").write_text(rewrite_links(text, {}))
    shutil.copy2(Path(__file__).with_name("site_conf.py"), source / "conf.py")
    copy_mathjax(source / "_static" / "mathjax")
    return notebooks


def build(out: Path, work: Path, warnings_are_errors: bool = True) -> int:
    """Stage the sources under ``work`` and build the HTML into ``out``; Sphinx's exit code."""
    from sphinx.cmd.build import build_main

    stage(work / "site-src")
    args = ["-b", "html", "-q", "-d", str(work / "site-doctrees")]
    if warnings_are_errors:
        args += ["-W", "--keep-going"]
    return build_main([*args, str(work / "site-src"), str(out)])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    code = build(args.out, args.out.parent)
    problems = check_folder(args.out) if code == 0 else []
    if problems:
        print("site: not usable offline:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    if code == 0:
        seconds = time.perf_counter() - start
        print(f"site: built in {seconds:.1f} s; open {args.out / 'index.html'}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
