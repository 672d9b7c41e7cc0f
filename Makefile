# MovieRec: the README's commands.  make demo | make test | make bench | make lint
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test bench bench-scale tune anchors lint format install install-dev

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	PY=$(PY) ./scripts/demo.sh

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m scripts.bench.accuracy $(BENCH_ARGS)

# The whole path (generate, import, export, train, serve, admin) at SIZE=ci|1m|10m|25m on PostgreSQL.
SIZE ?= 1m
bench-scale: install
	$(PY) -m scripts.bench.scale --size $(SIZE) $(SCALE_ARGS)

# Surprise and implicit, for the benchmark's side-by-side (optional; make bench uses them when present).
ANCHORS_VENV ?= .venv-anchors
anchors: $(ANCHORS_VENV)/.installed
$(ANCHORS_VENV)/.installed: requirements-anchors.txt
	test -x $(ANCHORS_VENV)/bin/python || $(PYTHON) -m venv $(ANCHORS_VENV)
	$(ANCHORS_VENV)/bin/python -m pip install --quiet -r requirements-anchors.txt
	touch $@

# Hyper-parameters on validation data only, e.g. make tune TUNE_ARGS='--algorithm svd --protocol folds --set factors=50|100'
tune: install
	$(PY) -m scripts.bench.tune $(TUNE_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
