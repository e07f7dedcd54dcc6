"""Make .venv/ ready for the course: create it, repair it, install what is missing.

Run by every Makefile target before it does anything, so `make lab` and `make test` work
from a fresh clone and a second run installs nothing. It uses only the standard library
and old-enough syntax to give a clear message on any Python 3.

    python3 tools/bootstrap.py [--python-explicit] [--extra=teach]

--extra=NAME (repeatable): also install that extra of pyproject.toml, e.g. teach for
make slides and make site. Extras once installed stay installed (the stamp lists them).

--python-explicit: the user named the interpreter (make ... PYTHON=python3.12), so an
.venv/ built with another one is rebuilt. Without it, an existing healthy .venv/ is used
as it is, and a new one is made with this interpreter, or, if it is outside the
supported range, with the newest supported python3.X found on PATH.

The package is installed as a learner gets it (a regular, non-editable install), and
reinstalled whenever a file of gradcourse/ changes, so the tests always see the sources.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# TensorFlow publishes wheels for these (keep in step with pyproject)
SUPPORTED = ((3, 10), (3, 13))
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".gradcourse-install.json"
# Installed by every target; others (teach) when a target asks for them with --extra=.
BASE_EXTRAS = ("lab", "test")
# JupyterLab's defaults for this environment. RISE's default reveal.js theme fetches its
# typefaces from Google Fonts; "white" ships its own, so a slideshow needs no network (a
# lecture hall may have none). Long slides scroll instead of being cut.
LAB_OVERRIDES = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
LAB_SETTINGS = {"jupyterlab-rise:plugin": {"theme": "white", "scroll": True}}


def say(message):
    print("bootstrap: " + message, flush=True)


def fail(message):
    print("bootstrap: " + message, file=sys.stderr, flush=True)
    sys.exit(1)


def version_text(version):
    return ".".join(str(part) for part in version)


def supported(version):
    return SUPPORTED[0] <= tuple(version[:2]) <= SUPPORTED[1]


def supported_range():
    return version_text(SUPPORTED[0]) + "-" + version_text(SUPPORTED[1])


def interpreter_info(python):
    """(version tuple, real path of the executable) of ``python``, or None if it does not run."""
    code = (
        "import sys, os; print(sys.version_info[0], sys.version_info[1], sys.version_info[2]); "
        "print(os.path.realpath(sys.executable))"
    )
    try:
        out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    first, second = out.stdout.strip().splitlines()[:2]
    return tuple(int(p) for p in first.split()), second


def newest_supported_on_path():
    for minor in range(SUPPORTED[1][1], SUPPORTED[0][1] - 1, -1):
        found = shutil.which("python3.%d" % minor)
        if found:
            return found
    return None


def choose_creator(explicit):
    """The interpreter that builds a new .venv/."""
    here = tuple(sys.version_info[:3])
    if supported(here):
        return sys.executable
    if explicit:
        fail(
            "gradcourse supports Python %s (TensorFlow has no wheels for others);\n"
            "  PYTHON=%s is %s. Install a supported Python, then run e.g.:\n"
            "  make lab PYTHON=python3.12" % (supported_range(), sys.executable, version_text(here))
        )
    fallback = newest_supported_on_path()
    if fallback is None:
        fail(
            "gradcourse supports Python %s (TensorFlow has no wheels for others); python3 here\n"
            "  is %s and no python3.10 ... python3.13 is on PATH. Install one (python.org,\n"
            "  your package manager, pyenv or conda), then run e.g.: make lab PYTHON=python3.12"
            % (supported_range(), version_text(here))
        )
    say("python3 is %s, outside %s: using %s" % (version_text(here), supported_range(), fallback))
    return fallback


def read_stamp():
    try:
        return json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return {}


def digest(paths):
    sha = hashlib.sha256()
    for path in paths:
        sha.update(str(path.relative_to(ROOT)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def package_files():
    return sorted(
        p for p in (ROOT / "gradcourse").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def venv_is_healthy():
    """True if .venv/ has a Python that runs and a working pip (a half-built venv has neither)."""
    if not VENV_PYTHON.exists():
        return False
    check = subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "--version"], capture_output=True, timeout=120
    )
    return check.returncode == 0


def create_venv(creator):
    say("creating .venv/ with %s" % creator)
    made = subprocess.run([creator, "-m", "venv", str(VENV)])
    if made.returncode != 0 or not venv_is_healthy():
        shutil.rmtree(VENV, ignore_errors=True)
        fail(
            "could not create a virtual environment with %s.\n"
            "  On Debian/Ubuntu install the venv module first: sudo apt install python3-venv\n"
            "  (or python3.X-venv for your version), then run the command again." % creator
        )


def pip(*args):
    command = [str(VENV_PYTHON), "-m", "pip", "--disable-pip-version-check", *args]
    if subprocess.run(command, cwd=str(ROOT)).returncode != 0:
        fail(
            "pip failed: "
            + " ".join(args)
            + "\n  Fix the error above (network? disk space?) and run the command again."
        )


def remove_stale_build():
    # A stale build/lib from an earlier in-tree build can carry deleted modules into the
    # wheel. The rest of build/ (the slides, the site) is ours to keep.
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)
    for stale in (ROOT / "build").glob("bdist.*"):
        shutil.rmtree(stale, ignore_errors=True)


def install(full, extras):
    remove_stale_build()
    if full:
        say(
            "installing gradcourse and its dependencies into .venv/ (the first time downloads "
            "TensorFlow and friends; .venv/ takes about 3 GB of disk)"
        )
        pip("install", "--quiet", "--upgrade", "pip")
        pip("install", "--quiet", ".[%s]" % ",".join(extras))
    else:
        say("gradcourse/ changed: reinstalling the package")
        pip("install", "--quiet", "--no-deps", "--force-reinstall", ".")
    remove_stale_build()


def write_lab_settings():
    text = json.dumps(LAB_SETTINGS, indent=1) + "\n"
    if not LAB_OVERRIDES.exists() or LAB_OVERRIDES.read_text() != text:
        LAB_OVERRIDES.parent.mkdir(parents=True, exist_ok=True)
        LAB_OVERRIDES.write_text(text)


def wanted_extras(stamp, argv):
    """The extras .venv/ must have: the base ones, those installed before, those asked for."""
    asked = [arg.split("=", 1)[1] for arg in argv if arg.startswith("--extra=")]
    return sorted(set(BASE_EXTRAS) | set(stamp.get("extras", BASE_EXTRAS)) | set(asked))


def main(argv):
    explicit = "--python-explicit" in argv
    stamp = read_stamp()
    if VENV.exists() and not venv_is_healthy():
        say(".venv/ is incomplete or broken: rebuilding it")
        shutil.rmtree(VENV)
    elif VENV.exists() and explicit and stamp.get("python") != os.path.realpath(sys.executable):
        say(
            ".venv/ was built with %s; PYTHON asks for %s: rebuilding it"
            % (stamp.get("python", "another Python"), os.path.realpath(sys.executable))
        )
        shutil.rmtree(VENV)
    if not VENV.exists():
        creator = choose_creator(explicit)
        create_venv(creator)
        stamp = {"python": interpreter_info(creator)[1]}
    info = interpreter_info(VENV_PYTHON)
    if info is None or not supported(info[0]):
        fail(
            ".venv/ runs Python %s, outside %s: delete .venv/ and run again with PYTHON=python3.12"
            % (version_text(info[0]) if info else "?", supported_range())
        )
    write_lab_settings()
    wanted = dict(
        stamp,
        pyproject=digest([ROOT / "pyproject.toml"]),
        package=digest(package_files()),
        extras=wanted_extras(stamp, argv),
    )
    if (
        stamp.get("pyproject") != wanted["pyproject"]
        or sorted(stamp.get("extras", BASE_EXTRAS)) != wanted["extras"]
    ):
        install(full=True, extras=wanted["extras"])
    elif stamp.get("package") != wanted["package"]:
        install(full=False, extras=wanted["extras"])
    else:
        return 0
    STAMP.write_text(json.dumps(wanted, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
