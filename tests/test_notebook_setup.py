import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradcourse as gc
from gradcourse import notebook
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
    with pytest.raises(TypeError, match="deterministic must be True, False or None, got str"):
        seed_everything(0, deterministic="yes")


@pytest.mark.parametrize(
    "seed, error, match",
    [
        (-1, ValueError, "seed must be >= 0, got -1"),
        (1.5, TypeError, "seed must be an integer, got float"),
        ("0", TypeError, "seed must be an integer, got str"),
        (True, TypeError, "seed must be an integer, got bool"),
    ],
)
def test_bad_seed(seed, error, match):
    with pytest.raises(error, match=match):
        gc.setup_notebook(seed=seed)


def test_colors_are_consistent_and_fallback_cycles():
    assert color_for("LSTM") == COLORS["LSTM"]
    assert color_for("unknown", 0) != color_for("unknown", 1)
    assert len(sequential_colors(4)) == 4
    with pytest.raises(TypeError, match="key must be a string, got int"):
        color_for(3)
    with pytest.raises(ValueError, match="fallback_index must be >= 0"):
        color_for("unknown", -1)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        sequential_colors(0)
    with pytest.raises(TypeError, match="n must be an integer, got float"):
        sequential_colors(2.0)


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
    with pytest.raises(ValueError, match="data must be a non-empty mapping"):
        histogram_grid({})
    with pytest.raises(ValueError, match="data\\['a'\\] holds no layers"):
        histogram_grid({"a": []})
    with pytest.raises(ValueError, match="ncols must be >= 1"):
        histogram_grid({"a": [np.zeros(3)]}, ncols=0)
    with pytest.raises(TypeError, match="bins must be an integer"):
        histogram_grid({"a": [np.zeros(3)]}, bins=2.5)
    with pytest.raises(TypeError, match="data\\['a'\\]\\[1\\] must be array-like of numbers"):
        histogram_grid({"a": [np.zeros(3), "abc"]})


# ---------------------------------------------------------------- the GPU stays hidden


def test_importing_gradcourse_hides_the_gpu_unless_the_learner_opts_in():
    from gradcourse import _environment

    environ = {}
    assert _environment.hide_gpu(environ) and environ["CUDA_VISIBLE_DEVICES"] == "-1"
    for opt_in in ("1", "true", "YES"):
        environ = {"GRADCOURSE_GPU": opt_in}
        assert not _environment.hide_gpu(environ) and "CUDA_VISIBLE_DEVICES" not in environ
    environ = {"GRADCOURSE_GPU": "0"}
    assert _environment.hide_gpu(environ) and environ["CUDA_VISIBLE_DEVICES"] == "-1"


def test_a_fresh_python_sees_no_gpu_after_importing_gradcourse():
    # The variable must be set at import, before TensorFlow's first import: in a new process.
    code = (
        "import os, gradcourse, gradcourse.notebook as n; "
        "print(os.environ['CUDA_VISIBLE_DEVICES'], n.gpu_in_use())"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GRADCOURSE_GPU",)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["-1", "False"]


_BLAS_THREADS = """
import ctypes, gradcourse, numpy
names = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
         "openblas_get_num_threads64_", "openblas_get_num_threads")
libraries = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line}
for library in sorted(libraries):
    for name in names:
        function = getattr(ctypes.CDLL(library), name, None)
        if function is not None:
            print(function()); raise SystemExit
print("unknown")
"""


@pytest.mark.parametrize("preset, expected", [(None, "1"), ("2", "2")])
def test_importing_gradcourse_first_gives_numpy_one_blas_thread_unless_the_user_set_it(
    preset, expected
):
    # OpenBLAS reads the variable when NumPy loads: ask the loaded library itself.
    if not Path("/proc/self/maps").exists() or (os.cpu_count() or 1) < 2:
        pytest.skip("needs Linux and two cores")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    out = subprocess.run(
        [sys.executable, "-c", _BLAS_THREADS], capture_output=True, text=True, env=env, check=True
    )
    if out.stdout.strip() == "unknown":
        pytest.skip("this NumPy is not linked to OpenBLAS")
    assert out.stdout.strip() == expected


class _FakeConfig:
    """tf.config with a GPU that can (or cannot any more) be hidden."""

    def __init__(self, too_late=False):
        self.visible = ["GPU:0"]
        self.too_late = too_late

    def list_physical_devices(self, kind):
        return list(self.visible) if kind == "GPU" else []

    def list_logical_devices(self, kind):
        return list(self.visible) if kind == "GPU" else []

    def set_visible_devices(self, devices, kind):
        if self.too_late:
            raise RuntimeError("Visible devices cannot be modified after being initialized")
        self.visible = list(devices)


def _fake_tf(config):
    return type("FakeTF", (), {"config": config})()


def test_setup_hides_a_gpu_that_tensorflow_still_sees_and_says_so(monkeypatch):
    monkeypatch.delenv("GRADCOURSE_GPU", raising=False)
    config = _FakeConfig()
    note = notebook._keep_to_the_cpu(_fake_tf(config))
    assert config.visible == []
    assert "A GPU is present; the course hides it" in note and "GRADCOURSE_GPU=1" in note


def test_setup_says_when_the_gpu_is_already_in_use(monkeypatch):
    monkeypatch.delenv("GRADCOURSE_GPU", raising=False)
    note = notebook._keep_to_the_cpu(_fake_tf(_FakeConfig(too_late=True)))
    assert "restart the kernel" in note


def test_a_learner_who_opts_in_keeps_the_gpu_and_is_told_it_leaves_the_tested_path(
    monkeypatch,
):
    monkeypatch.setenv("GRADCOURSE_GPU", "1")
    config = _FakeConfig()
    note = notebook._keep_to_the_cpu(_fake_tf(config))
    assert config.visible == ["GPU:0"]
    assert "computes on 1 GPU(s)" in note and "leaves the tested path" in note


def test_no_gpu_anywhere_means_nothing_to_say(monkeypatch):
    monkeypatch.delenv("GRADCOURSE_GPU", raising=False)
    config = _FakeConfig()
    config.visible = []
    monkeypatch.setattr(notebook, "gpu_hardware_present", lambda: False)
    assert notebook._keep_to_the_cpu(_fake_tf(config)) == ""
