# Two entry points for people and CI: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config/monitor.toml
# What is installed in .venv, once, and again when pyproject.toml changes. Running needs
# monitor and its dependencies (`pip install -e .`: a third of the size, 155 of 450 MB);
# the checks add the dev tools (`.[dev]`: pytest, ruff, mypy, Playwright, ...).
RUNTIME := $(VENV)/.installed-run
DEVTOOLS := $(VENV)/.installed-dev

.PHONY: run poll demo test check lint typecheck bench bench-all clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

# The dev tools include what running needs, so the runtime stamp is renewed as well.
$(DEVTOOLS): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(RUNTIME)

## Start the daemon on the shipped configuration (database under data/).
run: $(RUNTIME)
	$(BIN)/monitor --config $(CONFIG) run

## One pass over every enabled feed, then exit.
poll: $(RUNTIME)
	$(BIN)/monitor --config $(CONFIG) poll

## Replay a day of coverage (tests/feeds/day) from 127.0.0.1, then open the review page.
demo: $(RUNTIME)
	$(BIN)/python -m tests.demo

## Lint, type check and the whole test suite: what CI runs.
test: $(DEVTOOLS)
	$(BIN)/ruff format --check monitor tests bench
	$(BIN)/ruff check monitor tests bench
	$(BIN)/mypy
	$(BIN)/pytest

check: test

## Format the code and apply ruff's fixes.
lint: $(DEVTOOLS)
	$(BIN)/ruff format monitor tests bench
	$(BIN)/ruff check --fix monitor tests bench

typecheck: $(DEVTOOLS)
	$(BIN)/mypy

## The benchmark of bench/README: a farm of 1,000 feeds on 127.0.0.1.
bench: $(DEVTOOLS)
	$(BIN)/python -m bench.run

## Every benchmark in one run, one after the other (the longest, memory, builds a
## 20,000-feed farm): the pass against the floor, memory, queries on 1,000,000 entries, polling
## by rhythm, matching and stories. Each prints its table; bench/README.md reads them.
bench-all: $(DEVTOOLS)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.queries
	$(BIN)/python -m bench.rhythm
	$(BIN)/python -m bench.match_speed
	$(BIN)/python -m bench.stories_speed

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
