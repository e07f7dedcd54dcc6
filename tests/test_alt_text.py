"""Alternative text for figures: written from what a figure states, stored by the kernel,
and carried into the <img> tags of the website and the decks (issue 27)."""

from __future__ import annotations

import base64
import html
import os
import re
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gradcourse.alt_text import MAX_NAMES, describe_figure, set_alt_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import offline_assets  # noqa: E402
from notebook_exec import PatientNotebookClient  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_a_figure_is_described_by_its_titles_axes_scales_and_legend():
    figure, (left, right) = plt.subplots(1, 2)
    figure.suptitle("Gradient over the lag")
    lags = np.arange(1, 20)
    left.semilogy(lags, 0.9**lags, label="SimpleRNN")
    left.semilogy(lags, 0.99**lags, label="LSTM")
    left.set(xlabel="lag $k$", ylabel=r"$\|\partial h_T / \partial h_{T-k}\|$")
    left.legend()
    right.imshow(np.eye(4))
    right.set_title("recurrent matrix")
    text = describe_figure(figure)
    assert text.startswith("Figure with 2 panels: Gradient over the lag.")
    assert (
        'Panel 1 shows 2 curves; x axis "lag k" and y axis "‖∂ h_T / ∂ h_(T-k)‖" (log scale)'
        in text
    )
    assert "legend: SimpleRNN, LSTM" in text
    assert 'Panel 2 "recurrent matrix" shows an image' in text
    assert "$" not in text and "\\" not in text


def test_bars_colour_scales_and_empty_panels_are_named():
    figure, (bars, empty) = plt.subplots(1, 2)
    bars.bar(["a", "b", "c"], [1, 2, 3])
    image = empty.imshow(np.ones((2, 2)))
    image.remove()
    scale = figure.colorbar(plt.cm.ScalarMappable(), ax=bars)
    scale.set_label("saturated fraction")
    text = describe_figure(figure)
    assert "Panel 1 shows 3 bars" in text and "Panel 2 is empty" in text
    assert "Colour scale: saturated fraction." in text
    assert "3 panels" not in text, "a colour bar is not a panel"


def test_a_long_legend_is_counted_not_listed():
    figure, ax = plt.subplots()
    for index in range(MAX_NAMES + 3):
        ax.plot([0, 1, 2], [index] * 3, label=f"run {index}")
    ax.legend()
    text = describe_figure(figure)
    assert f"run {MAX_NAMES - 1} and 3 more" in text and f"run {MAX_NAMES}," not in text


def test_an_explicit_alt_text_wins_and_bad_input_is_refused():
    figure, ax = plt.subplots()
    ax.plot([0, 1, 2])
    set_alt_text(figure, "  The loss falls to zero.  ")
    assert describe_figure(figure) == "The loss falls to zero."
    with pytest.raises(TypeError, match="matplotlib Figure"):
        describe_figure(ax)
    with pytest.raises(TypeError, match="matplotlib Figure"):
        set_alt_text("figure", "text")
    with pytest.raises(ValueError, match="non-empty string"):
        set_alt_text(figure, "   ")


def test_the_kernel_stores_each_figures_alt_text_after_setup_notebook():
    """In a real kernel, through the inline backend, as a notebook cell makes figures."""
    os.environ.pop("PYTEST_CURRENT_TEST", None)
    cells = [
        "import gradcourse as gc\ngc.setup_notebook(verbose=False)\n"
        "import matplotlib.pyplot as plt",
        "fig, ax = plt.subplots()\nax.plot([1, 2, 3], label='loss')\nax.set_title('Training')\n"
        "ax.legend()\nplt.show()",
        "plt.plot([3, 2, 1])",  # shown by the backend at the end of the cell, not by show()
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    with tempfile.TemporaryDirectory() as workdir:
        PatientNotebookClient(
            notebook, timeout=120, resources={"metadata": {"path": workdir}}
        ).execute()
    figures = [
        output
        for cell in notebook.cells
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(figures) == 2
    first, second = (figure["metadata"]["image/png"]["alt"] for figure in figures)
    assert first == 'Figure with one panel. The panel "Training" shows 1 curve; legend: loss.'
    assert second == "Figure with one panel. The panel shows 1 curve."


def _figure_output(alt: str | None) -> nbformat.NotebookNode:
    png = base64.b64encode(b"\x89PNG not really").decode()
    metadata = {"image/png": {"alt": alt}} if alt else {}
    return nbformat.v4.new_output("display_data", data={"image/png": png}, metadata=metadata)


def test_site_and_decks_write_the_stored_alt_text_into_the_img_tag():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("plot()", outputs=[_figure_output('Loss "falls" <fast>')])]
    )
    staged = offline_assets.offline_notebook(notebook, "badge.svg", {})
    tag = staged.cells[0].outputs[0]["data"]["text/html"]
    alt = re.search(r'alt="([^"]*)"', tag).group(1)
    assert html.unescape(alt) == 'Loss "falls" <fast>'
    assert tag.startswith('<img src="data:image/png;base64,')
    assert "text/html" not in notebook.cells[0].outputs[0]["data"], "the source is not changed"


def test_a_figure_without_stored_alt_text_is_left_for_the_browser_test_to_flag():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("plot()", outputs=[_figure_output(None)])]
    )
    staged = offline_assets.offline_notebook(notebook, "badge.svg", {})
    assert list(staged.cells[0].outputs[0]["data"]) == ["image/png"]


@pytest.mark.parametrize(
    "label, spoken",
    [
        (r"predicted: $\frac{1}{2}\log_{10}\chi$", "predicted: 1/2 log_(10)χ"),
        (r"$s_W\sqrt{n}$", "s_W√n"),
        (r"$\max_{\rm batch}\|\nabla L\|$", "max_(batch)‖∇ L‖"),
        (r"estimate $\bar f^{\,T-1-t}$", "estimate f^(T-1-t)"),
    ],
)
def test_tex_in_a_label_is_spelled_as_a_reader_would_say_it(label, spoken):
    figure, ax = plt.subplots()
    ax.set_xlabel(label)
    assert f'x axis "{spoken}"' in describe_figure(figure)
