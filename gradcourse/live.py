"""Live demos for the lecture hall: the knobs of notebooks 01 and 03, as ipywidgets.

Each demo has three layers, so that everything but the sliders is tested without a browser:

- a pure function computes what the figure shows: ``chain_factors`` (notebook 01, the
  product of T local factors) and ``gradient_over_lag`` (notebook 03, the gradient norm
  over the lag for a gain and an input scale);
- drawing functions put it on matplotlib Axes, and ``chain_rule_figure`` /
  ``bptt_figure`` draw a whole figure: the static figure of the default setting that
  readers of the web page and nbval see, and the one the widget redraws;
- ``chain_rule_demo`` / ``bptt_demo`` wire sliders to that figure with
  ``ipywidgets.interactive``.

ipywidgets is imported only inside the demo builders, so importing this module needs
NumPy and matplotlib only (and ``import gradcourse`` does not import it at all).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from gradcourse._validate import require_choice, require_float, require_int
from gradcourse.activations import (
    ACTIVATIONS,
    DERIVATIVE_BOUND,
    derivative,
    mean_field_chi,
    saturated_mask,
)
from gradcourse.activations import activation as activation_fn
from gradcourse.matrices import scaled_orthogonal
from gradcourse.plotting import color_for
from gradcourse.rnn import driven_pre_activations, jacobian_norms

if TYPE_CHECKING:  # pragma: no cover - for the annotations only
    import ipywidgets

# The sliders' ranges. The builders refuse a default outside them (a slider would clamp
# it silently); they also keep every curve finite (3^200 ~ 1e95, 4^100 ~ 1e60).
WEIGHT_RANGE = (0.0, 3.0)
T_RANGE = (1, 200)
GAIN_RANGE = (0.1, 4.0)
INPUT_SCALE_RANGE = (0.01, 10.0)
BPTT_ACTIVATIONS = ("tanh", "sigmoid")  # the two of notebook 03, section 3

# Redraw when the slider is let go: a redraw takes a few tenths of a second, and redraws
# queued while dragging (over Colab's network, too) would trail the hand by seconds.
_WIDE = {"description_width": "initial"}  # "input scale" in full, not cut to "input s..."
_SLIDER = {"continuous_update": False, "style": _WIDE}

# Fixed y-ranges: a curve that moves when a knob turns is easier to read than an axis
# that rescales. The same ranges as the notebooks' own figures.
PRODUCT_YLIM = (1e-30, 1e30)
LAG_YLIM = (1e-40, 1e12)
CHAIN_FIGSIZE = (12.0, 4.5)
BPTT_FIGSIZE = (8.0, 4.5)
# Fixed margins, not constrained layout: its pass over every text doubled a redraw's time.
CHAIN_MARGINS = {"left": 0.07, "right": 0.98, "bottom": 0.13, "top": 0.82, "wspace": 0.22}
BPTT_MARGINS = {"left": 0.13, "right": 0.97, "bottom": 0.13, "top": 0.82}


# ---------------------------------------------------------------- notebook 01: the chain


@dataclass(frozen=True, eq=False)  # no ==: it would compare arrays; compare the fields
class Chain:
    """The scalar recurrence ``h_t = f(w h_(t-1) + x_t)``, t = 1..T, and its gradient.

    ``inputs[t-1]`` is x_t and ``states[t-1]`` is h_t; ``factors[t-1]`` the local factor
    ``dh_t/dh_(t-1) = w f'(a_t)``; ``products[t-1] = dh_t/dh_0``, the product of the
    first t factors.
    """

    weight: float
    activation: str
    inputs: np.ndarray
    states: np.ndarray
    factors: np.ndarray
    products: np.ndarray

    @property
    def T(self) -> int:
        return len(self.factors)


def chain_factors(
    weight: float,
    T: int,
    activation: str = "tanh",
    h0: float = 0.1,
    input_scale: float = 0.1,
    seed: int = 0,
) -> Chain:
    """Run ``h_t = f(w h_(t-1) + x_t)`` for T steps and return its local factors.

    The setting of notebook 01: ``h_0 = 0.1`` and inputs ``x_t ~ N(0, input_scale^2)``
    drawn with ``seed``; the inputs of a shorter chain are the first ones of a longer
    chain, so moving the T slider only cuts or extends one trajectory.
    ``activation`` is one of ``ACTIVATIONS``.
    """
    weight = require_float("weight", weight)
    T = require_int("T", T, minimum=1)
    activation = require_choice("activation", activation, ACTIVATIONS)
    h = require_float("h0", h0)
    input_scale = require_float("input_scale", input_scale, minimum=0.0)
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    inputs = input_scale * rng.standard_normal(T)
    f = activation_fn(activation)
    pre, states = np.empty(T), np.empty(T)
    for t, x in enumerate(inputs):
        pre[t] = weight * h + x
        h = states[t] = f(pre[t])
    factors = weight * derivative(activation)(pre)
    return Chain(weight, activation, inputs, states, factors, np.cumprod(factors))


def _positive(values: np.ndarray) -> np.ndarray:
    """|values| with exact zeros as NaN: a log axis cannot show 0, so leave a gap."""
    values = np.abs(values)
    return np.where(values > 0, values, np.nan)


def draw_local_factors(ax: Axes, chain: Chain) -> None:
    """The local factors ``|dh_t/dh_(t-1)|`` against the step t, with the line at 1."""
    _require_axes(ax)
    steps = np.arange(1, chain.T + 1)
    ax.plot(steps, np.abs(chain.factors), ".-", color=color_for(chain.activation), lw=1.2)
    ax.axhline(1.0, color="black", lw=1)
    ax.set_ylim(0.0, max(1.5, 1.1 * abs(chain.weight)))
    ax.set_xlabel("step t")
    ax.set_ylabel(r"local factor $|\partial h_t / \partial h_{t-1}|$")
    ax.set_title(r"one factor per step, $w\,f'(a_t)$")


def draw_running_product(ax: Axes, chain: Chain) -> None:
    """``|dh_T/dh_0|`` against T (log scale), with the linear rule ``|w|^T`` for comparison."""
    _require_axes(ax)
    steps = np.arange(1, chain.T + 1)
    ax.semilogy(
        steps, _positive(chain.products), color=color_for(chain.activation), label=chain.activation
    )
    ax.semilogy(
        steps,
        _positive(abs(chain.weight) ** steps),
        color="gray",
        ls=":",
        label=r"$|w|^T$ (linear)",
    )
    ax.axhline(1.0, color="black", lw=1)
    zeros = np.flatnonzero(chain.products == 0)
    if zeros.size:  # a ReLU that switched off: the product is exactly 0 from then on
        ax.axvline(
            zeros[0] + 1,
            color=color_for(chain.activation),
            ls=":",
            label=f"exactly 0 from T = {zeros[0] + 1}",
        )
    _decade_ticks(ax, PRODUCT_YLIM)
    ax.set_xlabel("number of steps T")
    ax.set_ylabel(r"$|\partial h_T / \partial h_0|$")
    ax.set_title(
        rf"their product: $|\partial h_{{{chain.T}}} / \partial h_0|$ = "
        + _number(chain.products[-1])
    )
    ax.legend(loc="upper left")


def chain_rule_figure(
    weight: float = 2.0, T: int = 100, activation: str = "tanh", figure: Figure | None = None
) -> Figure:
    """The figure of notebook 01's demo: local factors (left), their product (right).

    Draws into ``figure`` (cleared first) or, by default, a new pyplot figure; returns it.
    """
    chain = chain_factors(weight, T, activation)
    figure = _fresh_figure(figure, CHAIN_FIGSIZE)
    ax_factors, ax_product = figure.subplots(1, 2, gridspec_kw=CHAIN_MARGINS)
    draw_local_factors(ax_factors, chain)
    draw_running_product(ax_product, chain)
    figure.suptitle(rf"$h_t = f(w\,h_{{t-1}} + x_t)$, $f$ = {activation}, $w$ = {weight:g}")
    return figure


def chain_rule_demo(
    weight: float = 2.0, T: int = 100, activation: str = "tanh"
) -> ipywidgets.interactive:
    """Sliders for the weight w and the number of steps T, a menu for the activation;
    each change redraws ``chain_rule_figure``. The figure is the widget's ``.figure``."""
    weight = require_float("weight", weight, *WEIGHT_RANGE)
    T = require_int("T", T, minimum=T_RANGE[0])
    if T > T_RANGE[1]:
        raise ValueError(f"T must be <= {T_RANGE[1]}, got {T}")
    activation = require_choice("activation", activation, ACTIVATIONS)
    widgets = _import_widgets()
    controls = {
        "weight": widgets.FloatSlider(
            value=weight,
            min=WEIGHT_RANGE[0],
            max=WEIGHT_RANGE[1],
            step=0.05,
            **_SLIDER,
            description="w",
        ),
        "T": widgets.IntSlider(value=T, min=T_RANGE[0], max=T_RANGE[1], **_SLIDER, description="T"),
        "activation": widgets.Dropdown(
            options=list(ACTIVATIONS), value=activation, description="activation", style=_WIDE
        ),
    }
    return _live(widgets, chain_rule_figure, controls, CHAIN_FIGSIZE)


# ------------------------------------------------------- notebook 03: gradient over lag


@dataclass(frozen=True, eq=False)  # no ==: it would compare arrays; compare the fields
class LagCurve:
    """``norms[k] = ||dh_T/dh_(T-k)||_2`` for k = 0..T of an RNN with ``W_hh = gain * Q``,
    with the mean-field growth factor ``chi`` and the fraction of saturated unit-steps."""

    gain: float
    input_scale: float
    activation: str
    norms: np.ndarray
    chi: float
    saturated: float

    @property
    def gamma(self) -> float:
        """The bound on |f'| in Pascanu et al.'s conditions."""
        return DERIVATIVE_BOUND[self.activation]


def gradient_over_lag(
    gain: float,
    input_scale: float,
    activation: str = "tanh",
    steps: int = 100,
    width: int = 32,
    matrix_seed: int = 1,
    input_seed: int = 0,
) -> LagCurve:
    """The gradient norm over the lag for ``W_hh = gain * Q`` driven by inputs of scale
    ``input_scale`` (``W_xh = I``): notebook 03's setting, where the defaults (32 units,
    T = 100, ``Q`` from seed 1, inputs from seed 0) reproduce its curves.

    ``activation`` is tanh, sigmoid or ReLU (saturated: dead units); ``chi`` is
    ``(||W||_F^2 / n) E[f'(a)^2]`` over the pre-activations of the same run.
    """
    gain = require_float("gain", gain, minimum=0.0)
    input_scale = require_float("input_scale", input_scale, minimum=0.0)
    activation = require_choice("activation", activation, ("tanh", "sigmoid", "relu"))
    W = scaled_orthogonal(require_int("width", width, minimum=1), gain, seed=matrix_seed)
    pre = driven_pre_activations(W, steps, activation, input_scale, seed=input_seed)
    return LagCurve(
        gain=gain,
        input_scale=input_scale,
        activation=activation,
        norms=jacobian_norms(W, pre, activation),
        chi=mean_field_chi(W, pre, activation),
        saturated=float(saturated_mask(activation_fn(activation)(pre), activation).mean()),
    )


def draw_gradient_over_lag(ax: Axes, curve: LagCurve) -> None:
    """The norm against the lag (log scale), with Pascanu's bound ``(gamma g)^k`` and the
    mean-field prediction ``chi^(k/2)``."""
    _require_axes(ax)
    lags = np.arange(len(curve.norms))
    ax.semilogy(lags, _positive(curve.norms), color=color_for(curve.activation), label="measured")
    ax.semilogy(
        lags,
        _positive((curve.gamma * curve.gain) ** lags),
        color="gray",
        ls=":",
        label=r"$(\gamma g)^k$ (Pascanu's bound)",
    )
    ax.semilogy(
        lags,
        _positive(curve.chi ** (lags / 2)),
        color="gray",
        ls="--",
        label=r"$\chi^{k/2}$ (mean field)",
    )
    ax.axhline(1.0, color="black", lw=1)
    _decade_ticks(ax, LAG_YLIM)
    T = len(curve.norms) - 1
    ax.set_xlabel("lag $k$ (steps)")
    ax.set_ylabel(rf"$\|\partial h_{{{T}}} / \partial h_{{{T}-k}}\|_2$")
    ax.set_title(
        rf"$\chi$ = {curve.chi:.2f}, {curve.saturated:.0%} of units saturated, "
        rf"$\|\partial h_{{{T}}} / \partial h_0\|$ = " + _number(curve.norms[-1]),
        fontsize=12,
    )
    ax.legend(loc="lower left")


def bptt_figure(
    gain: float = 1.5,
    input_scale: float = 1.0,
    activation: str = "tanh",
    figure: Figure | None = None,
) -> Figure:
    """The figure of notebook 03's demo: the gradient norm over the lag.

    Draws into ``figure`` (cleared first) or, by default, a new pyplot figure; returns it.
    """
    curve = gradient_over_lag(gain, input_scale, activation)
    figure = _fresh_figure(figure, BPTT_FIGSIZE)
    draw_gradient_over_lag(figure.subplots(gridspec_kw=BPTT_MARGINS), curve)
    figure.suptitle(rf"{activation} RNN, $W_{{hh}} = {gain:g}\,Q$, input scale {input_scale:g}")
    return figure


def bptt_demo(
    gain: float = 1.5, input_scale: float = 1.0, activation: str = "tanh"
) -> ipywidgets.interactive:
    """Sliders for the gain g of ``W_hh = g Q`` and the input scale (logarithmic), a menu
    for tanh or sigmoid; each change redraws ``bptt_figure``. The figure is ``.figure``."""
    gain = require_float("gain", gain, *GAIN_RANGE)
    input_scale = require_float("input_scale", input_scale, *INPUT_SCALE_RANGE)
    activation = require_choice("activation", activation, BPTT_ACTIVATIONS)
    widgets = _import_widgets()
    low, high = np.log10(INPUT_SCALE_RANGE)
    controls = {
        "gain": widgets.FloatSlider(
            value=gain,
            min=GAIN_RANGE[0],
            max=GAIN_RANGE[1],
            step=0.05,
            **_SLIDER,
            description="gain g",
        ),
        "input_scale": widgets.FloatLogSlider(
            value=input_scale,
            base=10,
            min=low,
            max=high,
            step=0.05,
            **_SLIDER,
            description="input scale",
        ),
        "activation": widgets.Dropdown(
            options=list(BPTT_ACTIVATIONS), value=activation, description="activation", style=_WIDE
        ),
    }
    return _live(widgets, bptt_figure, controls, BPTT_FIGSIZE)


# ------------------------------------------------------------------------- the plumbing


def _decade_ticks(ax: Axes, ylim: tuple[float, float], every: int = 10) -> None:
    """Log y-axis on ``ylim`` labelled every ``every`` decades, without minor ticks.

    Fixed ticks keep a redraw fast: a default log axis over 50 decades formats more
    labels than matplotlib's mathtext cache holds, and re-parses them at every draw.
    """
    low, high = (int(round(np.log10(limit))) for limit in ylim)
    ax.set_ylim(*ylim)
    ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(low, high + 1, every)))
    ax.yaxis.set_minor_locator(NullLocator())


def _number(value: float) -> str:
    """|value| for a title: 3 significant digits, and a plain 0 for an exact zero."""
    return f"{abs(value):.2e}" if value else "0"


def _require_axes(ax: Any) -> None:
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")


def _fresh_figure(figure: Figure | None, figsize: tuple[float, float]) -> Figure:
    if figure is None:
        return plt.figure(figsize=figsize, layout="none")
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure or None, got {type(figure).__name__}")
    figure.clear()
    figure.set_layout_engine("none")
    return figure


def _import_widgets():
    """ipywidgets, imported on first use; on Colab, ready to render version 8."""
    import ipywidgets

    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        enable_colab_widgets()
    return ipywidgets


def enable_colab_widgets() -> bool:
    """On Colab, switch on its custom widget manager; elsewhere do nothing. True if switched.

    Colab's built-in manager renders the ipywidgets 7 it ships; ipywidgets 8 (a learner
    who upgraded) renders through the custom manager, which Colab enables on request.
    """
    try:
        from google.colab import output
    except ImportError:
        return False
    output.enable_custom_widget_manager()
    return True


def _live(
    widgets: ModuleType,
    draw: Callable[..., None],
    controls: dict,
    figsize: tuple[float, float],
) -> ipywidgets.interactive:
    """``interactive`` over ``controls`` that redraws ``draw(**values, figure=...)`` in place."""
    # Not a pyplot figure: the inline backend would show a pyplot one a second time, below
    # the widget, at the end of the cell. One figure and one canvas for every redraw: no
    # figure piles up, and the renderer (with its cache of parsed labels) is reused.
    figure = Figure(figsize=figsize)
    canvas = FigureCanvasAgg(figure)

    def redraw(**values: Any) -> None:
        draw(**values, figure=figure)
        png = io.BytesIO()
        canvas.print_png(png)  # one render (the inline backend's display would make two)
        display(Image(png.getvalue()))

    demo = widgets.interactive(redraw, **controls)
    if not demo.kwargs:  # ipywidgets 7 (Colab's) calls it only once displayed: draw now
        demo.update()
    demo.figure = figure
    return demo
