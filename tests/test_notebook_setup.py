import random

import numpy as np
import pytest

import gradcourse as gc
from gradcourse.notebook import seed_everything
from gradcourse.plotting import COLORS, color_for, histogram_grid, sequential_colors


def test_seed_everything_makes_python_numpy_and_tensorflow_repeat():
    import tensorflow as tf

    draws = []
    for _ in range(2):
        seed_everything(7)
        draws.append((random.random(), np.random.rand(), float(tf.random.uniform(()))))
    assert draws[0] == draws[1]


def test_setup_notebook_prints_a_one_line_version_report(capsys):
    gc.setup_notebook(seed=1)
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1
    for word in ("Python", "TensorFlow", "Keras", "NumPy"):
        assert word in out


def test_op_determinism_is_on_by_default_on_a_cpu():
    from tensorflow.python.framework.config import is_op_determinism_enabled

    seed_everything(0)
    assert is_op_determinism_enabled()
    with pytest.raises(TypeError):
        seed_everything(0, deterministic="yes")


def test_not_in_colab_here():
    assert gc.in_colab() is False


@pytest.mark.parametrize(
    "seed, error", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)]
)
def test_bad_seed(seed, error):
    with pytest.raises(error):
        gc.setup_notebook(seed=seed)


def test_colors_are_consistent_and_fallback_cycles():
    assert color_for("LSTM") == COLORS["LSTM"]
    assert color_for("unknown", 0) != color_for("unknown", 1)
    assert len(sequential_colors(4)) == 4
    with pytest.raises(TypeError):
        color_for(3)
    with pytest.raises(ValueError):
        sequential_colors(0)


def test_histogram_grid_draws_one_panel_per_setting():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    fig = histogram_grid({"a": [rng.normal(size=50)] * 3, "b": [rng.normal(size=50)] * 2})
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 3
    plt.close(fig)
    fig = histogram_grid({str(i): [rng.normal(size=20)] for i in range(5)}, ncols=3)
    assert sum(ax.get_visible() for ax in fig.axes) == 5
    plt.close(fig)
    with pytest.raises(ValueError):
        histogram_grid({})
    with pytest.raises(ValueError):
        histogram_grid({"a": []})
    with pytest.raises(ValueError):
        histogram_grid({"a": [np.zeros(3)]}, ncols=0)
