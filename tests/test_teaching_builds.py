"""make slides and make site: decks and pages that open offline (no browser needed here).

The full builds run in `make slides` and `make site`, which check their own output with
``offline_assets.check_folder``; these tests cover the pieces, and build one deck.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import bootstrap  # noqa: E402
import build_site  # noqa: E402
import build_slides  # noqa: E402
import offline_assets  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            f"# Title\n\n[![Open In Colab]({offline_assets.COLAB_BADGE})](https://colab.x/a)\n"
            "[next](02_saturation.ipynb), [again](02_saturation.ipynb#goals), "
            "[not this](x02_saturation.ipynb)"
        ),
        nbformat.v4.new_code_cell(
            "slider",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={offline_assets.WIDGET_VIEW: {"model_id": "1"}, "text/plain": "Slider"},
                )
            ],
        ),
    ]
    return notebook


def test_offline_notebook_points_at_local_files_and_drops_widget_state():
    original = _notebook()
    links = {"02_saturation.ipynb": "02_saturation.slides.html"}
    notebook = offline_assets.offline_notebook(original, "assets/badge.svg", links)
    text = notebook.cells[0].source
    assert offline_assets.COLAB_BADGE not in text and "(assets/badge.svg)" in text
    assert "(https://colab.x/a)" in text  # the link still opens Colab
    assert "(02_saturation.slides.html)" in text
    assert "(02_saturation.slides.html#goals)" in text
    assert "(x02_saturation.ipynb)" in text
    assert "widgets" not in notebook.metadata
    assert notebook.cells[1].outputs[0]["data"]["text/plain"] == offline_assets.WIDGET_NOTE_TEXT
    assert "widgets" in original.metadata, "the stored notebook is not changed"


def _page(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!DOCTYPE html><html><head></head><body>{body}</body></html>")


def test_check_folder_flags_fetches_and_missing_files_only(tmp_path):
    (tmp_path / "here.png").write_bytes(b"png")
    _page(
        tmp_path,
        "fine.html",
        '<a href="https://example.org/paper">a paper</a><img src="here.png">'
        '<link rel="canonical" href="https://example.org/"><a href="#top">top</a>'
        '<a href="sub/page.html#x">sub</a><img src="data:image/png;base64,AAAA">',
    )
    _page(tmp_path, "sub/page.html", '<a href="../fine.html">back</a>')
    assert offline_assets.check_folder(tmp_path) == []
    _page(
        tmp_path,
        "bad.html",
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css">'
        '<img src="missing.png"><a href="nowhere.html">gone</a>',
    )
    problems = offline_assets.check_folder(tmp_path)
    assert len(problems) == 4, problems
    assert sum("fetched from the network" in p for p in problems) == 2
    assert sum("missing file" in p for p in problems) == 2


def test_every_notebook_link_becomes_a_deck_link():
    links = build_slides.deck_links(NOTEBOOKS)
    assert links["02_saturation.ipynb"] == "02_saturation.slides.html"
    assert len(links) == len(NOTEBOOKS)


def test_notebooks_are_named_by_path_or_number():
    assert build_slides.resolve(["02"]) == [ROOT / "notebooks" / "02_saturation.ipynb"]
    assert build_slides.resolve(["notebooks/02_saturation.py"]) == [
        Path("notebooks/02_saturation.ipynb")
    ]
    with pytest.raises(SystemExit):
        build_slides.resolve(["99"])


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    """The deck of notebook 02, built as `make slides NB=02` builds it."""
    out = tmp_path_factory.mktemp("slides")
    (written,) = build_slides.build([ROOT / "notebooks" / "02_saturation.ipynb"], out)
    return out, written.read_text()


def test_deck_loads_everything_from_its_folder(deck):
    out, html = deck
    assert build_slides.offline_problems(out, complete=False) == []
    for asset in (
        "assets/reveal.js/dist/reveal.js",
        "assets/reveal.js/dist/reveal.css",
        "assets/reveal.js/dist/theme/white.css",
        "assets/reveal.js/plugin/notes/notes.js",
        f"assets/mathjax/{offline_assets.MATHJAX_SCRIPT}",
        "assets/mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
        "assets/colab-badge.svg",
    ):
        assert (out / asset).is_file(), asset
        assert asset.split("/woff-v2/")[0] in html or "woff" in asset
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"(https?:)?//", html)
    assert "require(" not in html, "reveal.js is loaded by script tags, not RequireJS"
    assert (out / "index.html").read_text().count("<li>") == 1


def test_deck_has_a_slide_per_section(deck):
    _, html = deck
    notebook = nbformat.read(ROOT / "notebooks" / "02_saturation.ipynb", as_version=4)
    types = [c.metadata.get("slideshow", {}).get("slide_type") for c in notebook.cells]
    # nbconvert writes a slide as an outer <section> around its first sub-slide's <section>,
    # then one <section> per further sub-slide: a skipped cell and "-" cells add none.
    assert html.count("<section><section>") == types.count("slide")
    assert html.count("<section") == 2 * types.count("slide") + types.count("subslide")
    assert "2. Saturation against scale" in html  # a section title, as a slide


def test_site_sources_are_staged_with_navigation_and_local_links(tmp_path):
    staged = build_site.stage(tmp_path / "src")
    assert staged == NOTEBOOKS
    home = (tmp_path / "src" / "index.md").read_text()
    assert offline_assets.COLAB_BADGE not in home
    for path in NOTEBOOKS:
        assert f"\nnotebooks/{path.stem}\n" in home  # in the navigation
        assert f"(notebooks/{path.name})" in home  # the README's table links the page
        text = (tmp_path / "src" / "notebooks" / path.name).read_text()
        assert build_site.GITHUB_DOCS not in text and offline_assets.COLAB_BADGE not in text
    assert "\ndocs/notation\ndocs/references\ndocs/evidence\n" in home
    assert (tmp_path / "src" / "conf.py").read_text() == (
        ROOT / "tools" / "site_conf.py"
    ).read_text()
    assert (tmp_path / "src" / "_static" / "mathjax" / offline_assets.MATHJAX_SCRIPT).is_file()


def test_site_configuration_uses_local_math_and_executes_nothing():
    namespace: dict = {}
    exec((ROOT / "tools" / "site_conf.py").read_text(), namespace)
    assert namespace["nb_execution_mode"] == "off"
    assert namespace["mathjax_path"] == f"mathjax/{offline_assets.MATHJAX_SCRIPT}"


@pytest.mark.parametrize(
    "stamp, argv, extras",
    [
        ({}, [], ["lab", "test"]),
        ({}, ["--extra=teach"], ["lab", "teach", "test"]),
        ({"extras": ["lab", "teach", "test"]}, [], ["lab", "teach", "test"]),
    ],
)
def test_bootstrap_installs_an_extra_on_demand_and_keeps_it(stamp, argv, extras):
    assert bootstrap.wanted_extras(stamp, argv) == extras


def test_bootstrap_sets_rise_to_a_theme_that_fetches_no_fonts(tmp_path, monkeypatch):
    target = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    monkeypatch.setattr(bootstrap, "LAB_OVERRIDES", target)
    bootstrap.write_lab_settings()
    settings = json.loads(target.read_text())["jupyterlab-rise:plugin"]
    assert settings == {"theme": "white", "scroll": True}
    before = target.stat().st_mtime_ns
    bootstrap.write_lab_settings()  # unchanged: not rewritten
    assert target.stat().st_mtime_ns == before


# ------------------------------------------------------------- the bootstrap's install stamp
@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A fake checkout with a healthy .venv/: bootstrap.main's decisions without pip, the
    installs it asks for recorded in ``installs``."""
    (tmp_path / "gradcourse").mkdir()
    (tmp_path / "gradcourse" / "__init__.py").write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'gradcourse'\n")
    venv = tmp_path / ".venv"
    venv.mkdir()
    for name, value in {
        "ROOT": tmp_path,
        "VENV": venv,
        "VENV_PYTHON": venv / "bin" / "python",
        "STAMP": venv / ".gradcourse-install.json",
        "LAB_OVERRIDES": venv / "overrides.json",
    }.items():
        monkeypatch.setattr(bootstrap, name, value)
    monkeypatch.setattr(bootstrap, "venv_is_healthy", lambda: True)
    monkeypatch.setattr(bootstrap, "interpreter_info", lambda python: ((3, 12, 1), "/py"))
    installs: list[tuple[bool, list[str]]] = []
    monkeypatch.setattr(
        bootstrap, "install", lambda full, extras: installs.append((full, list(extras)))
    )
    return tmp_path, installs


def test_bootstrap_installs_once_then_only_what_changed(checkout):
    root, installs = checkout
    stamp = root / ".venv" / ".gradcourse-install.json"
    assert bootstrap.main([]) == 0 and installs == [(True, ["lab", "test"])]  # no stamp yet
    assert json.loads(stamp.read_text())["extras"] == ["lab", "test"]
    assert bootstrap.main([]) == 0 and len(installs) == 1  # nothing changed: nothing installed
    (root / "gradcourse" / "__init__.py").write_text("x = 2\n")
    bootstrap.main([])
    assert installs[-1] == (False, ["lab", "test"])  # the package alone, without dependencies
    (root / "gradcourse" / "new.py").write_text("")
    bootstrap.main([])
    assert installs[-1][0] is False and len(installs) == 3  # a new module counts too
    (root / "pyproject.toml").write_text("[project]\nname = 'gradcourse'\nversion = '2'\n")
    bootstrap.main([])
    assert installs[-1] == (True, ["lab", "test"])  # dependencies may have changed
    bootstrap.main(["--extra=teach"])
    assert installs[-1] == (True, ["lab", "teach", "test"])
    bootstrap.main([])  # the extra stays installed and recorded: nothing to do
    assert len(installs) == 5 and json.loads(stamp.read_text())["extras"][1] == "teach"


def test_bootstrap_writes_no_stamp_when_the_install_fails(checkout, monkeypatch):
    root, _ = checkout

    def failing(full, extras):
        bootstrap.fail("pip failed")

    monkeypatch.setattr(bootstrap, "install", failing)
    with pytest.raises(SystemExit):
        bootstrap.main([])
    assert not (root / ".venv" / ".gradcourse-install.json").exists()  # the next run retries
