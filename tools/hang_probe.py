"""Run a notebook many times in a row through a kernel, as nbval does; catch a hang.

    python tools/hang_probe.py [--runs 50] [--notebook 01 | --setup-only] [--stall 60]

Each run executes the notebook (or, with ``--setup-only``, a notebook holding only 01's
setup cell) with nbclient in a fresh empty directory, each cell with its own timeout.
The client is the tools' ``PatientNotebookClient`` (``--plain``: nbclient's own, which
can sit idle until the timeout when it misses the kernel's reply; see
``tools/notebook_exec.py``). When a run lasts longer than ``--stall`` seconds, the kernel's
threads are dumped with
py-spy (if installed: ``pip install py-spy``, for diagnosis only) and the client's with
faulthandler, then the run goes on until the cell's timeout. Prints each run's time and
the slowest runs; exits non-zero if any run failed or timed out. Not part of CI (the
unit test ``tests/test_kernel_start.py`` runs the setup cell a few dozen times).
"""

from __future__ import annotations

import argparse
import faulthandler
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from notebook_exec import KERNELSPEC, PatientNotebookClient, notebook_from_script

ROOT = Path(__file__).resolve().parent.parent


def setup_only(script: Path) -> nbformat.NotebookNode:
    """A notebook with only the setup cell of ``script`` (the one calling setup_notebook)."""
    notebook = notebook_from_script(script)
    (setup,) = [c for c in notebook.cells if "gc.setup_notebook(" in c.source]
    notebook.cells = [setup]
    return notebook


def _dump_kernel(client: NotebookClient, seconds: float) -> None:
    """Print the kernel's threads (py-spy) and the client's (faulthandler)."""
    print(f"\n--- a cell has run {seconds:.0f} s: thread dumps ---", flush=True)
    pid = None
    try:
        pid = client.km.provisioner.process.pid
    except AttributeError:
        pass
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if pid and Path(py_spy).exists():
        dump = subprocess.run(
            [py_spy, "dump", "--native", "--pid", str(pid)], capture_output=True, text=True
        )
        print(f"kernel (pid {pid}):\n{dump.stdout}{dump.stderr}", flush=True)
    else:
        print(f"kernel pid {pid}: py-spy not installed, no kernel dump", flush=True)
    print("client:", flush=True)
    faulthandler.dump_traceback(file=sys.stdout, all_threads=True)
    sys.stdout.flush()


def run_once(
    notebook: nbformat.NotebookNode, timeout: int, stall: int, plain: bool = False
) -> float:
    """Execute ``notebook`` alone in an empty directory; its wall time in seconds.

    ``plain``: with nbclient's own client, not the tools' PatientNotebookClient."""
    done = threading.Event()
    with tempfile.TemporaryDirectory(prefix="gradcourse-hang-") as workdir:
        client = (NotebookClient if plain else PatientNotebookClient)(
            notebook,
            timeout=timeout,
            kernel_name=KERNELSPEC["name"],
            resources={"metadata": {"path": workdir}},
        )
        start = time.perf_counter()

        def watchdog() -> None:
            if not done.wait(stall):
                _dump_kernel(client, time.perf_counter() - start)

        threading.Thread(target=watchdog, daemon=True).start()
        try:
            client.execute()
        finally:
            done.set()
        return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--notebook", default="01", help="the notebook's number (default 01)")
    parser.add_argument("--setup-only", action="store_true", help="only its setup cell")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument("--stall", type=int, default=60, help="dump threads after this many s")
    parser.add_argument(
        "--plain", action="store_true", help="nbclient's own client (waits in one poll)"
    )
    args = parser.parse_args(argv)
    (script,) = sorted((ROOT / "notebooks").glob(f"{args.notebook}_*.py"))
    notebook = setup_only(script) if args.setup_only else notebook_from_script(script)
    label = f"{script.stem}{' (setup cell only)' if args.setup_only else ''}"
    times, failures = [], 0
    for run in range(1, args.runs + 1):
        try:
            seconds = run_once(nbformat.from_dict(notebook), args.timeout, args.stall, args.plain)
            outcome = "ok"
        except Exception as error:  # a timeout or an error in a cell: report, go on
            seconds, outcome = float("nan"), f"FAILED: {type(error).__name__}: {error}"[:300]
            failures += 1
        times.append(seconds)
        print(f"{label} run {run}: {seconds:.1f} s {outcome}", flush=True)
    finite = sorted((t for t in times if t == t), reverse=True)
    print(
        f"{label}: {len(finite)} of {args.runs} runs passed; slowest "
        + ", ".join(f"{t:.1f} s" for t in finite[:3])
        + (f"; median {finite[len(finite) // 2]:.1f} s" if finite else "")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
