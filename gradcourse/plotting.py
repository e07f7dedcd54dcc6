"""One figure style and one colour per model or setting, kept across notebooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from gradcourse._validate import require_array, require_int, require_str

# Colour-blind-safe (Okabe-Ito); the same key gets the same colour in every notebook.
COLORS: dict[str, str] = {
    "SimpleRNN": "#D55E00",
    "LSTM": "#0072B2",
    "GRU": "#009E73",
    "tanh": "#0072B2",
    "sigmoid": "#D55E00",
    "relu": "#009E73",
    "linear": "#CC79A7",
    "none": "#000000",
    "clipvalue": "#E69F00",
    "clipnorm": "#CC79A7",
    "global_clipnorm": "#0072B2",
}

# Large fonts and thick lines: figures must read from the back of a lecture hall.
STYLE: dict[str, object] = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "legend.fontsize": 11,
    "lines.linewidth": 2.2,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.constrained_layout.use": True,
}


def apply_style() -> None:
    """Apply the course's matplotlib style to all figures that follow."""
    mpl.rcParams.update(STYLE)


def color_for(key: str, fallback_index: int = 0) -> str:
    """Return the course colour for ``key`` (a model, activation or clipping mode)."""
    key = require_str("key", key)
    fallback_index = require_int("fallback_index", fallback_index, minimum=0)
    if key in COLORS:
        return COLORS[key]
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    return cycle[fallback_index % len(cycle)]


def sequential_colors(n: int, cmap: str = "viridis") -> list:
    """Return ``n`` colours from a perceptually uniform map (for sweeps of a parameter)."""
    n = require_int("n", n, minimum=1)
    return [plt.get_cmap(cmap)(x) for x in np.linspace(0.0, 0.9, n)]


def histogram_grid(
    data: Mapping[str, Sequence[np.ndarray]],
    title: str = "",
    xlabel: str = "value",
    ncols: int = 3,
    bins: int = 60,
    xlim: tuple[float, float] | None = None,
):
    """One panel of per-layer histograms for each setting in ``data``.

    ``data`` maps a panel label (e.g. ``"tanh, Glorot"``) to a list of arrays, one per
    layer. Each layer's histogram is drawn as a line coloured from dark (first layer)
    to light (last), as in makemore part 3, so that many layers fit in one panel.
    Returns the matplotlib figure.
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError("data must be a non-empty mapping of label -> list of arrays")
    ncols = require_int("ncols", ncols, minimum=1)
    bins = require_int("bins", bins, minimum=1)
    data = {
        label: [require_array(f"data[{label!r}][{i}]", v).ravel() for i, v in enumerate(layers)]
        for label, layers in data.items()
    }
    for label, layers in data.items():
        if len(layers) == 0:
            raise ValueError(f"data[{label!r}] holds no layers")
    ncols = min(ncols, len(data))
    nrows = -(-len(data) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.4 * nrows), squeeze=False)
    # The grid may have more axes than panels: zip stops at the last panel.
    for ax, (label, layers) in zip(axes.flat, data.items(), strict=False):
        colors = sequential_colors(len(layers))
        for index, (values, color) in enumerate(zip(layers, colors, strict=True)):
            counts, edges = np.histogram(values, bins=bins, range=xlim, density=True)
            ax.plot(
                0.5 * (edges[1:] + edges[:-1]),
                counts,
                color=color,
                lw=1.6,
                label=f"layer {index + 1}",
            )
        ax.set_title(label, fontsize=12)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("density")
    for ax in list(axes.flat)[len(data) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper right", fontsize=8, ncol=2)
    if title:
        fig.suptitle(title)
    return fig
