"""Notebook setup: reproducibility, quiet logs, one figure style, a version report."""

from __future__ import annotations

import platform
import random
import sys

from gradcourse._validate import require_int


def in_colab() -> bool:
    """Return True when running inside Google Colab."""
    return "google.colab" in sys.modules


def version_report() -> str:
    """One line with the versions that matter for reproducing a result."""
    import numpy as np

    from gradcourse._tensorflow import keras, tf

    where = "Colab" if in_colab() else platform.system()
    return (
        f"Python {platform.python_version()} | TensorFlow {tf.__version__} | "
        f"Keras {keras.__version__} | NumPy {np.__version__} | {where}"
    )


def seed_everything(seed: int = 0, deterministic: bool | None = None) -> None:
    """Seed Python, NumPy and TensorFlow, and (by default on a CPU) make TF ops deterministic.

    ``deterministic=None`` enables op determinism only when no GPU is visible: on a GPU
    some kernels have no deterministic version and would raise instead of running, and
    the course's asserts leave room for GPU round-off anyway.
    """
    seed = require_int("seed", seed, minimum=0)
    if deterministic is not None and not isinstance(deterministic, bool):
        raise TypeError(
            f"deterministic must be True, False or None, got {type(deterministic).__name__}"
        )
    import numpy as np

    from gradcourse._tensorflow import keras, tf

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TensorFlow together
    if deterministic is None:
        deterministic = not tf.config.list_physical_devices("GPU")
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def setup_notebook(seed: int = 0, verbose: bool = True) -> None:
    """Prepare a notebook: seeds, determinism, quiet TensorFlow, the course figure style.

    Call it once, in the setup cell, before building any model.
    """
    seed = require_int("seed", seed, minimum=0)
    from gradcourse._tensorflow import tf  # quiet start-up: see gradcourse._tensorflow

    tf.get_logger().setLevel("ERROR")
    seed_everything(seed)

    from gradcourse.plotting import apply_style

    apply_style()
    if verbose:
        print(version_report())
