# One command per task. Each creates .venv and installs the pinned packages on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint check chaos clean

$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## run: start Redis if needed, then auth, two edges and two workers under supervisord
run: $(VENV)/.runtime
	$(PY) scripts/run.py

## test: the whole suite against real Redis and MariaDB (see README for the defaults);
## it includes smoke runs of the benchmark, so it installs the benchmark's packages too
test: lint
	$(PY) -m pytest

## lint: ruff and mypy (the benchmark's packages too: mypy checks bench/)
lint: $(VENV)/.bench
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

check: lint test

## chaos: 60 s of players moving while workers and edges are killed and restarted at random
chaos: $(VENV)/.dev
	$(PY) scripts/chaos.py --seconds 60 --clients 30 --rooms 5

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find run -mindepth 1 ! -name .gitkeep -delete

$(VENV)/.bench: $(VENV)/.dev requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

## bench: a short crowd run (1,000 clients in 100 rooms, 10 moves/s, 30 s) on a private
## stack; prints the figures and writes bench/results/<scenario>-<time>.json and .png.
## The others by name: `make bench SCENARIO=capacity` (or bigroom, quiet), or
## `$(PY) -m bench capacity|bigroom|quiet|crowd [--clients N --rooms N --rate R
## --seconds S --processes P --out DIR]`; see `$(PY) -m bench --help`.
.PHONY: bench
SCENARIO ?= crowd
BENCH_ARGS ?= $(if $(filter crowd,$(SCENARIO)),--seconds 30)
bench: $(VENV)/.bench
	$(PY) -m bench $(SCENARIO) $(BENCH_ARGS)
