"""Notebook setup: reproducibility, quiet logs, one figure style, a version report."""

from __future__ import annotations

import platform
import sys
from types import ModuleType

import numpy as np

from gradcourse._environment import (
    GPU_OPT_IN,
    gpu_hardware_present,
    gpu_in_use,
    wants_gpu,
)
from gradcourse._validate import require_int


def in_colab() -> bool:
    """Return True when running inside Google Colab."""
    return "google.colab" in sys.modules


def version_report() -> str:
    """One line with the versions that matter for reproducing a result."""
    from gradcourse._tensorflow import keras, tf

    where = "Colab" if in_colab() else platform.system()
    return (
        f"Python {platform.python_version()} | TensorFlow {tf.__version__} | "
        f"Keras {keras.__version__} | NumPy {np.__version__} | {where}"
    )


def seed_everything(seed: int = 0, deterministic: bool | None = None) -> None:
    """Seed Python, NumPy and TensorFlow, and (by default on a CPU) make TF ops deterministic.

    ``deterministic=None`` enables op determinism only when TensorFlow computes on no GPU
    (its logical devices): on a GPU some kernels have no deterministic version and would
    raise instead of running. The course hides the GPU unless the learner opts in
    (``GRADCOURSE_GPU=1``, see ``gradcourse._environment``).
    """
    seed = require_int("seed", seed, minimum=0)
    if deterministic is not None and not isinstance(deterministic, bool):
        raise TypeError(
            f"deterministic must be True, False or None, got {type(deterministic).__name__}"
        )
    from gradcourse._tensorflow import keras, tf

    keras.utils.set_random_seed(seed)  # seeds Python's random, NumPy and TensorFlow together
    if deterministic is None:
        deterministic = not gpu_in_use()
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def setup_notebook(seed: int = 0, verbose: bool = True) -> None:
    """Prepare a notebook: seeds, determinism, quiet TensorFlow, the course figure style.

    Call it once, in the setup cell, before building any model.
    """
    seed = require_int("seed", seed, minimum=0)
    from gradcourse._tensorflow import tf  # quiet start-up: see gradcourse._tensorflow

    tf.get_logger().setLevel("ERROR")
    gpu_note = _keep_to_the_cpu(tf)
    seed_everything(seed)

    # here: Matplotlib loads when a notebook is set up, not on `import gradcourse`
    from gradcourse.alt_text import install_alt_text
    from gradcourse.plotting import apply_style

    apply_style()
    install_alt_text()  # each figure's output says what it shows (site, decks, readers)
    if verbose:
        print(version_report())
    if gpu_note:
        print(gpu_note)


def _keep_to_the_cpu(tf: ModuleType) -> str:
    """Hide a GPU that TensorFlow still sees (it was imported before gradcourse) unless the
    learner opted in; return what the learner should read about the GPU ('' if no GPU)."""
    if wants_gpu():
        count = len(tf.config.list_logical_devices("GPU"))
        if not count:
            return (
                f"{GPU_OPT_IN}=1, but TensorFlow sees no GPU (set it before importing "
                "gradcourse, in a fresh kernel, on a machine with a GPU)."
            )
        return (
            f"{GPU_OPT_IN}=1: TensorFlow computes on {count} GPU(s). This leaves the tested "
            "path: the course's asserts were derived on CPUs, and a GPU rounds differently."
        )
    visible = tf.config.list_physical_devices("GPU")
    if visible:
        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:  # devices already in use: too late to hide them
            return (
                "TensorFlow was imported before gradcourse and already uses the GPU: "
                "restart the kernel and run this notebook from the top (its first import "
                "is gradcourse) to get the tested CPU path."
            )
    if visible or gpu_hardware_present():
        return (
            "A GPU is present; the course hides it from TensorFlow: the notebooks are "
            "sized for a CPU and their asserts were derived on CPUs. To use it anyway, set "
            f"{GPU_OPT_IN}=1 before importing gradcourse (this leaves the tested path)."
        )
    return ""
