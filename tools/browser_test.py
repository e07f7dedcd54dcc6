"""The course in a real browser: JupyterLab runs every notebook, the decks and the site render.

    python tools/browser_test.py                     every phase
    python tools/browser_test.py --phases notebooks --notebooks 01 03

Drives the system's Chromium through Playwright (never a downloaded browser; see
tools/ensure_chromium.py). Phases, each one function, each timed and reported:

notebooks  JupyterLab from this environment, on a free port with a token, on copies of
           the notebooks (outputs stripped) in a temporary directory: never the tracked
           files; a fresh workspace and settings (no autosave, no news, every cell
           rendered). Each notebook is opened, run with the command runmenu:run-all, and
           waited for until every code cell has an execution count and the status bar says
           "| Idle"; it fails on an error or stderr output (model and page), a traceback, a
           cell that did not run, or a figure missing where the committed notebook has one.
           The notebook is closed without saving and its kernel shut down.
slider     In 01, after its run: moves a slider of the live demo and checks that the
           figure changed.
rise       RISE (jupyterlab-rise) presents 01 as a slideshow: the slideshow opens.
slides     Each build/slides/*.slides.html (make slides), served from localhost: renders,
           every image loads, internal links resolve; a slide with a figure is shown.
site       build/site/ (make site), every page reachable from index.html, same checks.

Every request to a host other than localhost is blocked and is a failure, except, while
a notebook is open in JupyterLab, an address written in that notebook's own markdown (the
"Open in Colab" badge): it is listed, not failed. One screenshot per page goes to
build/screenshots/. Exits 1 on any failure, 2 when the browser or Playwright is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import ensure_chromium

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"
SCREENSHOTS = BUILD / "screenshots"  # --screenshots changes it
PHASES = ("notebooks", "slider", "rise", "slides", "site")

# Seen needed here (tools' environment notes): as root, no sandbox; without the
# background-networking flags Chromium calls home and this machine's closed network
# refuses it many times a start.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 900}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Schemes that never leave the machine.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-error", "devtools", "file"}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")

LAB_START_SECONDS = 120
KERNEL_START_SECONDS = 120
# The slowest notebook takes ~100 s alone here, 340 s on a loaded machine (measured).
RUN_ALL_SECONDS = 900
PAGE_SECONDS = 60


# ---------------------------------------------------------------- pure helpers (tested)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_local(url: str) -> bool:
    """True if fetching ``url`` stays on this machine (localhost, data:, blob:, ...)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return False
    return (parts.hostname or "") in LOCAL_HOSTS


def expected_figures(notebook: dict) -> dict[int, int]:
    """{cell index: number of image outputs} for the code cells of a notebook that drew one."""
    found = {}
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        images = sum(
            any(kind in output.get("data", {}) for kind in IMAGE_TYPES)
            for output in cell.get("outputs", [])
        )
        if images:
            found[index] = images
    return found


def markdown_urls(notebook: dict) -> set[str]:
    """Every http(s) address written in the notebook's markdown cells."""
    urls = set()
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", ""))
            urls.update(re.findall(r"https?://[^\s)\"'<>\]]+", source))
    return urls


def stripped(notebook: dict) -> dict:
    """A copy of ``notebook`` with no outputs and no execution counts (what a run must fill)."""
    copy = json.loads(json.dumps(notebook))
    for cell in copy.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return copy


def internal_link(base_url: str, href: str) -> str | None:
    """The absolute address of a link that stays on the served site, else None."""
    if not href or href.startswith(("mailto:", "javascript:", "tel:")):
        return None
    target = urljoin(base_url, href)
    base, target_parts = urlsplit(base_url), urlsplit(target)
    if (target_parts.scheme, target_parts.netloc) != (base.scheme, base.netloc):
        return None
    return target


def one_line(text: str, limit: int = 160) -> str:
    """The first informative line of an output (not a rule of dashes), shortened."""
    lines = [line.strip() for line in text.splitlines() if line.strip().strip("-")]
    first = lines[0] if lines else ""
    return first if len(first) <= limit else first[: limit - 3] + "..."


def slide_count(notebook: dict) -> int:
    """How many cells start a slide by their metadata (RISE, nbconvert): 0 if none does."""
    return sum(
        cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "slide"
        for cell in notebook.get("cells", [])
    )


@functools.cache
def snapshot(notebook: Path) -> dict:
    """The notebook as it was when first read: the copy JupyterLab runs is made from it, and
    every expectation is read from it, even if the file changes during the test."""
    return json.loads(notebook.read_text())


def course_notebooks(numbers: list[str] | None = None, source: Path = NOTEBOOKS) -> list[Path]:
    """The lessons, notebooks/NN_name.ipynb, or only those numbered ``numbers``."""
    found = sorted(source.glob("[0-9][0-9]_*.ipynb"))
    if numbers:
        found = [nb for nb in found if nb.name[:2] in numbers]
    return found


# ---------------------------------------------------------------- failures and timing


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def fail(self, where: str, what: str) -> None:
        self.failures.append(f"{where}: {what}")
        print(f"  FAIL {where}: {what}", flush=True)

    def note(self, where: str, what: str) -> None:
        self.notes.append((where, what))
        print(f"  note {where}: {what}", flush=True)

    def grouped_notes(self) -> list[str]:
        """One line per note, naming every page that gave it."""
        places: dict[str, list[str]] = {}
        for where, what in self.notes:
            places.setdefault(what, [])
            if where not in places[what]:
                places[what].append(where)
        return [f"{what}: {', '.join(wheres)}" for what, wheres in places.items()]

    @contextlib.contextmanager
    def timed(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        print(f"[{name}]", flush=True)
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.monotonic() - start
            print(f"[{name}] {self.timings[name]:.0f} s", flush=True)


class RequestGuard:
    """Blocks every request that would leave the machine; remembers who made it."""

    def __init__(self) -> None:
        self.where = "browser"
        self.allowed: set[str] = set()
        self.blocked: list[tuple[str, str, bool]] = []  # (where, url, allowed)

    def route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
            return
        self.blocked.append((self.where, url, url in self.allowed))
        route.abort("blockedbyclient")

    def websocket(self, socket_) -> None:
        if not is_local(socket_.url):
            self.blocked.append((self.where, socket_.url, False))

    def settle(self, report: Report) -> None:
        """Report what was blocked since the last call."""
        for where, url, allowed in self.blocked:
            if allowed:
                report.note(where, f"blocked {url} (written in the notebook; offline here)")
            else:
                report.fail(where, f"request to a host other than localhost: {url}")
        self.blocked.clear()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# ---------------------------------------------------------------- JupyterLab server


@dataclass
class Lab:
    url: str  # http://127.0.0.1:PORT/
    token: str
    root: Path
    log: Path

    def lab_url(self, workspace: str) -> str:
        """JupyterLab in a workspace of its own: fresh (nothing restored), and never reloaded.

        Not ``lab?reset``: JupyterLab resets the default workspace by clearing its state
        and, if that state had already been read (a race that a loaded machine loses),
        reloads the page, which destroys whatever the test is waiting on in it."""
        return f"{self.url}lab/workspaces/{workspace}?token={self.token}"


def _write_settings(settings: Path) -> None:
    """User settings of the test's JupyterLab: what a fresh install has, minus the traps."""
    values = {
        # Every cell rendered: with windowing, cells out of view have no (or empty) DOM.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        # Never write to the copies on a timer (a dirty notebook is saved after 120 s).
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        # No "Jupyter news" toast over the page.
        "@jupyterlab/apputils-extension/notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for plugin, value in values.items():
        extension, name = plugin.rsplit("/", 1)
        path = settings / extension / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def _get(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@contextlib.contextmanager
def lab_server(notebooks: list[Path], workdir: Path) -> Iterator[Lab]:
    """JupyterLab from this environment on copies of ``notebooks``; stopped on exit."""
    root = workdir / "notebooks"
    root.mkdir()
    for notebook in notebooks:
        (root / notebook.name).write_text(json.dumps(stripped(snapshot(notebook))))
    env = dict(os.environ)
    for variable, sub in (
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[variable] = str(workdir / sub)
        (workdir / sub).mkdir()
    _write_settings(workdir / "settings")
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",
        "--MappingKernelManager.transport_encryption=auto",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = workdir / "jupyterlab.log"
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    lab = Lab(f"http://127.0.0.1:{port}/", token, root, log)
    try:
        deadline = time.monotonic() + LAB_START_SECONDS
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({server.returncode}):\n{_tail(log)}")
            with contextlib.suppress(OSError):
                if _get(f"{lab.url}api/status?token={token}") == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer in {LAB_START_SECONDS} s")
            time.sleep(0.5)
        yield lab
    finally:
        _stop_server(server, lab)


def _stop_server(server: subprocess.Popen, lab: Lab) -> None:
    # Kernels live in sessions of their own: shut them down through the server first.
    with contextlib.suppress(Exception):
        with urllib.request.urlopen(f"{lab.url}api/kernels?token={lab.token}", timeout=5) as r:
            kernels = json.loads(r.read())
        for kernel in kernels:
            request = urllib.request.Request(
                f"{lab.url}api/kernels/{kernel['id']}?token={lab.token}", method="DELETE"
            )
            urllib.request.urlopen(request, timeout=30).close()
    if server.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# ---------------------------------------------------------------- notebooks in JupyterLab

# Long waits in the page run as jobs that the page itself keeps (window.__gcJobs) and that
# Python polls. Never `page.evaluate(async () => { await ... })` for a wait: Chromium's
# inspector holds the promise it awaits only weakly, so a garbage collection on a busy
# machine can drop it ("Resulting promise was garbage collected", seen in CI), and a page
# that navigates drops it too.
JS_START_JOB = """(arg) => {
  const jobs = (window.__gcJobs = window.__gcJobs || {});
  const id = 'job' + Object.keys(jobs).length + '-' + Date.now();
  const job = (jobs[id] = {done: false, value: null, error: null});
  job.promise = Promise.resolve()
    .then(() => (SOURCE)(arg))
    .then((value) => { job.value = value === undefined ? null : value; },
          (error) => { job.error = String((error && error.stack) || error); })
    .finally(() => { job.done = true; });
  return id;
}"""
JS_JOB_STATE = """(id) => {
  const job = (window.__gcJobs || {})[id];
  if (!job) return {lost: true};
  if (!job.done) return {done: false};
  delete window.__gcJobs[id];
  return {done: true, value: job.value, error: job.error};
}"""


def run_in_page(page, source: str, arg=None, *, seconds: float, what: str):
    """Run the async JavaScript function ``source(arg)`` in the page and return its value.

    The page keeps the running promise; Python polls it. Raises RuntimeError with the
    page's own error if it failed, and TimeoutError naming ``what`` if it took too long."""
    job = page.evaluate(JS_START_JOB.replace("SOURCE", source), arg)
    deadline = time.monotonic() + seconds
    while True:
        state = page.evaluate(JS_JOB_STATE, job)
        if state.get("lost"):
            raise RuntimeError(f"{what}: the page was reloaded while it ran")
        if state["done"]:
            if state["error"]:
                raise RuntimeError(f"{what} failed in the page: {one_line(state['error'], 300)}")
            return state["value"]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not finished after {seconds:.0f} s")
        page.wait_for_timeout(100)


JS_OPEN = """async (path) => {
  const app = window.jupyterapp;
  const widget = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await widget.context.ready;
  await widget.sessionContext.ready;
  app.shell.activateById(widget.id);
  window.__gcNotebook = widget;
  // A kernel that dies is restarted at once: remember that it happened.
  window.__gcKernelTrouble = [];
  widget.sessionContext.statusChanged.connect((_, status) => {
    if (['dead', 'restarting', 'autorestarting'].includes(status)) {
      window.__gcKernelTrouble.push(status);
    }
  });
  return widget.content.widgets.length;
}"""

JS_STATE = """() => {
  const widget = window.__gcNotebook;
  const cells = widget.content.widgets;
  let code = 0, done = 0, queued = 0;
  const problems = [];
  cells.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    code += 1;
    if (cell.model.executionCount !== null) done += 1;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    if (prompt && prompt.textContent.includes('*')) queued += 1;
    const outputs = cell.model.outputs;
    for (let k = 0; k < outputs.length; k++) {
      const out = outputs.get(k).toJSON();
      if (out.output_type === 'error') {
        problems.push({cell: index, kind: 'error', text: out.ename + ': ' + out.evalue});
      } else if (out.output_type === 'stream' && out.name === 'stderr') {
        const text = Array.isArray(out.text) ? out.text.join('') : out.text;
        problems.push({cell: index, kind: 'stderr', text: text.slice(0, 300)});
      }
    }
  });
  const session = widget.sessionContext.session;
  const kernel = session && session.kernel ? session.kernel.status : 'none';
  const bar = document.querySelector('#jp-main-statusbar');
  const idleBar = !!bar && bar.textContent.includes('| Idle');
  return {code, done, queued, kernel, idleBar, problems, trouble: window.__gcKernelTrouble};
}"""

JS_PAGE_CHECK = """() => {
  const widget = window.__gcNotebook;
  return widget.content.widgets.map((cell, index) => {
    if (cell.model.type !== 'code') return null;
    const outputs = [...cell.node.querySelectorAll('.jp-OutputArea-output')];
    const images = [...cell.node.querySelectorAll('.jp-OutputArea-output img')];
    const stderr = outputs.filter(
      (o) => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr');
    const text = outputs.map((o) => o.textContent).join('\\n');
    return {
      cell: index,
      images: images.length,
      loaded: images.filter((i) => i.complete && i.naturalWidth > 0).length,
      stderr: stderr.map((o) => o.textContent.slice(0, 300)),
      traceback: /Traceback \\(most recent call last\\)/.test(text),
    };
  }).filter((x) => x !== null);
}"""

JS_SCROLL_TO = """(index) => {
  const cell = window.__gcNotebook.content.widgets[index];
  const output = cell.node.querySelector('.jp-OutputArea-output');
  (output || cell.node).scrollIntoView({block: output ? 'center' : 'start'});
}"""

JS_CLOSE = """async () => {
  const widget = window.__gcNotebook;
  window.__gcNotebook = null;
  if (!widget || widget.isDisposed) return;
  await widget.sessionContext.shutdown();
  widget.context.model.dirty = false;  // close without saving, without a dialog
  widget.close();
}"""


# Polled, not awaited: a predicate that waits on nothing survives a page that reloads
# under it (an awaited promise dies with its page: "Resulting promise was garbage
# collected"). It subscribes to app.restored on first sight and reports what is missing.
JS_LAB_READY = """(workspace) => {
  const app = window.jupyterapp;
  if (!app) return 'the application object (window.jupyterapp)';
  if (!app.__gcRestored) {
    app.__gcRestored = {done: false};
    app.restored.then(() => { app.__gcRestored.done = true; });
  }
  if (!app.__gcRestored.done) return 'app.restored (the workspace restored)';
  if (!app.commands.hasCommand('runmenu:run-all')) return "the command 'runmenu:run-all'";
  if (!location.pathname.endsWith('/lab/workspaces/' + workspace)) {
    return 'the URL to settle on the workspace (now ' + location.pathname + ')';
  }
  return '';
}"""
LAB_ATTEMPTS = 2  # opening a page is idempotent: a second try is safe


def open_lab(page, lab: Lab) -> None:
    """The JupyterLab page in a new, empty workspace, restored and ready for commands.

    Waits for each condition that matters in turn and, on a timeout, says which one it was
    still waiting for. A page that navigated away mid-wait is opened once more."""
    for attempt in range(1, LAB_ATTEMPTS + 1):
        workspace = f"gc-{secrets.token_hex(4)}"
        try:
            page.goto(lab.lab_url(workspace), timeout=PAGE_SECONDS * 1000)
            _wait_until_ready(page, JS_LAB_READY, workspace, PAGE_SECONDS)
            break
        except Exception as error:
            if attempt == LAB_ATTEMPTS or not _page_went_away(error):
                raise
            print(f"  JupyterLab: the page navigated while loading ({one_line(str(error))}); again")
    page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); }")  # room for screenshots


def _wait_until_ready(page, predicate: str, arg, seconds: float, what: str = "JupyterLab") -> None:
    """Poll ``predicate`` (returns '' when ready, else what it still waits for).

    A page that reloads between two polls is polled again once it is back."""
    deadline = time.monotonic() + seconds
    waiting = "the page to answer"
    while time.monotonic() < deadline:
        try:
            waiting = page.evaluate(predicate, arg) or ""
        except Exception as error:
            if not _page_went_away(error):
                raise
            waiting = "the page to load again (it navigated while loading)"
        else:
            if not waiting:
                return
        page.wait_for_timeout(200)
    raise TimeoutError(f"{what} not ready after {seconds:.0f} s: still waiting for {waiting}")


def _page_went_away(error: Exception) -> bool:
    """True for the errors of a page that navigated or reloaded while the test waited on it."""
    text = str(error)
    return any(
        sign in text
        for sign in ("garbage collected", "Execution context was destroyed", "navigation")
    )


JS_KERNEL_READY = """() => {
  const bar = document.querySelector('#jp-main-statusbar');
  const session = window.__gcNotebook.sessionContext.session;
  const kernel = session && session.kernel;
  return !!bar && bar.textContent.includes('| Idle') && !!kernel
    && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}"""


def open_notebook(page, name: str) -> int:
    """Open the copy of notebook ``name`` with a started kernel; its number of cells."""
    return run_in_page(
        page, JS_OPEN, name, seconds=KERNEL_START_SECONDS, what=f"opening {name} with a kernel"
    )


def close_notebook(page) -> None:
    """Shut the open notebook's kernel down and close it without saving."""
    run_in_page(page, JS_CLOSE, seconds=PAGE_SECONDS, what="closing the notebook")


def _kernel_idle_in_status_bar(page, where: str) -> None:
    """Wait for a started, connected, idle kernel, as the status bar shows it.

    The toolbar's indicator says idle before a kernel exists: the status bar does not."""
    try:
        page.wait_for_function(JS_KERNEL_READY, timeout=KERNEL_START_SECONDS * 1000)
    except Exception as error:
        if "Timeout" not in str(error):
            raise
        raise TimeoutError(
            f"{where}: no started, connected, idle kernel in the status bar after "
            f"{KERNEL_START_SECONDS} s"
        ) from None


def run_notebook(page, notebook: Path, report: Report, after_run=None) -> None:
    """Open ``notebook`` (its copy), Run All, wait, check; close without saving."""
    where = notebook.stem
    stored = snapshot(notebook)
    figures = expected_figures(stored)
    start = time.monotonic()
    open_notebook(page, notebook.name)
    try:
        _kernel_idle_in_status_bar(page, where)
        page.evaluate("() => { window.jupyterapp.commands.execute('runmenu:run-all'); }")
        state = _wait_for_run(page, where)
        seconds = time.monotonic() - start
        report.timings[f"  {where}"] = seconds
        print(f"  {where}: {state['done']}/{state['code']} code cells in {seconds:.0f} s")
        for problem in state["problems"]:
            cell = problem["cell"] + 1  # numbered as JupyterLab's status bar does
            report.fail(where, f"cell {cell} {problem['kind']}: {one_line(problem['text'])}")
        if state["done"] < state["code"]:
            report.fail(where, f"only {state['done']} of {state['code']} code cells ran")
        _check_rendered(page, where, figures, report)
        first = min(figures) if figures else 0
        page.evaluate(JS_SCROLL_TO, first)
        page.wait_for_timeout(300)
        screenshot(page, f"notebook-{where}")
        if after_run is not None:
            after_run(page, where)
    finally:
        close_notebook(page)


def _wait_for_run(page, where: str) -> dict:
    """Poll until Run All has finished: every cell ran (or one failed) and the kernel idles."""
    deadline = time.monotonic() + RUN_ALL_SECONDS
    started, settled = False, 0
    while True:
        state = page.evaluate(JS_STATE)
        started = started or state["done"] > 0 or state["queued"] > 0
        finished = (
            started
            and state["queued"] == 0
            and state["kernel"] == "idle"
            and state["idleBar"]
            and (state["done"] == state["code"] or state["problems"])
        )
        settled = settled + 1 if finished else 0
        if settled >= 2:
            return state
        if state["trouble"]:
            raise RuntimeError(
                f"the kernel died ({', '.join(state['trouble'])}) after {state['done']} of "
                f"{state['code']} cells ran (out of memory?)"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{where}: Run All not finished after {RUN_ALL_SECONDS} s "
                f"({state['done']}/{state['code']} cells ran, kernel {state['kernel']})"
            )
        page.wait_for_timeout(1000)


def _check_rendered(page, where: str, figures: dict[int, int], report: Report) -> None:
    """What the page shows: no stderr or traceback, a loaded image wherever one is expected."""
    for cell in page.evaluate(JS_PAGE_CHECK):
        index = cell["cell"]
        number = index + 1  # numbered as JupyterLab's status bar does
        for text in cell["stderr"]:
            report.fail(where, f"cell {number} shows error output: {one_line(text)}")
        if cell["traceback"]:
            report.fail(where, f"cell {number} shows a traceback")
        wanted = figures.get(index, 0)
        if cell["loaded"] < wanted:
            report.fail(
                where,
                f"cell {number}: {cell['loaded']} figure(s) shown, the committed notebook has "
                f"{wanted}",
            )


def phase_notebooks(context, lab: Lab, notebooks: list[Path], guard, report, slider) -> None:
    page = context.new_page()
    page.on("websocket", guard.websocket)
    page.on("pageerror", lambda error: report.fail("JupyterLab", f"page error: {error}"))
    guard.where = "JupyterLab"
    open_lab(page, lab)
    guard.settle(report)
    for notebook in notebooks:
        guard.where = notebook.stem
        guard.allowed = markdown_urls(snapshot(notebook))
        hook = slider if notebook.name.startswith("01_") else None
        try:
            run_notebook(page, notebook, report, after_run=hook)
        except Exception as error:  # a hung or broken notebook: report it, go on
            report.fail(notebook.stem, f"{type(error).__name__}: {error}")
        guard.settle(report)
    guard.allowed = set()
    page.close()


# ---------------------------------------------------------------- the slider of 01

JS_SLIDERS = """() => {
  const widget = window.__gcNotebook;
  const found = [];
  widget.content.widgets.forEach((cell, index) => {
    const sliders = cell.node.querySelectorAll('.widget-slider, .jupyter-widget-slider');
    if (sliders.length) found.push(index);
  });
  return found;
}"""

JS_CELL_IMAGES = """(index) => {
  const cell = window.__gcNotebook.content.widgets[index];
  return [...cell.node.querySelectorAll('.jp-OutputArea-output img')]
    .map((i) => i.src.length + ':' + i.src.slice(-200));
}"""


def move_slider(page, where: str, report: Report) -> None:
    """Move the first slider of the live demo; its figure must change."""
    cells = page.evaluate(JS_SLIDERS)
    if not cells:
        report.fail(where, "no slider found (the live demo of 01 should show one)")
        return
    index = cells[0]
    page.evaluate(JS_SCROLL_TO, index)
    before = page.evaluate(JS_CELL_IMAGES, index)
    if not before:
        report.fail(where, f"cell {index}: the slider's demo shows no figure")
        return
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    handle = cell.locator(".noUi-handle, .ui-slider-handle").first
    box = handle.bounding_box()
    track = cell.locator(".noUi-target, .ui-slider").first.bounding_box()
    if box is None or track is None:
        report.fail(where, f"cell {index}: the slider has no visible handle")
        return
    # Drag the handle a third of the track to the right (to the left if it sits far right).
    y = box["y"] + box["height"] / 2
    x = box["x"] + box["width"] / 2
    step = track["width"] / 3
    target = x + step if x + step < track["x"] + track["width"] else x - step
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(target, y, steps=8)
    page.mouse.up()
    try:
        page.wait_for_function(
            f"(b) => JSON.stringify(({JS_CELL_IMAGES})({index})) !== JSON.stringify(b)",
            arg=before,
            timeout=30_000,
        )
    except Exception:
        report.fail(where, f"cell {index}: moved the slider, the figure did not change")
        return
    page.wait_for_timeout(500)
    screenshot(page, f"slider-{where}")
    print(f"  {where}: slider in cell {index} moved, the figure changed")


# ---------------------------------------------------------------- RISE


def phase_rise(context, lab: Lab, notebook: Path, guard, report: Report) -> None:
    """RISE presents ``notebook`` from JupyterLab: the slideshow opens with its slides."""
    where = f"RISE {notebook.stem}"
    guard.where = where
    stored = snapshot(notebook)
    guard.allowed = markdown_urls(stored)
    wanted = slide_count(stored)
    page = context.new_page()
    try:
        open_lab(page, lab)
        if not page.evaluate("() => window.jupyterapp.commands.hasCommand('RISE:slideshow')"):
            report.fail(where, "the command RISE:slideshow does not exist (jupyterlab-rise?)")
            return
        open_notebook(page, notebook.name)
        _kernel_idle_in_status_bar(page, where)
        with context.expect_page(timeout=PAGE_SECONDS * 1000) as opened:
            page.evaluate("() => window.jupyterapp.commands.execute('RISE:slideshow')")
        show = opened.value
        show.on("pageerror", lambda error: report.fail(where, f"page error: {error}"))
        show.wait_for_function(
            "() => document.querySelectorAll('.reveal .slides section').length > 0",
            timeout=PAGE_SECONDS * 1000,
        )
        count = show.evaluate("() => document.querySelectorAll('.reveal .slides > section').length")
        if count < max(wanted, 1):
            report.fail(where, f"{count} slides shown, the notebook's metadata starts {wanted}")
        show.wait_for_timeout(1500)
        screenshot(show, f"rise-{notebook.stem}")
        print(f"  {where}: slideshow open at {urlsplit(show.url).path}, {count} slides")
        show.close()
    finally:
        with contextlib.suppress(Exception):
            close_notebook(page)
        page.close()
        guard.allowed = set()
        guard.settle(report)


# ---------------------------------------------------------------- static pages


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log on the console
        pass


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """``directory`` served on a free localhost port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


JS_STATIC_CHECK = """() => ({
  images: [...document.images].map((i) => ({
    src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
    alt: i.getAttribute('alt') || '', given: i.getAttribute('src') || ''})),
  links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
  ids: [...document.querySelectorAll('[id], a[name]')].map((e) => e.id || e.name),
})"""


# What the converters write when a figure has no alt text: nbconvert's placeholder, and
# docutils' fallback, the file's own path. A screen reader would read either aloud.
NO_DESCRIPTION = "No description has been provided for this image"


def describes(alt: str, src: str) -> bool:
    """Whether an ``<img>``'s alt text says something (not empty, a placeholder or a path)."""
    alt = alt.strip()
    is_path = alt == src or re.search(r"\.(png|jpe?g|gif|svg|webp)$", alt, re.IGNORECASE)
    return bool(alt) and alt != NO_DESCRIPTION and not is_path


def check_static_page(page, url: str, where: str, report: Report, link_status) -> list[str]:
    """Open ``url``; fail on an HTTP error, a script error, a broken image or internal link,
    or an image without alternative text.
    Returns the internal pages it links to."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(url, wait_until="load", timeout=PAGE_SECONDS * 1000)
    if response is None or response.status >= 400:
        report.fail(where, f"HTTP {response.status if response else 'no response'} for {url}")
        return []
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=10_000)
    found = page.evaluate(JS_STATIC_CHECK)
    for image in found["images"]:
        if not image["ok"]:
            report.fail(where, f"image not shown: {image['src'][:120]}")
        if not describes(image["alt"], image["given"]):
            report.fail(where, f"image without alternative text: {image['src'][:120]}")
    pages = []
    for href in found["links"]:
        target = internal_link(url, href)
        if target is None:
            continue
        address, fragment = urldefrag(target)
        if fragment and not fragment.startswith("/") and address == urldefrag(url)[0]:
            if fragment not in found["ids"]:
                report.fail(where, f"link to a missing anchor: {href}")
            continue
        if address == urldefrag(url)[0]:
            continue
        status = link_status(address)
        if status >= 400:
            report.fail(where, f"broken link: {href} (HTTP {status})")
        elif address.endswith((".html", "/")):
            pages.append(address)
    for error in errors:
        report.fail(where, f"page error: {error}")
    return pages


def _link_checker(page) -> callable:
    @functools.cache
    def status(address: str) -> int:
        return page.request.get(address, timeout=PAGE_SECONDS * 1000).status

    return status


def phase_slides(context, guard, report: Report) -> None:
    decks = sorted((BUILD / "slides").glob("*.slides.html"))
    if not decks:
        report.fail("slides", "no build/slides/*.slides.html (run make slides)")
        return
    with static_server(BUILD / "slides") as base:
        page = context.new_page()
        status = _link_checker(page)
        if (BUILD / "slides" / "index.html").exists():  # the list of the decks
            guard.where = "slides index.html"
            check_static_page(page, base + "index.html", guard.where, report, status)
            screenshot(page, "slides-index")
            guard.settle(report)
        for deck in decks:
            where = f"slides {deck.name}"
            guard.where = where
            check_static_page(page, base + deck.name, where, report, status)
            shown = _show_slide_with_figure(page)
            if shown is None:
                report.fail(where, "no slide with a figure, or reveal.js did not start")
            screenshot(page, f"slides-{deck.name.removesuffix('.slides.html')}")
            guard.settle(report)
            print(f"  {where}: checked, shown slide {shown}")
        page.close()


def _show_slide_with_figure(page) -> str | None:
    """Go to the first slide with an image; its indices, or None (no figure, no Reveal)."""
    with contextlib.suppress(Exception):
        page.wait_for_function(
            "() => window.Reveal && Reveal.isReady && Reveal.isReady()", timeout=20_000
        )
        indices = page.evaluate(
            """() => {
              // A figure is an output's image (not the Colab badge of the title slide).
              const figure = (s) => [...s.querySelectorAll('img')].some((i) =>
                i.closest('.jp-OutputArea-output, .output_png, .jp-RenderedImage')
                || i.naturalHeight > 100);
              const slide = Reveal.getSlides().find(figure);
              if (!slide) return null;
              const at = Reveal.getIndices(slide);
              Reveal.slide(at.h, at.v);
              return at.h + '/' + (at.v || 0);
            }"""
        )
        page.wait_for_timeout(1500)  # the transition
        return indices
    return None


def phase_site(context, guard, report: Report) -> None:
    site = BUILD / "site"
    if not (site / "index.html").exists():
        report.fail("site", "no build/site/index.html (run make site)")
        return
    with static_server(site) as base:
        page = context.new_page()
        status = _link_checker(page)
        queue, seen = [base + "index.html"], set()
        while queue:
            url = queue.pop(0)
            address = url if not url.endswith("/") else url + "index.html"
            if address in seen:
                continue
            seen.add(address)
            name = urlsplit(address).path.strip("/") or "index.html"
            where = f"site {name}"
            guard.where = where
            queue += check_static_page(page, address, where, report, status)
            page.wait_for_timeout(300)
            shot = "site-" + re.sub(r"[^\w.-]+", "_", name.removesuffix(".html"))
            page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=False)
            guard.settle(report)
        print(f"  site: {len(seen)} pages checked")
        page.close()


# ---------------------------------------------------------------- main


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    return sync_playwright


def main(argv: list[str]) -> int:
    global SCREENSHOTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--notebooks", nargs="+", metavar="NN", help="only these, e.g. 01 03")
    parser.add_argument(
        "--source", type=Path, default=NOTEBOOKS, help="where the .ipynb files are (notebooks/)"
    )
    parser.add_argument(
        "--screenshots", type=Path, default=SCREENSHOTS, help="emptied, then filled with PNGs"
    )
    args = parser.parse_args(argv)
    # Stopped from outside (timeout, CI): unwind, so JupyterLab and its kernels are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chromium = ensure_chromium.find_chromium()
    if chromium is None:
        print(ensure_chromium.missing_message(), file=sys.stderr)
        return 2
    sync_playwright = _playwright()
    if sync_playwright is None:
        print(
            "browser_test: Playwright for Python is missing: make install (the test extra), "
            "or pip install playwright. Never `playwright install`: the test uses "
            f"{chromium}.",
            file=sys.stderr,
        )
        return 2
    phases = set(args.phases)
    notebooks = course_notebooks(args.notebooks, args.source)
    if phases & {"slider", "rise"} and not any(nb.name.startswith("01_") for nb in notebooks):
        notebooks = course_notebooks(["01"], args.source) + notebooks
    report, guard = Report(), RequestGuard()
    SCREENSHOTS = args.screenshots.resolve()
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    started = time.monotonic()
    print(f"browser test: {chromium}, phases {', '.join(p for p in PHASES if p in phases)}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.route("**/*", guard.route)
            context.set_default_timeout(PAGE_SECONDS * 1000)
            _run_phases(context, phases, notebooks, guard, report)
        finally:
            browser.close()
    total = time.monotonic() - started
    print("\ntimings (s): " + ", ".join(f"{k.strip()} {v:.0f}" for k, v in report.timings.items()))
    shown = SCREENSHOTS.relative_to(ROOT) if SCREENSHOTS.is_relative_to(ROOT) else SCREENSHOTS
    print(f"total {total:.0f} s; screenshots in {shown}/")
    for note in report.grouped_notes():
        print(f"note: {note}")
    if report.failures:
        print(f"\nbrowser test FAILED ({len(report.failures)}):", file=sys.stderr)
        for failure in report.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("browser test passed")
    return 0


def _run_phases(context, phases: set[str], notebooks, guard, report: Report) -> None:
    if phases & {"notebooks", "slider", "rise"}:
        with tempfile.TemporaryDirectory(prefix="gradcourse-browser-") as workdir:
            with report.timed("start JupyterLab"), contextlib.ExitStack() as stack:
                lab = stack.enter_context(lab_server(notebooks, Path(workdir)))
                server = stack.pop_all()
            with server:
                _lab_phases(context, lab, phases, notebooks, guard, report)
    if "slides" in phases:
        with report.timed("slides"):
            phase_slides(context, guard, report)
    if "site" in phases:
        with report.timed("site"):
            phase_site(context, guard, report)


def _lab_phases(context, lab: Lab, phases: set[str], notebooks, guard, report) -> None:
    def slider(page, where):
        if "slider" in phases:
            with report.timed("slider"):
                move_slider(page, where, report)

    first = [nb for nb in notebooks if nb.name.startswith("01_")]
    if "notebooks" in phases or "slider" in phases:
        run = notebooks if "notebooks" in phases else first
        with report.timed("notebooks"):
            phase_notebooks(context, lab, run, guard, report, slider)
    if "rise" in phases:
        # A notebook with slides by its metadata, if one has them.
        shown = max(notebooks, key=lambda nb: slide_count(snapshot(nb)) > 0)
        with report.timed("rise"):
            phase_rise(context, lab, shown, guard, report)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
