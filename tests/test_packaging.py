"""What a learner installs: a regular wheel with every subpackage, quiet to import."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gradcourse"


def _source_packages() -> set[str]:
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in PACKAGE.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # The stack jobs' builder: a copy of the tracked files (no stale build/ in the
    # tree can add or hide a module), no build isolation (no network needed).
    sys.path.insert(0, str(ROOT / "tools"))
    from stack_job import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_every_subpackage_and_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert len(_source_packages()) >= 2  # gradcourse and gradcourse.exercises at least
    for package in _source_packages():
        assert f"{package.replace('.', '/')}/__init__.py" in names, (
            f"{package} is missing from the wheel"
        )
    for module in PACKAGE.rglob("*.py"):
        assert str(module.relative_to(ROOT)) in names, f"{module.name} is missing from the wheel"


def test_wheel_version_is_pyprojects(wheel):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert wheel.name.startswith(f"gradcourse-{version}-")


def _run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_import_gradcourse_loads_no_tensorflow(tmp_path):
    result = _run_python(
        "import sys, gradcourse; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF was imported'; "
        "gradcourse.check; print(gradcourse.__version__)",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() and result.stdout.strip() != "0+unknown"


def test_tensorflow_starts_without_a_line_on_stderr(tmp_path):
    # Import a module that needs TensorFlow first (not setup_notebook), then use the device.
    result = _run_python(
        "import gradcourse.probes, gradcourse.notebook as nb; nb.setup_notebook(verbose=False); "
        "from gradcourse._tensorflow import tf; print(float(tf.reduce_sum(tf.ones(3))))",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3.0"
    assert result.stderr == "", result.stderr


def test_relu_rnn_training_prints_no_grappler_errors(tmp_path):
    # With oneDNN's rewrite on, a ReLU SimpleRNN under op determinism printed pages of
    # "empty op name" / "remapper failed" errors in every training cell.
    result = _run_python(
        "import gradcourse as gc; gc.setup_notebook(verbose=False)\n"
        "import numpy as np\n"
        "from gradcourse.models import build_recurrent_model\n"
        "from gradcourse._tensorflow import keras\n"
        "model = build_recurrent_model('SimpleRNN', 10, 2, units=8, activation='relu')\n"
        "model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss='mse')\n"
        "x = np.random.rand(32, 10, 2).astype('float32')\n"
        "model.fit(x, x[:, :1, 0], epochs=1, verbose=0)\n",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
