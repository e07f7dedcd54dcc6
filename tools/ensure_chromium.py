"""Find the Chromium that the browser test drives; in CI (as root, on Debian) install it.

    python tools/ensure_chromium.py     says which browser, or how to get one

The browser test never downloads a browser (``playwright install`` fetches one from a
host this project does not depend on): it drives the system's Chromium. Looked for, in
order: the CHROMIUM environment variable, then ``chromium`` and ``chromium-browser`` on
PATH. When none is found and this runs in CI (CI=true) as root with apt-get, it installs
Debian's ``chromium`` package; anywhere else it says what to do and exits 1, without a
stack trace. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

NAMES = ("chromium", "chromium-browser")


def find_chromium(environ: dict[str, str] | None = None) -> str | None:
    """The Chromium executable to use, or None. CHROMIUM=path wins when it is executable."""
    environ = os.environ if environ is None else environ
    named = environ.get("CHROMIUM", "").strip()
    if named:
        found = shutil.which(named)
        return found if found else None
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_message(environ: dict[str, str] | None = None) -> str:
    """What a user without a usable Chromium reads (no traceback)."""
    environ = os.environ if environ is None else environ
    named = environ.get("CHROMIUM", "").strip()
    first = (
        f"CHROMIUM={named} is not an executable browser."
        if named
        else "No Chromium found (looked for: " + ", ".join(NAMES) + " on PATH)."
    )
    return (
        f"make test-browser: {first}\n"
        "  The browser test drives the system's Chromium; it never downloads one.\n"
        "  On Debian or Ubuntu:  sudo apt-get install chromium\n"
        "  Elsewhere, name a Chromium or Chrome executable:\n"
        "    make test-browser CHROMIUM=/path/to/chrome"
    )


def may_install(environ: dict[str, str] | None = None) -> bool:
    """Install only in CI, as root, where apt-get exists (CI machines run Debian)."""
    environ = os.environ if environ is None else environ
    in_ci = environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return in_ci and is_root and shutil.which("apt-get") is not None and not environ.get("CHROMIUM")


def install_with_apt() -> bool:
    print("ensure_chromium: CI without a browser: apt-get install chromium", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        if subprocess.run(command, env=env).returncode != 0:
            return False
    return True


def ensure() -> str | None:
    found = find_chromium()
    if found is None and may_install() and install_with_apt():
        found = find_chromium()
    return found


def main() -> int:
    found = ensure()
    if found is None:
        print(missing_message(), file=sys.stderr)
        return 1
    print(f"chromium: {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
