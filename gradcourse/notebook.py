"""Notebook setup: reproducibility, quiet logs, one figure style, a version report."""

from __future__ import annotations

import os
import platform
import random
import sys

from gradcourse._validate import require_int

# Must be set before TensorFlow is first imported to silence its C++ INFO/WARNING lines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def in_colab() -> bool:
    """Return True when running inside Google Colab."""
    return "google.colab" in sys.modules


def version_report() -> str:
    """One line with the versions that matter for reproducing a result."""
    import keras
    import numpy as np
    import tensorflow as tf

    where = "Colab" if in_colab() else platform.system()
    return (
        f"Python {platform.python_version()} | TensorFlow {tf.__version__} | "
        f"Keras {keras.__version__} | NumPy {np.__version__} | {where}"
    )


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow ops deterministic."""
    seed = require_int("seed", seed, minimum=0)
    import keras
    import numpy as np
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TensorFlow together
    tf.config.experimental.enable_op_determinism()


def setup_notebook(seed: int = 0, verbose: bool = True) -> None:
    """Prepare a notebook: seeds, determinism, quiet TensorFlow, the course figure style.

    Call it once, in the setup cell, before building any model.
    """
    seed = require_int("seed", seed, minimum=0)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    # Initialise TensorFlow's devices now, so that its start-up log lines (which no
    # setting silences in recent versions) land in the setup cell, not in a lesson.
    tf.config.list_logical_devices()
    seed_everything(seed)

    from gradcourse.plotting import apply_style

    apply_style()
    if verbose:
        print(version_report())
