# gradcourse: the two commands of the README, plus the maintainers' ones.
#   make lab        install what is missing, then open JupyterLab on notebooks/
#   make test       install what is missing, then unit tests and nbval on every notebook
#   make notebooks  rebuild every .ipynb (with outputs) from its jupytext script
#   make benchmark  time each notebook and report its peak memory
#   make seeds      re-run the training notebooks with seeds 0, 1, 2: their asserts must hold
# Everything lives in .venv/; a second run reinstalls nothing unless pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-from-pyproject
LAB_ARGS ?=  # extra JupyterLab options, e.g. LAB_ARGS="--ServerApp.port=8890"
# HEADLESS=1: no browser (servers, CI). As root (containers): JupyterLab needs --allow-root.
LAB_FLAGS := $(if $(HEADLESS),--no-browser) $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: install lab test unit nbval notebooks benchmark seeds clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "gradcourse needs Python >= 3.10, found " + sys.version.split()[0] + "; run e.g. make test PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): install your Python's venv module (Debian/Ubuntu: apt install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable ".[lab,test]"
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(LAB_FLAGS) $(LAB_ARGS)

test: unit nbval

unit: $(STAMP)
	$(BIN)/python -m pytest tests

nbval: $(STAMP)
	$(BIN)/python tests/nbval_isolated.py notebooks/*.ipynb

notebooks: $(STAMP)
	$(BIN)/python tools/build_notebooks.py $(NB)

benchmark: $(STAMP)
	$(BIN)/python tools/benchmark.py $(NB)

SEEDED := notebooks/04_simplernn_vs_lstm.py notebooks/05_exploding_and_clipping.py notebooks/06_initializers.py
seeds: $(STAMP)
	$(BIN)/python tools/check_seeds.py $(SEEDED) --seeds 0 1 2

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
