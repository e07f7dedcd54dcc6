"""The cell-by-cell filter of TensorFlow's native stderr: what it drops, what it keeps, and
that no writer to file descriptor 2 can ever block on it (no TensorFlow needed here)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from stderr_flood import flood_source

from gradcourse._stderr import filter_runtime_log, filtered_native_stderr

ROOT = Path(__file__).resolve().parent.parent

PREAMBLE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
)
# TensorFlow 2.16.1 (the floor) at the first XLA-compiled step, whatever TF_CPP_MIN_LOG_LEVEL says.
XLA = (
    "I0000 00:00:1796510470.105318   60331 service.cc:145] XLA service 0x7f1a9c004a30 initialized for platform Host (this does not guarantee that XLA will be used). Devices:\n"
    "I0000 00:00:1796510470.105370   60331 service.cc:153]   StreamExecutor device (0): Host, Default Version\n"
    "I0000 00:00:1796510470.361583   60331 device_compiler.h:188] Compiled cluster using XLA!  This line is logged at most once for the lifetime of the process.\n"
)
TF_DATA = (
    "E0000 00:00:1795454135.139333   31211 node_def_util.cc:682] NodeDef mentions attribute "
    "use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; ...>\n"
)
REAL_ERROR = (
    "E0000 00:00:1795317913.253692    6590 something.cc:1] could not open the file you asked for\n"
    "\tmore about that error\n"
)


def test_xla_info_records_and_known_noise_are_dropped_at_the_default_level(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    assert filter_runtime_log(PREAMBLE + XLA + TF_DATA) == ""


def test_errors_and_other_text_are_kept_in_order(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    text = "a line of a subprocess\n" + XLA + REAL_ERROR + "no newline at the end"
    assert filter_runtime_log(text) == "a line of a subprocess\n" + REAL_ERROR + (
        "no newline at the end"
    )


def test_a_lower_log_level_shows_what_it_asks_for(monkeypatch):
    warning = "W0000 00:00:1795317913.253692    6590 x.cc:1] a warning\n"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert filter_runtime_log(XLA + warning + TF_DATA) == XLA + warning
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    assert filter_runtime_log(XLA + warning) == warning


def test_a_filtered_block_drops_known_noise_written_to_fd_2_and_keeps_errors(monkeypatch, capfd):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    with filtered_native_stderr(filter_runtime_log):
        os.write(2, (TF_DATA + REAL_ERROR).encode())
        os.write(2, TF_DATA.encode())
    assert capfd.readouterr().err == REAL_ERROR


def test_a_filtered_block_writes_what_it_kept_even_when_it_raises(monkeypatch, capfd):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    with pytest.raises(RuntimeError, match="in the block"):
        with filtered_native_stderr(filter_runtime_log):
            os.write(2, (REAL_ERROR + TF_DATA).encode())
            raise RuntimeError("in the block")
    assert capfd.readouterr().err == REAL_ERROR


def _run(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,  # a blocked writer fails the test here instead of hanging it
        cwd=ROOT,
    )


def test_an_abandoned_filter_never_blocks_a_writer_of_more_than_64_kib():
    # The filter is started and never stopped (as if its post-cell event never came, or
    # the kernel's machinery died): native code, here os.write from two threads, writes
    # 1 MiB to fd 2, far more than a pipe's 64 KiB. A pump thread draining a pipe would
    # block every writer once it stopped; a temporary file cannot.
    result = _run(
        "from gradcourse._stderr import _CellStderrFilter\n"
        "cell = _CellStderrFilter()\n"
        "cell.start()\n" + flood_source(b"x" * 1023 + b"\n") + 'os.write(1, b"wrote 1 MiB")\n',
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "wrote 1 MiB"
    assert result.stderr == ""  # all of it went to the abandoned file, none to the terminal


def test_a_stopped_filter_writes_what_it_keeps_to_stderr_and_restores_fd_2():
    result = _run(
        f"""
        import os, sys
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        from gradcourse._stderr import _CellStderrFilter
        cell = _CellStderrFilter()
        cell.start()
        os.write(2, {(XLA + REAL_ERROR).encode()!r} * 100)
        cell.stop()
        os.write(2, b"after the cell\\n")
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == REAL_ERROR * 100 + "after the cell\n"


# TensorFlow 2.20 (Colab's stack) logs in TSL's dated format: seen in the setup cell there,
# where listing the physical devices probes CUDA again with every GPU hidden.
CUINIT_TSL = (
    "2026-12-07 03:02:48.906200: E external/local_xla/xla/stream_executor/cuda/"
    "cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: "
    "UNKNOWN ERROR (303)\n"
)
REAL_ERROR_TSL = "2026-12-07 03:02:49.000001: E tensorflow/core/x.cc:7] a real error\n\tdetail\n"
INFO_TSL = "2026-12-07 03:02:49.000002: I tensorflow/core/x.cc:8] some information\n"


def test_records_in_tsl_dated_format_are_filtered_like_absl_ones(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    text = CUINIT_TSL + INFO_TSL + REAL_ERROR_TSL + "plain text\n"
    assert filter_runtime_log(text) == REAL_ERROR_TSL + "plain text\n"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert filter_runtime_log(text) == INFO_TSL + REAL_ERROR_TSL + "plain text\n"


def test_the_failed_cuda_probe_is_dropped_in_either_format(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    absl = (
        "E0000 00:00:1795317913.253692 6590 cuda_executor.cc:1] failed call to cuInit: "
        "UNKNOWN ERROR (303)\n"
    )
    assert filter_runtime_log(absl + CUINIT_TSL) == ""
