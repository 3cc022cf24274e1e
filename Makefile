# Two entry points for people and CI: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config/monitor.toml

.PHONY: run poll demo test check lint typecheck bench clean

$(BIN)/monitor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## Start the daemon on the shipped configuration (database under data/).
run: $(BIN)/monitor
	$(BIN)/monitor --config $(CONFIG) run

## One pass over every enabled feed, then exit.
poll: $(BIN)/monitor
	$(BIN)/monitor --config $(CONFIG) poll

## Replay a day of coverage (tests/feeds/day) from 127.0.0.1, then open the review page.
demo: $(BIN)/monitor
	$(BIN)/python -m tests.demo

## Lint, type check and the whole test suite: what CI runs.
test: $(BIN)/monitor
	$(BIN)/ruff format --check monitor tests bench
	$(BIN)/ruff check monitor tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(BIN)/monitor
	$(BIN)/ruff format monitor tests bench
	$(BIN)/ruff check --fix monitor tests bench

## The benchmark of bench/README: a farm of 1,000 feeds on 127.0.0.1.
bench: $(BIN)/monitor
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache *.egg-info
