# limitlab — two commands: `make run` (set up, run the baseline, write results/) and
# `make test` (set up, lint, run the whole suite). Both work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# A Python >= 3.12: python3.13/python3.12 on PATH, pyenv's installed versions, or python3.
PYTHON_FOR_VENV := $(shell for c in python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then echo $$c; break; fi; done)

.PHONY: help setup run test lint bench demo assets clean

help:
	@echo "make run    - set up .venv, run the baseline batch (20 x 5,000 borrowers x 60 months), write results/baseline/ and its report"
	@echo "make test   - set up .venv, lint, run the test suite"
	@echo "make bench  - speed benchmarks (figures in docs/performance.md)"
	@echo "make demo   - start the classroom demo on localhost"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
		echo "error: limitlab needs Python >= 3.12; none found (tried python3.13, python3.12, ~/.pyenv/versions/3.12+, python3). Install one, e.g. 'pyenv install 3.12'." >&2; exit 1; fi
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
		rm -rf $(VENV); echo "creating $(VENV) with $(PYTHON_FOR_VENV)"; $(PYTHON_FOR_VENV) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dask,demo,dev,cjk]'
	@touch $(STAMP)

setup: $(STAMP)

# The classroom demo's JavaScript/CSS, served locally (classrooms are often offline).
ASSETS_STAMP := .assets/solara-cdn/.limitlab-stamp

$(ASSETS_STAMP): $(STAMP) experiments/demo/fetch_assets.py experiments/fonts.py
	$(BIN)/python -m limitlab.experiments.demo.fetch_assets
	@touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

demo: setup assets
	$(BIN)/limitlab demo $(if $(PORT),--port $(PORT)) $(if $(LANG_DEMO),--lang $(LANG_DEMO))

# The baseline experiment: 20 replicates of 5,000 borrowers x 60 months, its risk measures
# and its report (results/baseline/report.html). --resume: a second `make run` only
# finishes what is missing (and refuses if the configuration changed).
run: setup
	$(BIN)/limitlab batch baseline --replicates 20 --out results/baseline --keep borrowers --resume
	$(BIN)/limitlab risk results/baseline --overwrite
	$(BIN)/limitlab report results/baseline --overwrite

lint: setup
	$(BIN)/ruff check .

test: setup assets lint
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m pytest -q -m benchmark -s -p no:randomly

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
