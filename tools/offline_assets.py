"""What the slides and the website share: local copies of what a page would fetch.

A lecture hall may have no network, so the decks (tools/build_slides.py) and the website
(tools/build_site.py) load nothing from another host when they are viewed:

- reveal.js 5 comes from the ``sphinx-revealjs`` wheel, which ships its ``dist/`` and
  plugins (MIT licence included), so pip installs it like any other dependency;
- MathJax 3.2.2 (the version JupyterLab 4 typesets with) comes from the
  ``django-static-mathjax`` wheel: the MathJax distribution as it is, with no dependency
  (no Django), installed as the Python package ``mathjax``. We copy its ``es5/``
  component ``tex-chtml-full.js``, its fonts and the parts its menu loads on demand;
- the "Open in Colab" badge image is drawn here (the link still goes to Colab);
- stored widget state is dropped, and a widget's output becomes a one-line note: a
  widget needs a running kernel (the course follows each with the figure of its default);
- each figure becomes an ``<img>`` with the alt text its kernel stored (gradcourse.alt_text).
"""

from __future__ import annotations

import copy
import html
import importlib.util
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PNG = "image/png"
WIDGET_NOTE_TEXT = "Interactive sliders: run this notebook in JupyterLab or Colab to use them."
WIDGET_NOTE = f"<p><em>{WIDGET_NOTE_TEXT}</em></p>"
MATHJAX_SCRIPT = "tex-chtml-full.js"  # TeX input with every extension, HTML output
# The other combined components of es5/, which a page that loads MATHJAX_SCRIPT never asks for.
MATHJAX_SKIP = re.compile(
    r"(tex|mml)-.*\.js|core\.js|loader\.js|startup\.js|latest\.js|node-main\.js"
)

# The badge's look (Colab's orange on grey), as a local file: nothing to fetch.
BADGE_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img"
     aria-label="Open in Colab">
  <title>Open in Colab</title>
  <rect width="117" height="20" rx="3" fill="#555"/>
  <rect x="40" width="77" height="20" rx="3" fill="#f9ab00"/>
  <rect x="40" width="6" height="20" fill="#f9ab00"/>
  <g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
    <text x="7" y="14">Open</text>
    <text x="46" y="14" fill="#222">in Colab</text>
  </g>
</svg>
"""


def package_dir(name: str) -> Path:
    """The directory of an installed package (it is not imported)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"{name} is not installed: run `make slides` or `make site` (they install the "
            "teach extra), or pip install '.[teach]'"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def reveal_source() -> Path:
    return package_dir("sphinx_revealjs") / "_static" / "revealjs"


def mathjax_source() -> Path:
    return package_dir("mathjax") / "static" / "mathjax" / "es5"


def copy_tree(source: Path, target: Path, skip: re.Pattern | None = None) -> None:
    """Copy ``source`` to ``target``, skipping files already there (and top-level ``skip``)."""
    for path in source.rglob("*"):
        top_level = path.parent == source
        if (
            top_level
            and skip is not None
            and skip.fullmatch(path.name)
            and path.name != MATHJAX_SCRIPT
        ):
            continue
        if path.is_file():
            dest = target / path.relative_to(source)
            stat = path.stat()
            if dest.exists() and dest.stat().st_size == stat.st_size:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)


def copy_reveal(target: Path) -> None:
    """reveal.js' dist/ (with the themes' fonts), its notes plugin and its licence."""
    source = reveal_source()
    copy_tree(source / "dist", target / "dist")
    copy_tree(source / "plugin" / "notes", target / "plugin" / "notes")
    shutil.copy2(source / "LICENSE", target / "LICENSE")


def copy_mathjax(target: Path) -> None:
    """MathJax's es5/ without the combined components that MATHJAX_SCRIPT replaces."""
    copy_tree(mathjax_source(), target, skip=MATHJAX_SKIP)
    licence = mathjax_source().parent / "LICENSE"
    shutil.copy2(licence, target / "LICENSE")


def write_badge(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_text() != BADGE_SVG:
        target.write_text(BADGE_SVG)


def rewrite_links(text: str, links: dict[str, str]) -> str:
    """Replace each link target ``(old)`` or ``(old#anchor)`` in markdown by ``links[old]``."""
    for old, new in links.items():
        pattern = r"\(" + re.escape(old) + r"(#[^)\s]*)?\)"
        text = re.sub(pattern, lambda m, new=new: f"({new}{m[1] or ''})", text)
    return text


def offline_notebook(
    notebook: nbformat.NotebookNode, badge: str, links: dict[str, str]
) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose markdown points at local files and that has no widgets."""
    notebook = copy.deepcopy(notebook)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source.replace(COLAB_BADGE, badge), links)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:  # its text is a repr ("interactive(children=...")
                output["data"] = {"text/html": WIDGET_NOTE, "text/plain": WIDGET_NOTE_TEXT}
            elif PNG in data and "text/html" not in data:
                alt = output.get("metadata", {}).get(PNG, {}).get("alt")
                if alt:  # without it the <img> has no alt, and the browser test says so
                    data["text/html"] = figure_html(data[PNG], alt)
    return notebook


def figure_html(png_base64: str, alt: str) -> str:
    """An ``<img>`` of a stored figure with its alt text (generated in the kernel by
    ``gradcourse.alt_text``): MyST-NB's and nbconvert's own PNG output drop it."""
    source = "".join(png_base64.split())
    return f'<img src="data:{PNG};base64,{source}" alt="{html.escape(alt)}">'


class _Refs(HTMLParser):
    """Collects (tag, attribute, value) of every reference in an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.refs.append((tag, name, values[name] or "", values.get("rel") or ""))


def check_folder(folder: Path) -> list[str]:
    """What a static folder's pages get wrong offline: fetches from another host at view
    time (a script, style sheet, image or frame with an http(s) address) and local links
    or files that do not exist. Links (<a href>) to other sites are fine: nothing is
    fetched until a reader clicks one."""
    found = []
    for page in sorted(folder.rglob("*.html")):
        if "_static" in page.relative_to(folder).parts:
            continue  # the theme's and MathJax's own files, not pages of ours
        parser = _Refs()
        parser.feed(page.read_text(encoding="utf-8"))
        where = page.relative_to(folder)
        for tag, name, value, rel in parser.refs:
            address = urlsplit(value)
            if address.scheme in ("http", "https") or value.startswith("//"):
                if tag != "a" and "canonical" not in rel:
                    found.append(f"{where}: <{tag} {name}={value!r}> is fetched from the network")
            elif not address.scheme and address.path:
                target = (page.parent / unquote(address.path)).resolve()
                if not target.exists():
                    found.append(f"{where}: <{tag} {name}={value!r}> points at a missing file")
    return found
