"""The one place gradcourse imports TensorFlow and Keras: environment first, start-up noise
filtered.

Every module of the package that needs TensorFlow does ``from gradcourse._tensorflow
import keras, tf``, so whichever module a notebook imports first, TensorFlow starts the
same quiet, reproducible way. ``import gradcourse`` alone does not load TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

from gradcourse import _environment  # noqa: F401  (sets TensorFlow's variables first)
from gradcourse._stderr import (
    filter_native_stderr_in_kernel,
    filter_runtime_log,
    filter_startup_log,
    is_runtime_noise,
)


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Capture what C++ code writes to file descriptor 2; re-emit all but start-up noise.

    Notebook kernels forward fd 2 to the notebook as red stderr, so the filter works at
    the descriptor, not at ``sys.stderr`` (which C++ code never sees).
    """
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = filter_startup_log(captured.read().decode("utf-8", errors="replace"))
            if kept:
                sys.stderr.write(kept)


def _import_tensorflow():
    if "tensorflow" in sys.modules:  # imported before us: too late to quiet its start-up
        import keras
        import tensorflow

        filter_native_stderr_in_kernel()
        return tensorflow, keras
    with _quiet_native_stderr():
        import keras
        import tensorflow

        # Initialising the devices logs the CUDA probe; do it here, inside the filter.
        tensorflow.config.list_logical_devices()
    filter_native_stderr_in_kernel()
    return tensorflow, keras


tf, keras = _import_tensorflow()

__all__ = ["filter_runtime_log", "filter_startup_log", "is_runtime_noise", "keras", "tf"]
