"""TensorFlow's native stderr, filtered: its start-up noise, and what it writes while a
notebook cell runs (see ``gradcourse._tensorflow``). Imports neither TensorFlow nor IPython
at import time, so it can be tested on its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

# A C++ log record starts with its severity and time, in one of two formats: absl's
# "E1207 03:02:48.906200 123 file.cc:12] ..." (TensorFlow 2.16, 2.21) or TSL's
# "2026-12-07 03:02:48.906200: E file.cc:51] ..." (TensorFlow 2.20, Colab's).
_RECORD_START = re.compile(
    r"^(?:(?P<absl>[IWEF])\d{4} |\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+: (?P<tsl>[IWEF]) )"
)
# Lines TensorFlow writes before its logging is initialised, whatever TF_CPP_MIN_LOG_LEVEL says.
_ABSL_PREAMBLE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
)
# The one error-level record that is expected, not a fault: a CUDA build on a machine
# without a GPU, or with the GPU hidden (gradcourse._environment), probes CUDA and fails.
_NO_GPU = re.compile(r"failed call to cuInit")


def _severity(record: str) -> str:
    """The record's severity letter (I, W, E or F), or "" for a line that starts no record."""
    match = _RECORD_START.match(record)
    return (match.group("absl") or match.group("tsl")) if match else ""


def _records(text: str) -> list[str]:
    """``text`` cut into records: a log line plus the lines that continue it (those that
    start no record); absl's preamble line is a record of its own."""
    records: list[str] = []
    for line in text.splitlines(keepends=True):
        if not records or _severity(line) or line.startswith(_ABSL_PREAMBLE):
            records.append(line)
        else:
            records[-1] += line
    return records


def _is_noise(record: str) -> bool:
    """True for a start-up record the user asked not to see (INFO/WARNING) or an expected one."""
    if record.startswith(_ABSL_PREAMBLE):
        return True
    if _severity(record) in ("I", "W"):
        return True  # below TF_CPP_MIN_LOG_LEVEL=2, printed only because logging was not set up yet
    return bool(_severity(record) and _NO_GPU.search(record))


def filter_startup_log(text: str) -> str:
    """Drop TensorFlow's start-up noise from captured stderr ``text``; keep everything else."""
    return "".join(record for record in _records(text) if not _is_noise(record))


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


def _hidden_severities() -> str:
    """The record severities TF_CPP_MIN_LOG_LEVEL asks to hide: "" (0), "I" (1), "IW" (2, 3)."""
    try:
        level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        level = 0
    return "IW"[: max(0, min(level, 2))]


def filter_runtime_log(text: str) -> str:
    """Drop from ``text`` (native stderr written while a cell ran) what the user asked not to see.

    That is a record below TF_CPP_MIN_LOG_LEVEL (TensorFlow 2.16 prints XLA's "XLA service
    ... initialized" and "Compiled cluster using XLA!" INFO records at the first compiled
    step whatever the level says), absl's "before absl::InitializeLog()" preamble, and the
    known harmless error lines (``is_runtime_noise``, and the failed CUDA probe of a machine
    without a visible GPU). Everything else is kept, in order.
    """
    hidden = _hidden_severities()
    kept = []
    for record in _records(text):
        if record.startswith(_ABSL_PREAMBLE):
            continue
        if _severity(record) and _severity(record) in hidden:
            continue
        if _severity(record) and _NO_GPU.search(record):
            continue  # a later CUDA probe (e.g. listing the physical devices) fails again
        if is_runtime_noise(record.encode("utf-8", errors="replace")):
            continue
        kept.append(record)
    return "".join(kept)


@contextlib.contextmanager
def filtered_native_stderr(keep: Callable[[str], str]) -> Iterator[None]:
    """Capture what C++ code writes to file descriptor 2 while the block runs; on leaving
    it, write ``keep(captured text)`` to ``sys.stderr``.

    At the descriptor, not at ``sys.stderr``, which C++ code never sees. For a block of a
    plain process (TensorFlow's import with ``filter_startup_log``, a tool's training with
    ``filter_runtime_log``): Python's own writes to fd 2 in the block are captured too, and
    kept unless ``keep`` drops them, so they come out late rather than not at all.
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
            kept = keep(captured.read().decode("utf-8", errors="replace"))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


class _CellStderrFilter:
    """While a notebook cell runs, file descriptor 2 points to a temporary file; when it
    ends, the file is read, filtered (``filter_runtime_log``) and what is kept is written
    to the cell's stderr.

    No thread and no pipe: a write to a regular file never blocks, so native code can
    write any amount to fd 2 at any time, whatever happens to this object (a pump thread
    draining a pipe, used before, blocked every writer once it stopped and 64 KiB had
    piled up). The price: native lines reach the notebook when the cell ends, not live.
    """

    def __init__(self) -> None:
        self._captured: IO[bytes] | None = None
        self._saved_fd: int | None = None
        self.installed = False  # registered with IPython's cell events

    @property
    def capturing(self) -> bool:
        return self._saved_fd is not None

    def start(self, *_: object) -> None:
        """Point fd 2 to a fresh temporary file (IPython's ``pre_run_cell`` event)."""
        if self.capturing:
            return
        with contextlib.suppress(AttributeError, ValueError, OSError):
            sys.stderr.flush()
        self._captured = tempfile.TemporaryFile(mode="w+b")
        self._saved_fd = os.dup(2)
        os.dup2(self._captured.fileno(), 2)

    def stop(self, *_: object) -> None:
        """Restore fd 2, then write the filtered capture (IPython's ``post_run_cell`` event)."""
        if not self.capturing:
            return
        os.dup2(self._saved_fd, 2)
        os.close(self._saved_fd)
        self._saved_fd = None
        captured, self._captured = self._captured, None
        captured.seek(0)
        text = captured.read().decode("utf-8", errors="replace")
        captured.close()
        kept = filter_runtime_log(text)
        if kept:
            sys.stderr.write(kept)
            sys.stderr.flush()


_CELL_FILTER = _CellStderrFilter()


def filter_native_stderr_in_kernel() -> None:
    """In a notebook kernel, pass TensorFlow's native stderr through a filter, cell by cell.

    Kernels forward file descriptor 2 to the notebook in red; Python's own ``sys.stderr``
    does not use it there, so only native lines go through this filter. Not installed in
    a plain Python process (whose tracebacks go to fd 2), nor if GRADCOURSE_TF_LOGS=all
    asks to see everything. The cell that imports gradcourse is filtered from here on.
    """
    if os.environ.get("GRADCOURSE_TF_LOGS") == "all" or "ipykernel" not in sys.modules:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if sys.stderr.fileno() == 2:  # Python writes to fd 2 too: do not get between them
            return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel always brings IPython
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "events") or _CELL_FILTER.installed:
        return
    _CELL_FILTER.installed = True
    shell.events.register("pre_run_cell", _CELL_FILTER.start)
    shell.events.register("post_run_cell", _CELL_FILTER.stop)
    _CELL_FILTER.start()  # this cell is running already: its pre_run_cell has passed
