"""Build a reveal.js deck per notebook, with its stored outputs, that works offline.

Usage: python tools/build_slides.py [--out build/slides] [notebooks/NN_name.ipynb ...]

Writes ``NN_name.slides.html`` per notebook and ``index.html`` (a list of the decks) into
the output folder, with ``assets/`` beside them: reveal.js, MathJax and the badge image,
copied from installed packages (tools/offline_assets.py). Nothing is executed: the decks
show the outputs stored in the .ipynb. Nothing is fetched when a deck is viewed, so the
folder can be copied to a USB stick and opened in a browser from the disk.

Each cell's slide type comes from its metadata (tools/slide_metadata.py). Keys in a
deck: arrows or space to move, Esc for the overview, S for the speaker notes window.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from offline_assets import (
    MATHJAX_SCRIPT,
    check_folder,
    copy_mathjax,
    copy_reveal,
    offline_notebook,
    write_badge,
)
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SUFFIX = ".slides.html"
BADGE = "assets/colab-badge.svg"


def exporter() -> SlidesExporter:
    config = Config()
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.SlidesExporter.template_name = "gradcourse_slides"
    config.SlidesExporter.reveal_url_prefix = "assets/reveal.js"
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_transition = "none"  # nothing moves while a hall reads
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_width = "1280"  # 16:9, as most projectors
    config.SlidesExporter.reveal_height = "720"
    config.SlidesExporter.mathjax_url = f"assets/mathjax/{MATHJAX_SCRIPT}"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    return SlidesExporter(config=config)


def deck_links(notebooks: list[Path]) -> dict[str, str]:
    """Links between notebooks point at the decks instead."""
    return {p.name: p.stem + SUFFIX for p in notebooks}


def index_page(decks: list[tuple[str, str]]) -> str:
    items = "\n".join(
        f'  <li><a href="{html.escape(name)}">{html.escape(title)}</a></li>'
        for name, title in decks
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>gradcourse: the decks</title>\n</head>\n<body>\n"
        "<h1>gradcourse: one deck per notebook</h1>\n"
        "<p>Arrows or space: next slide; Esc: overview; S: speaker notes; F: full screen.</p>\n"
        f"<ul>\n{items}\n</ul>\n</body>\n</html>\n"
    )


def title_of(notebook: nbformat.NotebookNode, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return fallback


def build(paths: list[Path], out: Path) -> list[Path]:
    """Write one deck per notebook into ``out``, its assets and an index; return the decks."""
    out.mkdir(parents=True, exist_ok=True)
    copy_reveal(out / "assets" / "reveal.js")
    copy_mathjax(out / "assets" / "mathjax")
    write_badge(out / BADGE)
    everything = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    links = deck_links(everything)
    slides = exporter()
    written = []
    for path in paths:
        notebook = offline_notebook(nbformat.read(path, as_version=4), BADGE, links)
        body, _ = slides.from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
        target = out / (path.stem + SUFFIX)
        target.write_text(body, encoding="utf-8")
        written.append(target)
    decks = [  # every deck in the folder, also those of an earlier run
        (p.stem + SUFFIX, title_of(nbformat.read(p, as_version=4), p.stem))
        for p in everything
        if (out / (p.stem + SUFFIX)).exists()
    ]
    (out / "index.html").write_text(index_page(decks), encoding="utf-8")
    return written


def offline_problems(out: Path, complete: bool) -> list[str]:
    """check_folder's findings; a partial build may link to decks not built yet."""
    problems = check_folder(out)
    if not complete:
        problems = [
            p for p in problems if not re.search(r"\.slides\.html'> points at a missing", p)
        ]
    return problems


def resolve(names: list[str]) -> list[Path]:
    """Notebooks named by path (notebooks/02_saturation.py or .ipynb) or number ("02")."""
    if not names:
        return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    found = []
    for name in names:
        path = Path(name).with_suffix(".ipynb")
        exact = NOTEBOOKS / f"{name}.ipynb"
        matches = (
            [path]
            if path.exists()
            else [exact]
            if exact.exists()
            else sorted(NOTEBOOKS.glob(f"{name}_*.ipynb"))
        )
        if len(matches) != 1:
            raise SystemExit(
                f"no single notebook {name!r} ({', '.join(m.stem for m in matches) or 'none'}): "
                "name it as notebooks/NN_name.ipynb, NN_name or NN"
            )
        found.extend(matches)
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="paths or numbers (02); default: all")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
    args = parser.parse_args(argv)
    paths = resolve(args.notebooks)
    start = time.perf_counter()
    written = build(paths, args.out)
    seconds = time.perf_counter() - start
    problems = offline_problems(args.out, complete=not args.notebooks)
    if problems:
        print("slides: not usable offline:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(
        f"slides: {len(written)} decks in {args.out} ({seconds:.1f} s); open {args.out}/index.html"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
