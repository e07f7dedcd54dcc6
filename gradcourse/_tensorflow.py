"""The one place gradcourse imports TensorFlow and Keras: environment first, start-up noise
filtered.

Every module of the package that needs TensorFlow does ``from gradcourse._tensorflow
import keras, tf``, so whichever module a notebook imports first, TensorFlow starts the
same quiet, reproducible way. ``import gradcourse`` alone does not load TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator

from gradcourse import _environment  # noqa: F401  (sets TensorFlow's variables first)

# A C++ log record starts with its severity letter and date: "I0000 00:00:17953... file.cc:12] ...".
_RECORD_START = re.compile(r"^[IWEF]\d{4} ")
# Lines TensorFlow writes before its logging is initialised, whatever TF_CPP_MIN_LOG_LEVEL says.
_ABSL_PREAMBLE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
)
# The one error-level record that is expected, not a fault: a CUDA build on a machine without a GPU.
_NO_GPU = re.compile(r"failed call to cuInit")


def _is_noise(record: str) -> bool:
    """True for a start-up record the user asked not to see (INFO/WARNING) or an expected one."""
    if record.startswith(_ABSL_PREAMBLE):
        return True
    if record[:1] in "IW" and _RECORD_START.match(record):
        return True  # below TF_CPP_MIN_LOG_LEVEL=2, printed only because logging was not set up yet
    return bool(_RECORD_START.match(record) and _NO_GPU.search(record))


def filter_startup_log(text: str) -> str:
    """Drop TensorFlow's start-up noise from captured stderr ``text``; keep everything else.

    A record is a log line plus the lines that continue it (those not starting a new record).
    """
    records: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if not records or _RECORD_START.match(line) or line.startswith(_ABSL_PREAMBLE):
            records.append([line])
        else:
            records[-1].append(line)
    return "".join("".join(lines) for lines in records if not _is_noise("".join(lines)))


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


# Error-level lines TensorFlow prints while it works, that are known to be harmless.
_RUNTIME_NOISE = (
    # TF 2.21 under op determinism: tf.data rewrites a parallel map (Keras uses one for a
    # partial last batch) into a sequential one and keeps an attribute the sequential op
    # lacks; the attribute is then ignored, as the line itself says.
    re.compile(rb"NodeDef mentions attribute use_unbounded_threadpool which is not in the op"),
)


def is_runtime_noise(line: bytes) -> bool:
    """True for a line of TensorFlow's native stderr that is known to be harmless."""
    return any(pattern.search(line) for pattern in _RUNTIME_NOISE)


def _filter_native_stderr_in_kernel() -> None:
    """In a notebook kernel, pass TensorFlow's native stderr through a filter for good.

    Kernels forward file descriptor 2 to the notebook in red; Python's own ``sys.stderr``
    does not use it there, so only native lines go through this filter. Not installed in
    a plain Python process (whose tracebacks go to fd 2), nor if
    GRADCOURSE_TF_LOGS=all asks to see everything.
    """
    if os.environ.get("GRADCOURSE_TF_LOGS") == "all" or "ipykernel" not in sys.modules:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if sys.stderr.fileno() == 2:  # Python writes to fd 2 too: do not get between them
            return
    read_end, write_end = os.pipe()
    forward_to = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb", buffering=0) as pipe, os.fdopen(forward_to, "wb", 0) as out:
            pending = b""
            for chunk in iter(lambda: pipe.read(65536), b""):
                *lines, pending = (pending + chunk).split(b"\n")
                kept = b"".join(line + b"\n" for line in lines if not is_runtime_noise(line))
                if kept:
                    out.write(kept)

    threading.Thread(target=pump, name="gradcourse-tf-stderr", daemon=True).start()


def _import_tensorflow():
    if "tensorflow" in sys.modules:  # imported before us: too late to quiet its start-up
        import keras
        import tensorflow

        return tensorflow, keras
    with _quiet_native_stderr():
        import keras
        import tensorflow

        # Initialising the devices logs the CUDA probe; do it here, inside the filter.
        tensorflow.config.list_logical_devices()
    _filter_native_stderr_in_kernel()
    return tensorflow, keras


tf, keras = _import_tensorflow()

__all__ = ["filter_startup_log", "is_runtime_noise", "keras", "tf"]
