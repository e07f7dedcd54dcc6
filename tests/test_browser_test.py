"""The browser test's own logic, without a browser: ports, hosts, figures, messages.

``make test-browser`` runs the browser itself (tools/browser_test.py); these tests keep
its decisions right and fast: which requests leave the machine, which cells must show a
figure, what a user without Chromium reads.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import browser_test  # noqa: E402
import ensure_chromium  # noqa: E402


def _code(*outputs):
    return {"cell_type": "code", "source": "", "outputs": list(outputs), "execution_count": 3}


def _image(kind="image/png"):
    return {"output_type": "display_data", "data": {kind: "AAAA", "text/plain": "<Figure>"}}


def _stream(text="hi\n", name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def test_free_port_is_free_and_local():
    port = browser_test.free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", port))  # nothing else holds it


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8888/lab?token=x",
        "http://localhost:9000/static/app.js",
        "ws://127.0.0.1:8888/api/kernels/abc/channels",
        "http://[::1]:8000/index.html",
        "data:image/png;base64,AAAA",
        "blob:http://127.0.0.1:8888/1234",
        "about:blank",
    ],
)
def test_local_requests_are_allowed(url):
    assert browser_test.is_local(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://colab.research.google.com/assets/colab-badge.svg",
        "https://fonts.googleapis.com/css?family=Lato",
        "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js",
        "http://localhost.example.com/x",
        "http://127.0.0.2.nip.io/",
        "wss://example.org/socket",
        "ftp://127.0.0.1/file",
    ],
)
def test_requests_leaving_the_machine_are_caught(url):
    assert not browser_test.is_local(url)


def test_expected_figures_counts_image_outputs_per_code_cell():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "![x](data:image/png;base64,AAAA)"},
            _code(_stream()),
            _code(_stream(), _image()),
            _code(_image(), _image("image/svg+xml")),
            _code(),
        ]
    }
    assert browser_test.expected_figures(notebook) == {2: 1, 3: 2}


def test_expected_figures_of_a_course_notebook():
    notebook = json.loads((ROOT / "notebooks" / "01_chain_rule.ipynb").read_text())
    figures = browser_test.expected_figures(notebook)
    assert figures, "notebook 01 draws at least one figure"
    for index in figures:
        assert notebook["cells"][index]["cell_type"] == "code"


def test_stripped_copy_has_no_outputs_and_leaves_the_original():
    notebook = {"cells": [_code(_stream(), _image()), {"cell_type": "markdown", "source": "x"}]}
    copy = browser_test.stripped(notebook)
    assert copy["cells"][0]["outputs"] == [] and copy["cells"][0]["execution_count"] is None
    assert len(notebook["cells"][0]["outputs"]) == 2  # the original is untouched
    assert copy["cells"][1] == notebook["cells"][1]


def test_markdown_urls_are_the_addresses_written_in_markdown():
    notebook = {
        "cells": [
            {
                "cell_type": "markdown",
                "source": [
                    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]",
                    "(https://colab.research.google.com/github/x/y.ipynb) see <https://a.org/b>",
                ],
            },
            {"cell_type": "code", "source": "url = 'https://not.markdown/'", "outputs": []},
        ]
    }
    assert browser_test.markdown_urls(notebook) == {
        "https://colab.research.google.com/assets/colab-badge.svg",
        "https://colab.research.google.com/github/x/y.ipynb",
        "https://a.org/b",
    }


@pytest.mark.parametrize(
    "href, expected",
    [
        ("02_saturation.html", "http://127.0.0.1:5000/site/02_saturation.html"),
        ("../slides/01.slides.html", "http://127.0.0.1:5000/slides/01.slides.html"),
        ("#summary", "http://127.0.0.1:5000/site/index.html#summary"),
        ("https://github.com/gradcourse/gradcourse", None),
        ("mailto:someone@example.org", None),
        ("", None),
    ],
)
def test_internal_links_are_those_that_stay_on_the_site(href, expected):
    base = "http://127.0.0.1:5000/site/index.html"
    assert browser_test.internal_link(base, href) == expected


def test_course_notebooks_are_the_numbered_lessons():
    found = browser_test.course_notebooks()
    assert found and all(p.name[:2].isdigit() and p.suffix == ".ipynb" for p in found)
    assert [p.name[:2] for p in browser_test.course_notebooks(["01"])] == ["01"]


def test_missing_browser_message_says_how_to_get_one():
    message = ensure_chromium.missing_message({})
    assert "apt-get install chromium" in message
    assert "CHROMIUM=" in message
    named = ensure_chromium.missing_message({"CHROMIUM": "/opt/nothing/chrome"})
    assert "/opt/nothing/chrome" in named


def test_chromium_named_by_the_environment_wins(tmp_path):
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert ensure_chromium.find_chromium({"CHROMIUM": str(fake)}) == str(fake)
    assert ensure_chromium.find_chromium({"CHROMIUM": str(tmp_path / "absent")}) is None


def test_installs_only_in_ci(monkeypatch):
    assert not ensure_chromium.may_install({})
    assert not ensure_chromium.may_install({"CI": "false"})
    assert not ensure_chromium.may_install({"CI": "true", "CHROMIUM": "/x"})


def _run_without_browser(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CHROMIUM=str(tmp_path / "no-such-browser"))
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("script, code", [("ensure_chromium.py", 1), ("browser_test.py", 2)])
def test_no_browser_gives_a_message_not_a_traceback(script, code, tmp_path):
    result = _run_without_browser(script, tmp_path)
    assert result.returncode == code
    assert "apt-get install chromium" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_make_has_the_browser_target():
    makefile = (ROOT / "Makefile").read_text()
    assert "\ntest-browser:" in makefile
    assert "tools/ensure_chromium.py" in makefile and "tools/browser_test.py" in makefile


def test_slide_count_reads_the_cells_slide_types():
    def cell(kind):
        return {
            "cell_type": "markdown",
            "source": "",
            "metadata": {"slideshow": {"slide_type": kind}},
        }

    notebook = {"cells": [cell("slide"), cell("subslide"), cell("fragment"), cell("slide")]}
    assert browser_test.slide_count(notebook) == 2
    assert browser_test.slide_count({"cells": [{"cell_type": "code", "metadata": {}}]}) == 0


def test_notes_are_grouped_by_what_they_say():
    report = browser_test.Report()
    for where in ("01", "02", "02"):
        report.note(where, "blocked https://x.org/badge.svg")
    report.note("03", "other")
    assert report.grouped_notes() == ["blocked https://x.org/badge.svg: 01, 02", "other: 03"]


def test_ci_as_root_installs_chromium_with_apt_get(tmp_path, monkeypatch):
    # A fake apt-get on an otherwise empty PATH: it logs its arguments and, like the real
    # one, leaves a chromium executable on PATH.
    log = tmp_path / "apt-get.log"
    apt = tmp_path / "apt-get"
    apt.write_text(
        f'#!/bin/sh\necho "$@" >> {log}\n'
        f'case "$1" in install) printf "#!/bin/sh\\n" > {tmp_path}/chromium; '
        f"/bin/chmod +x {tmp_path}/chromium;; esac\n"
    )
    apt.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(ensure_chromium.os, "geteuid", lambda: 0)
    assert ensure_chromium.find_chromium() is None
    assert ensure_chromium.ensure() == str(tmp_path / "chromium")
    calls = log.read_text().splitlines()
    assert calls[0].startswith("update") and "install" in calls[1] and "chromium" in calls[1]


def test_outside_ci_nothing_is_installed(tmp_path, monkeypatch):
    apt = tmp_path / "apt-get"
    apt.write_text(f"#!/bin/sh\n/usr/bin/touch {tmp_path}/called\n")
    apt.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CHROMIUM", raising=False)
    assert ensure_chromium.ensure() is None
    assert not (tmp_path / "called").exists()


def test_lab_opens_a_fresh_workspace_of_its_own_never_reset():
    # ?reset makes JupyterLab clear the default workspace and, when it loses a race with
    # its own restore, reload the page under the test.
    lab = browser_test.Lab("http://127.0.0.1:8888/", "abc", Path("."), Path("log"))
    url = lab.lab_url("gc-1234")
    assert url == "http://127.0.0.1:8888/lab/workspaces/gc-1234?token=abc"
    assert "reset" not in url


@pytest.mark.parametrize(
    "message, went_away",
    [
        ("Page.evaluate: Resulting promise was garbage collected", True),
        ("Execution context was destroyed, most likely because of a navigation", True),
        ("Page.evaluate: TypeError: Cannot read properties of undefined", False),
        ("Timeout 60000ms exceeded.", False),
    ],
)
def test_errors_of_a_page_that_went_away_are_told_apart(message, went_away):
    assert browser_test._page_went_away(Exception(message)) is went_away


@pytest.fixture(scope="module")
def blank_page():
    """A real headless Chromium page (about:blank), where the system has one."""
    chromium = ensure_chromium.find_chromium()
    sync_playwright = browser_test._playwright()
    if chromium is None or sync_playwright is None:
        pytest.skip("needs the system's Chromium and Playwright (make test-browser installs them)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=browser_test.CHROMIUM_FLAGS + ["--js-flags=--expose-gc"],
        )
        page = browser.new_page()
        page.goto("about:blank")
        yield page
        browser.close()


def test_a_page_job_returns_its_value_while_the_page_collects_garbage(blank_page):
    blank_page.evaluate("() => { window.__gcTimer = setInterval(() => gc(), 2); }")
    try:
        value = browser_test.run_in_page(
            blank_page,
            "async (x) => { await new Promise((r) => setTimeout(r, 300)); return x * 2; }",
            21,
            seconds=10,
            what="a slow job",
        )
    finally:
        blank_page.evaluate("() => clearInterval(window.__gcTimer)")
    assert value == 42


def test_a_page_job_reports_the_pages_error_and_its_timeout(blank_page):
    with pytest.raises(RuntimeError, match=r"a failing job failed in the page: Error: no kernel"):
        browser_test.run_in_page(
            blank_page,
            "async () => { throw new Error('no kernel'); }",
            seconds=10,
            what="a failing job",
        )
    with pytest.raises(TimeoutError, match=r"a job that never ends: not finished after 1 s"):
        browser_test.run_in_page(
            blank_page, "() => new Promise(() => {})", seconds=1, what="a job that never ends"
        )


def test_waiting_for_a_page_survives_its_reload(blank_page, tmp_path):
    # The predicate is polled: a reload between two polls costs one poll, not the test.
    (tmp_path / "index.html").write_text("<p>a page that reloads itself once</p>")
    with browser_test.static_server(tmp_path) as url:
        blank_page.goto(url + "index.html")
        blank_page.evaluate("() => { setTimeout(() => location.reload(), 300); }")
        predicate = """() => performance.getEntriesByType('navigation')[0].type === 'reload'
            ? '' : 'the reload'"""
        browser_test._wait_until_ready(blank_page, predicate, None, 20)
    with pytest.raises(TimeoutError, match=r"not ready after 1 s: still waiting for never"):
        browser_test._wait_until_ready(blank_page, "() => 'never'", None, 1)


def test_a_static_page_fails_on_an_image_without_alternative_text(blank_page, tmp_path):
    # A 1x1 PNG, shown twice: once described, once not (and once with only spaces).
    dot = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
        "2mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    (tmp_path / "index.html").write_text(
        f'<img src="{dot}" alt="A dot."><img src="{dot}"><img src="{dot}" alt="  ">'
        f'<img src="{dot}" alt="{browser_test.NO_DESCRIPTION}">'
    )
    report = browser_test.Report()
    with browser_test.static_server(tmp_path) as url:
        browser_test.check_static_page(
            blank_page, url + "index.html", "page", report, lambda _: 200
        )
    assert report.failures == [f"page: image without alternative text: {dot[:120]}"] * 3


@pytest.mark.parametrize(
    "alt, src, says_something",
    [
        ("Figure with one panel.", "a.png", True),
        ("", "a.png", False),
        ("   ", "a.png", False),
        ("../_images/8d09.png", "../_images/8d09.png", False),  # docutils' fallback
        ("../_images/8d09.png", "x", False),
        ("No description has been provided for this image", "data:...", False),  # nbconvert
    ],
)
def test_alt_text_must_describe_not_repeat_a_path_or_a_placeholder(alt, src, says_something):
    assert browser_test.describes(alt, src) is says_something
