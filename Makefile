# gradcourse: the two commands of the README, plus the maintainers' ones.
#   make lab        install what is missing, then open JupyterLab on your copies of the notebooks
#   make test       install what is missing, then unit tests and nbval on every notebook
#   make reset-notebook NB=01   replace your copy of notebook 01 by the course's (yours is kept in my-notebooks/backups/)
#   make test-colab nbval against a wheel installed in a fresh venv with Colab's stack (.ci/colab-stack.txt)
#                   (COLAB_SEEDS="1 2": the seed check there too)
#   make test-floors the same with the lowest versions pyproject.toml admits, on the oldest
#                   supported Python found (tools/floors_stack.py)
#   make notebooks  rebuild every .ipynb (with outputs) from its jupytext script
#   make benchmark  the machine's speed (a reference step), then each notebook's time and peak memory
#   make zoo        train the failure zoo (gradcourse.zoo) over seeds 0-2, then with SSE41 rounding:
#                   the report must name every planted fault and nothing in the healthy twins
#   make hang-probe the setup cell in 30 fresh kernels (make test runs 6): none may stall
#   make seeds      re-run every notebook with seeds 0, 1, 2: their asserts must hold; then the
#                   prediction exercises' experiments with those seeds
#                   (ROUNDING=SSE41: the notebooks with another CPU's floating-point rounding)
#   make predictions SEEDS="1 2"  the prediction exercises' experiments alone, for those seeds
#   make slides     a reveal.js deck per notebook, with its outputs, in build/slides/ (offline)
#   make site       the course website (executed notebooks, home, notation, references) in build/site/
#   make slide-metadata  set each cell's slide type in the scripts and .ipynb (NB=... for some)
#   make assignments  an nbgrader course directory in build/assignments/ (exercise variants per
#                   student, autograded cells; README "Set it as homework")
#   make test-assignments  the nbgrader round trip: generate, release, three submissions, autograde
#   make release-check  before publishing: the tag v<version> exists and its notebooks install it (maintainers, not CI)
#   make test-browser  JupyterLab runs every notebook in headless Chromium (the system's), RISE,
#                   the slide decks and the site render: tools/browser_test.py, screenshots in build/screenshots/
# Everything lives in .venv/. tools/bootstrap.py creates it (or repairs a broken one) and
# installs only what changed, so a second run installs nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# PYTHON named on the command line or in the environment: .venv/ must be built with it.
PYTHON_EXPLICIT := $(if $(filter command line environment,$(origin PYTHON)),--python-explicit)
LAB_ARGS ?=
# HEADLESS=1: no browser (servers, CI). As root (containers): JupyterLab needs --allow-root.
LAB_FLAGS := $(if $(HEADLESS),--no-browser) $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
# Encrypt kernel traffic where the kernel supports it (ipykernel >= 7.3 warns at every
# kernel start otherwise). JupyterLab itself listens on localhost only, behind a token.
LAB_FLAGS += --MappingKernelManager.transport_encryption=auto
# No "Jupyter news" toast over the notebook and no update check: the course is what the
# learner opened JupyterLab for (and a lecture hall's projector shows every pop-up).
LAB_FLAGS += --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate
# jupyter_server's kernel websockets default to a ping timeout of 3 intervals; Tornado >= 6.5
# caps it at one interval and warns at every connection. Say one interval (30 s, in ms).
LAB_FLAGS += --ServerApp.tornado_settings='{"ws_ping_timeout":30000}'
# Your working copies of the notebooks: git-ignored, made on first run, never overwritten.
MY_NOTEBOOKS := my-notebooks

.PHONY: assignments test-assignments install-assignments predictions hang-probe release-check zoo install lab reset-notebook test unit nbval test-colab test-floors notebooks benchmark seeds test-browser ensure-chromium slides site slide-metadata install-teach clean

install:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found: install Python 3.10-3.13, or name one with PYTHON=python3.12"; exit 1; }
	@$(PYTHON) tools/bootstrap.py $(PYTHON_EXPLICIT)

lab: install
	@$(BIN)/python tools/learner_copies.py $(MY_NOTEBOOKS)
	$(BIN)/jupyter lab --ServerApp.root_dir=$(MY_NOTEBOOKS) $(LAB_FLAGS) $(LAB_ARGS)

reset-notebook: install
	@$(BIN)/python tools/learner_copies.py $(MY_NOTEBOOKS) --reset "$(NB)"

test: unit nbval

# The unit tests build a deck and stage the site: they need the teach extra too.
# Two workers (pytest-xdist): the tests spend much of their time in one-core TensorFlow.
unit: install-teach
	$(BIN)/python -m pytest -n 2 tests

nbval: install
	$(BIN)/python tests/nbval_isolated.py

# COLAB_SEEDS="1 2": the seed check in that environment too (CI does).
COLAB_SEEDS ?=
test-colab: install
	$(BIN)/python tools/colab_stack.py $(if $(COLAB_SEEDS),--seeds $(COLAB_SEEDS))

# The floors of pyproject.toml (read there) on the oldest supported Python found; skips
# with a message if there is none.
test-floors: install
	$(BIN)/python tools/floors_stack.py

notebooks: install
	$(BIN)/python tools/build_notebooks.py $(NB)

zoo: install
	$(BIN)/python tools/zoo_sweep.py --seeds 0 1 2
	$(BIN)/python tools/zoo_sweep.py --seeds 0 1 2 --rounding SSE41

benchmark: install
	$(BIN)/python tools/benchmark.py $(NB)
	$(BIN)/python tools/monitor_overhead.py

# The system's Chromium, never a downloaded one: found (CHROMIUM=path wins), installed with
# apt-get in CI as root, else a message says how. BROWSER_ARGS e.g. "--phases notebooks".
# The browser is looked for first, then the decks and the site it opens are built (a
# second build rewrites the same files).
BROWSER_ARGS ?=
test-browser: install ensure-chromium slides site
	$(BIN)/python tools/browser_test.py $(BROWSER_ARGS)

ensure-chromium: install
	@$(BIN)/python tools/ensure_chromium.py

# The decks and the site are built from the stored outputs (nothing is executed) with the
# teach extra, installed here on first use; both load nothing from the network when viewed.
install-teach:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found: install Python 3.10-3.13, or name one with PYTHON=python3.12"; exit 1; }
	@$(PYTHON) tools/bootstrap.py $(PYTHON_EXPLICIT) --extra=teach

# nbgrader (the assignments extra) is installed here on first use, never by make install.
install-assignments:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found: install Python 3.10-3.13, or name one with PYTHON=python3.12"; exit 1; }
	@$(PYTHON) tools/bootstrap.py $(PYTHON_EXPLICIT) --extra=assignments

assignments: install-assignments
	$(BIN)/python tools/build_assignments.py $(NB)

test-assignments: install-assignments
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/assignments_roundtrip.py

slides: install-teach
	$(BIN)/python tools/build_slides.py $(NB)

site: install-teach
	$(BIN)/python tools/build_site.py

slide-metadata: install
	$(BIN)/python tools/slide_metadata.py $(NB)

# 30 runs catch a one-in-ten hang with probability 96% (issue 30); too long for make test.
hang-probe: install
	GRADCOURSE_HANG_RUNS=30 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_kernel_start.py -k never_hangs

# check_seeds.py runs every notebook (each draws random numbers; 04 onwards train).
# CI runs ROUNDING=SSE41 (seeds 0-2); seeds 1 and 2 with this CPU's rounding run in the
# Colab-stack job, and seed 0 is the stored notebooks, which nbval runs.
SEEDS ?= 0 1 2
# ROUNDING=SSE41: oneDNN limited to that instruction set, i.e. another CPU's rounding.
ROUNDING ?=
# Then the prediction exercises' reference experiments for the same seeds (the unit tests
# run seed 0 only); with ROUNDING, the notebooks only.
seeds: install
	$(BIN)/python tools/check_seeds.py --seeds $(SEEDS) $(if $(ROUNDING),--rounding $(ROUNDING))
	$(if $(ROUNDING),,$(MAKE) --no-print-directory predictions SEEDS="$(SEEDS)")

# The prediction exercises' reference experiments alone, for SEEDS.
predictions: install
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_exercises_predictions.py --exercise-seeds $(SEEDS)

# For the maintainers, before they publish (CI has no tag to check): see README, Releasing.
release-check: install
	$(BIN)/python tools/release_check.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
