# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test check deps clean

run: deps
	$(BIN)/flux serve

test: deps
	$(BIN)/pytest

check: deps
	$(BIN)/ruff format --check server shared_reducers tests e2e bench
	$(BIN)/ruff check server shared_reducers tests e2e bench
	$(BIN)/mypy

deps: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) web/build node_modules .pytest_cache .mypy_cache .ruff_cache
