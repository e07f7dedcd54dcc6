"""Execute a notebook in an empty directory, as Colab would (shared by the tools)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from queue import Empty
from typing import Any

import jupytext
import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CELL_TIMEOUT_SECONDS = 120
# nbclient waits for a kernel's reply with one asyncio poll of the whole cell timeout on the
# shell socket. In a cell that displays an ipywidgets Output widget (01's and 03's live
# demos: ``interactive`` holds one), nbclient's stand-in for that widget sends its state
# back to the kernel on the same shell socket while that poll waits; a send on a zmq
# socket can consume the edge of its edge-triggered descriptor, and a reply arriving then
# never wakes the poll (issue 30: the kernel idle, the reply in the client's socket, on
# ipykernel 7.4 and on 6.25 alike). The run then sits idle until the timeout, when pyzmq
# polls the socket once more, finds the reply and goes on (322 s for a 30 s run with a
# 300 s timeout), or forever without a timeout. Waiting in short slices re-checks the
# socket every slice: a missed wake-up costs at most this long.
POLL_SLICE_SECONDS = 1.0


def _in_slices(
    get_msg: Callable[..., Awaitable[dict[str, Any]]],
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``get_msg(timeout)`` that polls in slices of POLL_SLICE_SECONDS, same result."""

    async def sliced(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await get_msg(
                    timeout=POLL_SLICE_SECONDS if left is None else min(POLL_SLICE_SECONDS, left)
                )
            except Empty:
                if left is not None and left <= POLL_SLICE_SECONDS:
                    raise

    return sliced


class PatientNotebookClient(NotebookClient):
    """nbclient's client, with the kernel's shell and IOPub messages awaited in slices."""

    async def async_start_new_kernel_client(self):  # type: ignore[override]
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = _in_slices(channel.get_msg)
        return kc


def notebook_from_script(script: Path) -> nbformat.NotebookNode:
    """Read a jupytext percent script as a notebook with the course's kernelspec."""
    notebook = jupytext.read(script)
    notebook.metadata.pop("jupytext", None)  # the .ipynb is built, not paired
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return notebook


def execute_alone(
    notebook: nbformat.NotebookNode, keep_timing: bool = False
) -> nbformat.NotebookNode:
    """Run every cell in order inside a fresh empty directory; raise on any error.

    ``keep_timing`` keeps nbclient's per-cell timestamps (``cell_seconds`` reads them)."""
    with tempfile.TemporaryDirectory(prefix="gradcourse-run-") as workdir:
        client = PatientNotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_SECONDS,
            kernel_name=KERNELSPEC["name"],
            resources={"metadata": {"path": workdir}},
        )
        client.execute()
    if not keep_timing:
        for cell in notebook.cells:  # timestamps would make every rebuild a diff
            cell.metadata.pop("execution", None)
    return notebook


def _execution_stamps(cell: nbformat.NotebookNode) -> tuple[datetime, datetime]:
    """When the kernel started and finished a code cell (``keep_timing=True`` keeps them)."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.status.busy"), timing.get("shell.execute_reply")
    if start is None or end is None:
        raise ValueError("the notebook was executed without keep_timing=True")
    # "Z" for UTC: fromisoformat reads it only from Python 3.11 on
    return tuple(datetime.fromisoformat(stamp.replace("Z", "+00:00")) for stamp in (start, end))


def cell_seconds(notebook: nbformat.NotebookNode) -> list[float]:
    """Wall seconds of each code cell of an executed notebook (``keep_timing=True``)."""
    seconds = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            start, end = _execution_stamps(cell)
            seconds.append((end - start).total_seconds())
    return seconds


def last_cell_end(notebook: nbformat.NotebookNode) -> float:
    """When the last code cell finished, in seconds since the epoch (``keep_timing=True``)."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return _execution_stamps(code[-1])[1].timestamp()


def stderr_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """One line per code cell that wrote to stderr (readers see it in red): number and start."""
    found = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr":
                found.append(f"code cell {number}: {output['text'].strip().splitlines()[0][:160]}")
    return found


def notebook_with_seed(script: Path, seed: int) -> nbformat.NotebookNode:
    """The notebook of ``script`` with its ``SEED = 0`` line set to ``seed``."""
    notebook = notebook_from_script(script)
    lines = [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and "\nSEED = 0\n" in f"\n{cell.source}\n"
    ]
    if len(lines) != 1:
        raise ValueError(
            f"{script.name} must define SEED = 0 in exactly one code cell to be re-seeded"
        )
    lines[0].source = f"\n{lines[0].source}\n".replace(
        "\nSEED = 0\n", f"\nSEED = {int(seed)}\n"
    ).strip("\n")
    return notebook
