"""The one place gradcourse imports TensorFlow and Keras: environment first, start-up noise
filtered.

Every module of the package that needs TensorFlow does ``from gradcourse._tensorflow
import keras, tf``, so whichever module a notebook imports first, TensorFlow starts the
same quiet, reproducible way. ``import gradcourse`` alone does not load TensorFlow.
"""

from __future__ import annotations

import sys

from gradcourse import _environment  # noqa: F401  (sets TensorFlow's variables first)
from gradcourse._stderr import (
    filter_native_stderr_in_kernel,
    filter_runtime_log,
    filter_startup_log,
    filtered_native_stderr,
    is_runtime_noise,
)


def _import_tensorflow():
    if "tensorflow" in sys.modules:  # imported before us: too late to quiet its start-up
        import keras
        import tensorflow

        filter_native_stderr_in_kernel()
        return tensorflow, keras
    # Capture C++ code's writes to fd 2 (notebook kernels forward it as red stderr) and
    # re-emit all but the start-up noise.
    with filtered_native_stderr(filter_startup_log):
        import keras
        import tensorflow

        # Initialising the devices logs the CUDA probe; do it here, inside the filter.
        tensorflow.config.list_logical_devices()
    filter_native_stderr_in_kernel()
    return tensorflow, keras


tf, keras = _import_tensorflow()

__all__ = ["filter_runtime_log", "filter_startup_log", "is_runtime_noise", "keras", "tf"]
