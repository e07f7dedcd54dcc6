"""One notation and one reference list for the whole course.

`docs/notation.md` defines every symbol once and `docs/references.md` holds the full
citations. Every notebook links to both with absolute URLs built from pyproject's
Repository URL (a notebook on Colab runs without the repository, so relative links
would break), ends with a References section, and cites only listed works.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCRIPTS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
NOTATION_URL = f"{REPOSITORY}/blob/main/docs/notation.md"
REFERENCES_URL = f"{REPOSITORY}/blob/main/docs/references.md"

# "Pascanu, Mikolov and Bengio's (2013)", "Le et al. 2015", "He et al. (2015)",
# "Glorot & Bengio 2010": the surname just before the year, and the year.
CITATION = re.compile(
    r"\b([A-Z][A-Za-z-]+)(?:'s)?(?:\s+et\s+al\.(?:'s)?)?,?\s+\(?((?:19|20)\d{2})\)"
)
CITATION_BARE = re.compile(r"\b([A-Z][A-Za-z-]+)(?:\s+et\s+al\.)?\s+((?:19|20)\d{2})\b")

# A singular value is lambda_i (Pascanu et al.'s lambda_1); sigma is only the sigmoid.
SIGMA_AS_SINGULAR_VALUE = re.compile(
    r"sigma_max|sigma_min|\\sigma_\{?\\?(?:max|min)|\\sigma_\{?[1in]\b|σ_"
)
# The package's own names (spectrum_summary's keys, gaussian_sigma_max) predate the notation.
PACKAGE_NAMES = re.compile(r"""\[\s*(["'])sigma_(?:max|min)\1\s*\]|gaussian_sigma_max""")
# g is a gain and only a gain: no gradient g, no LSTM candidate g_t.
G_NOT_A_GAIN = re.compile(
    r"\\lVert\s*g\s*\\rVert|\\\|\s*g\s*\\\||\\mathbf\{g\}|\$g_[0-9]\$|\bg_t\b|\bg = \("
)


def _cells(script: Path) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in jupytext.read(script).cells]


def _markdown(script: Path) -> list[str]:
    return [source for kind, source in _cells(script) if kind == "markdown"]


def _reference_heads() -> list[str]:
    """The bold head of each entry of docs/references.md, e.g. 'Le, Jaitly & Hinton (2015).'"""
    return re.findall(r"^- \*\*(.+?)\*\*", (DOCS / "references.md").read_text(), flags=re.M)


def test_notation_and_references_pages_exist():
    notation = (DOCS / "notation.md").read_text()
    symbols = [line.split("|")[1] for line in notation.splitlines() if line.startswith("| $")]
    for symbol in (
        r"$T$",
        r"$h_t$",
        r"$c_t$",
        r"$\tilde c_t$",
        r"$W_{hh}$",
        r"$\lambda_1$",
        r"$\rho$",
        r"$\gamma$",
        r"$g$",
        r"$\sigma$",
        r"$a_t$",
        r"$x_t$",
        r"$L$",
        r"$\chi$",
        r"$s_W$",
        r"$s_a$",
        r"$\nabla L$",
        r"$\tau$",
        r"$\lambda_i$",
    ):
        assert any(symbol in column for column in symbols), (
            f"docs/notation.md lacks a row for {symbol}"
        )
    assert "(references.md)" in notation
    heads = _reference_heads()
    assert len(heads) >= 15, heads
    for head in heads:
        assert re.search(r"\((?:19|20)\d{2}\)\.$", head), f"reference head without a year: {head!r}"


def test_links_are_built_from_the_repository_url():
    assert REPOSITORY.startswith("https://github.com/")
    assert NOTATION_URL == f"{REPOSITORY}/blob/main/docs/notation.md"
    readme = (ROOT / "README.md").read_text()
    assert "(docs/notation.md)" in readme and "(docs/references.md)" in readme


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_first_markdown_cell_links_to_the_notation(script):
    first = _markdown(script)[0]
    assert f"]({NOTATION_URL})" in first, (
        f"{script.name}: the first markdown cell should link to {NOTATION_URL}"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_ends_with_a_references_section(script):
    headings = [source.splitlines()[0] for source in _markdown(script) if source.strip()]
    assert "## References" in headings, f"{script.name} has no '## References' markdown cell"
    assert headings.index("## References") > headings.index("## Exercises"), (
        "References go after the exercises"
    )
    references = next(source for source in _markdown(script) if source.startswith("## References"))
    assert f"]({REFERENCES_URL})" in references, (
        f"{script.name}: References should link to {REFERENCES_URL}"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_links_to_the_docs_are_absolute(script):
    # A relative link (../docs/notation.md) breaks on Colab, where the notebook runs alone.
    text = script.read_text()
    for link in re.findall(r"\]\(([^)\s]*docs/[\w.-]+\.md)\)", text):
        page = link.removeprefix(f"{REPOSITORY}/blob/main/docs/")
        assert page != link and (DOCS / page).is_file(), (
            f"{script.name}: {link} is not built from {REPOSITORY} or names no page of docs/"
        )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_cited_work_is_in_the_reference_list(script):
    heads = _reference_heads()
    text = "\n".join(_markdown(script))
    cited = set(CITATION.findall(text)) | set(CITATION_BARE.findall(text))
    missing = [
        f"{name} ({year})"
        for name, year in sorted(cited)
        if not any(re.search(rf"\b{name}\b", head) and year in head for head in heads)
    ]
    assert not missing, f"{script.name} cites works missing from docs/references.md: {missing}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_singular_values_are_lambda_not_sigma(script):
    for kind, source in _cells(script):
        if kind == "code":
            source = PACKAGE_NAMES.sub("", source)
        found = SIGMA_AS_SINGULAR_VALUE.findall(source)
        assert not found, (
            f"{script.name}: {found} in a {kind} cell; write lambda_1 (sigma is the sigmoid)"
        )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_g_is_only_a_gain(script):
    for kind, source in _cells(script):
        found = G_NOT_A_GAIN.findall(source)
        assert not found, (
            f"{script.name}: {found} in a {kind} cell; g is a gain: write \\nabla L for a "
            "gradient and \\tilde c_t for the LSTM candidate"
        )
