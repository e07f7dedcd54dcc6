"""The live demos: what they compute (against independent calculations), bad input, and
widgets whose sliders redraw the figure."""

from __future__ import annotations

import subprocess
import sys
import types
from unittest import mock

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gradcourse import live  # noqa: E402
from gradcourse.activations import ACTIVATIONS, activation  # noqa: E402
from gradcourse.gradcheck import numerical_gradient  # noqa: E402
from gradcourse.matrices import scaled_orthogonal  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------- chain_factors (01)


def _h_T(weight, h0, inputs, name):
    """h_T of h_t = f(w h_(t-1) + x_t), written out again, for finite differences."""
    f = activation(name)
    h = h0
    for x in inputs:
        h = f(weight * h + x)
    return float(h)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("weight", [0.9, 1.6])
def test_product_of_factors_is_the_derivative_of_the_chain(name, weight):
    # h0 = 0.5: every pre-activation stays away from ReLU's kink at 0 (checked below)
    chain = live.chain_factors(weight, 12, name, h0=0.5, input_scale=0.1, seed=3)
    pre = weight * np.concatenate([[0.5], chain.states[:-1]]) + chain.inputs
    assert np.min(np.abs(pre)) > 1e-3
    for T in (1, 5, 12):
        by_differences = numerical_gradient(
            lambda h0, T=T: _h_T(weight, h0, chain.inputs[:T], name), 0.5, eps=1e-5
        )
        # relative to the value, plus round-off (1e-16 / eps) for the tiny sigmoid products
        error = abs(chain.products[T - 1] - float(by_differences))
        assert error < 1e-7 * abs(chain.products[T - 1]) + 1e-10, (name, T)


def test_tanh_factors_are_notebook_01s_formula():
    chain = live.chain_factors(2.0, 100, "tanh")
    h = 0.1
    for x, state in zip(chain.inputs, chain.states, strict=True):
        h = np.tanh(2.0 * h + x)
        assert state == pytest.approx(h, abs=1e-15)
    np.testing.assert_allclose(chain.factors, 2.0 * (1 - chain.states**2), rtol=1e-12)
    np.testing.assert_allclose(chain.products, np.cumprod(chain.factors), rtol=1e-12)
    assert chain.products[-1] < 1e-10  # w = 2 and still vanishing: notebook 01's point


def test_linear_factors_are_the_weight():
    chain = live.chain_factors(1.1, 50, "linear")
    np.testing.assert_allclose(chain.factors, 1.1)
    np.testing.assert_allclose(chain.products, 1.1 ** np.arange(1, 51), rtol=1e-12)


def test_a_shorter_chain_is_the_start_of_a_longer_one():
    short, long = live.chain_factors(1.3, 40), live.chain_factors(1.3, 100)
    np.testing.assert_array_equal(short.inputs, long.inputs[:40])
    np.testing.assert_array_equal(short.products, long.products[:40])
    assert short.T == 40 and long.T == 100


def test_inputs_follow_scale_and_seed():
    base = live.chain_factors(1.0, 20)
    np.testing.assert_allclose(live.chain_factors(1.0, 20, input_scale=0.3).inputs, 3 * base.inputs)
    assert not np.allclose(live.chain_factors(1.0, 20, seed=1).inputs, base.inputs)
    np.testing.assert_array_equal(live.chain_factors(1.0, 20, input_scale=0.0).inputs, 0.0)


# --------------------------------------------------------------- gradient_over_lag (03)


def _norms_by_hand(gain, input_scale, name, steps=100, width=32):
    """Notebook 03's setting written out: forward loop, then the Jacobian product."""
    W = scaled_orthogonal(width, gain, seed=1)
    x = input_scale * np.random.default_rng(0).standard_normal((1, steps, width))[0]
    f = activation(name)
    f_prime = {"tanh": lambda a: 1 - np.tanh(a) ** 2, "sigmoid": lambda a: f(a) * (1 - f(a))}[name]
    h, pre = np.zeros(width), []
    for t in range(steps):
        pre.append(x[t] + W @ h)
        h = f(pre[-1])
    jacobian, norms = np.eye(width), [1.0]
    for a in reversed(pre):  # dh_T/dh_(T-k) = prod over the last k steps of diag(f'(a)) W
        jacobian = jacobian @ (np.diag(f_prime(a)) @ W)
        norms.append(np.linalg.norm(jacobian, ord=2))
    return np.array(norms), np.array(pre)


@pytest.mark.parametrize(
    "gain, input_scale, name",
    [
        (0.5, 1.0, "tanh"),
        (1.5, 1.0, "tanh"),
        (1.5, 0.1, "tanh"),
        (1.5, 3.0, "tanh"),
        (3.0, 0.5, "sigmoid"),
    ],
)
def test_gradient_over_lag_is_the_jacobian_product(gain, input_scale, name):
    curve = live.gradient_over_lag(gain, input_scale, name)
    norms, pre = _norms_by_hand(gain, input_scale, name)
    np.testing.assert_allclose(curve.norms, norms, rtol=1e-9)
    h = activation(name)(pre)
    f_prime = 1 - h**2 if name == "tanh" else h * (1 - h)
    assert curve.chi == pytest.approx(gain**2 * np.mean(f_prime**2), rel=1e-12)
    margin = np.minimum(1 - np.abs(h), np.minimum(h, 1 - h)) if name == "sigmoid" else 1 - np.abs(h)
    assert curve.saturated == pytest.approx(np.mean(margin < 0.03))


def test_input_scale_flips_the_regime_at_one_gain():
    weak, strong = live.gradient_over_lag(1.5, 0.1), live.gradient_over_lag(1.5, 3.0)
    assert weak.norms[-1] > 1e3 and weak.chi > 1  # explodes
    assert strong.norms[-1] < 1e-20 and strong.chi < 1  # vanishes
    assert strong.saturated > weak.saturated
    assert weak.gamma == 1.0 and live.gradient_over_lag(2.0, 1.0, "sigmoid").gamma == 0.25


def test_below_pascanus_threshold_the_bound_holds():
    curve = live.gradient_over_lag(0.9, 0.01)  # weak inputs: tanh' near 1, close to the bound
    lags = np.arange(101)
    assert np.all(curve.norms <= 0.9**lags * (1 + 1e-9))
    assert curve.norms[-1] > 0.5 * 0.9**100


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: live.chain_factors("2", 10), TypeError, "weight must be a real number"),
        (lambda: live.chain_factors(float("nan"), 10), ValueError, "weight must be finite"),
        (lambda: live.chain_factors(2.0, 0), ValueError, "T must be >= 1"),
        (lambda: live.chain_factors(2.0, 2.5), TypeError, "T must be an integer"),
        (lambda: live.chain_factors(2.0, 10, "softplus"), ValueError, "activation must be one of"),
        (lambda: live.chain_factors(2.0, 10, None), TypeError, "activation must be a string"),
        (lambda: live.chain_factors(2.0, 10, input_scale=-1), ValueError, "input_scale must be >="),
        (lambda: live.gradient_over_lag(-1.0, 1.0), ValueError, "gain must be >= 0"),
        (lambda: live.gradient_over_lag(1.0, -0.1), ValueError, "input_scale must be >= 0"),
        (lambda: live.gradient_over_lag(1.0, 1.0, "linear"), ValueError, "activation must be"),
        (lambda: live.gradient_over_lag(1.0, 1.0, steps=0), ValueError, "steps must be >= 1"),
        (lambda: live.chain_rule_demo(weight=5.0), ValueError, "weight must be <= 3.0"),
        (lambda: live.chain_rule_demo(T=500), ValueError, "T must be <= 200"),
        (lambda: live.chain_rule_demo(activation="swish"), ValueError, "activation must be"),
        (lambda: live.bptt_demo(gain=0.0), ValueError, "gain must be >= 0.1"),
        (lambda: live.bptt_demo(input_scale=100.0), ValueError, "input_scale must be <= 10"),
        (lambda: live.bptt_demo(activation="relu"), ValueError, "one of ('tanh', 'sigmoid')"),
        (lambda: live.draw_local_factors("ax", live.chain_factors(1, 3)), TypeError, "Axes"),
        (lambda: live.chain_rule_figure(figure="figure"), TypeError, "matplotlib Figure"),
    ],
)
def test_bad_input_says_what_was_expected(call, error, words):
    with pytest.raises(error) as raised:
        call()
    assert words in str(raised.value)


# ----------------------------------------------------------------- figures and widgets


def _drawn(figure):
    """What a figure shows: every line's data and every title, axis by axis."""
    return [
        (ax.get_title(), [(line.get_xdata(), line.get_ydata()) for line in ax.get_lines()])
        for ax in figure.axes
    ] + [figure.get_suptitle()]


def _assert_same_drawing(first, second):
    a, b = _drawn(first), _drawn(second)
    assert len(a) == len(b) and a[-1] == b[-1]
    for (title_a, lines_a), (title_b, lines_b) in zip(a[:-1], b[:-1], strict=True):
        assert title_a == title_b
        assert len(lines_a) == len(lines_b)
        for (xa, ya), (xb, yb) in zip(lines_a, lines_b, strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


def _control(demo, description):
    (found,) = [w for w in demo.kwargs_widgets if w.description == description]
    return found


def test_chain_rule_figure_draws_the_chain():
    figure = live.chain_rule_figure(weight=1.1, T=30, activation="linear")
    ax_factors, ax_product = figure.axes
    chain = live.chain_factors(1.1, 30, "linear")
    np.testing.assert_allclose(ax_factors.get_lines()[0].get_ydata(), np.abs(chain.factors))
    np.testing.assert_allclose(ax_product.get_lines()[0].get_ydata(), np.abs(chain.products))
    assert ax_product.get_yscale() == "log" and ax_product.get_ylim() == live.PRODUCT_YLIM


def test_a_relu_chain_that_switches_off_is_marked_zero():
    chain = live.chain_factors(1.0, 200, "relu")
    first_zero = int(np.flatnonzero(chain.products == 0)[0]) + 1
    figure = live.chain_rule_figure(weight=1.0, T=200, activation="relu")
    labels = figure.axes[1].get_legend_handles_labels()[1]
    assert f"exactly 0 from T = {first_zero}" in labels
    assert figure.axes[1].get_title().endswith("= 0")


def test_bptt_figure_draws_the_curve_and_its_predictions():
    figure = live.bptt_figure(gain=2.0, input_scale=0.5)
    (ax,) = figure.axes
    curve = live.gradient_over_lag(2.0, 0.5)
    measured, bound, mean_field = (line.get_ydata() for line in ax.get_lines()[:3])
    lags = np.arange(101)
    np.testing.assert_allclose(measured, curve.norms)
    np.testing.assert_allclose(bound, 2.0**lags)
    np.testing.assert_allclose(mean_field, curve.chi ** (lags / 2))
    assert f"{curve.chi:.2f}" in ax.get_title()


@pytest.mark.parametrize(
    "build, static, changes",
    [
        (live.chain_rule_demo, live.chain_rule_figure, {"w": 0.9, "T": 40, "activation": "linear"}),
        (live.bptt_demo, live.bptt_figure, {"gain g": 2.5, "input scale": 0.1}),
        (live.bptt_demo, live.bptt_figure, {"activation": "sigmoid"}),
    ],
)
def test_a_slider_redraws_the_figure(build, static, changes):
    demo = build()
    assert isinstance(demo, ipywidgets.interactive)
    _assert_same_drawing(demo.figure, static())  # the static cell shows the widget's default
    before = demo.figure.axes[0].get_lines()[0].get_ydata().copy()
    for description, value in changes.items():
        control = _control(demo, description)
        control.value = value
        assert demo.kwargs[control._kwarg] == control.value  # the callback saw the slider
    after = demo.figure.axes[0].get_lines()[0].get_ydata()
    assert before.shape != after.shape or not np.allclose(before, after, equal_nan=True)
    _assert_same_drawing(demo.figure, static(**demo.kwargs))


def test_demo_controls_start_at_the_arguments():
    demo = live.chain_rule_demo(weight=0.5, T=10, activation="sigmoid")
    assert demo.kwargs == {"weight": 0.5, "T": 10, "activation": "sigmoid"}
    assert [w.description for w in demo.kwargs_widgets] == ["w", "T", "activation"]
    demo = live.bptt_demo(gain=0.8, input_scale=0.1)
    assert demo.kwargs["gain"] == 0.8 and demo.kwargs["input_scale"] == pytest.approx(0.1)


def test_the_figure_is_drawn_before_display_with_ipywidgets_7(monkeypatch):
    class Interactive7(ipywidgets.interactive):
        """ipywidgets 7 (Colab's) first calls the function when the widget is displayed."""

        def __init__(self, *args, **kwargs):
            self._constructing = True
            super().__init__(*args, **kwargs)
            self._constructing = False

        def update(self, *args):
            if not self._constructing:
                super().update(*args)

    monkeypatch.setattr(ipywidgets, "interactive", Interactive7)
    demo = live.bptt_demo()
    assert isinstance(demo, Interactive7)
    assert demo.kwargs == {"gain": 1.5, "input_scale": 1.0, "activation": "tanh"}
    _assert_same_drawing(demo.figure, live.bptt_figure())


def test_the_demo_figure_is_not_a_pyplot_figure():
    # A pyplot figure would be shown a second time, under the widget, by the inline backend.
    plt.close("all")
    live.bptt_demo()
    assert plt.get_fignums() == []


# ------------------------------------------------------------------------ Colab, imports


def _fake_colab(monkeypatch):
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = mock.Mock()
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    return output.enable_custom_widget_manager


def test_colab_widget_manager_only_on_colab(monkeypatch):
    assert live.enable_colab_widgets() is False  # not on Colab here
    enable = _fake_colab(monkeypatch)
    assert live.enable_colab_widgets() is True
    enable.assert_called_once_with()


@pytest.mark.parametrize("version, enabled", [("8.1.9", True), ("7.7.1", False)])
def test_demos_enable_colabs_manager_for_ipywidgets_8_only(monkeypatch, version, enabled):
    enable = _fake_colab(monkeypatch)
    monkeypatch.setattr(ipywidgets, "__version__", version)
    live.bptt_demo()
    assert enable.called is enabled


def test_importing_the_module_does_not_import_ipywidgets():
    code = (
        "import sys, gradcourse; assert 'gradcourse.live' not in sys.modules; "
        "import gradcourse.live; assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
