# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
REDUCERS_BUILD := web/build/shared_reducers.js

.PHONY: run test test-fast check bench deps clean chromium check-reducers

# The server, with the shared reducers rebuilt for the page whenever one changes.
run: deps $(NODE_INSTALLED) $(REDUCERS_BUILD)
	$(BIN)/flux transpile --watch & watcher=$$!; trap 'kill $$watcher' EXIT; $(BIN)/flux serve

# The whole suite: checks, tests on every database with coverage, end-to-end in
# Chromium, then the quick benchmarks.  tests/ runs in TEST_WORKERS processes,
# a test file each at a time (file order kept); e2e runs alone after it (its
# browsers and servers want the cores, and Playwright's loop would keep the
# asyncio tests from starting their own).
TEST_WORKERS ?= 2
test: deps $(NODE_INSTALLED) chromium $(REDUCERS_BUILD) check
	$(BIN)/pytest tests -n $(TEST_WORKERS) --dist loadfile --cov --cov-report=
	$(BIN)/pytest e2e --cov --cov-append --cov-report=
	BIN=$(BIN) .ci/coverage
	$(BIN)/flux bench --quick

# For quick local loops: no browser, no fault injection, no package build.
test-fast: deps $(NODE_INSTALLED) $(REDUCERS_BUILD)
	$(BIN)/pytest tests -m "not slow" -x -q

# The full benchmark run (under 10 minutes): figures, plots and tables into docs/.
bench: deps $(NODE_INSTALLED) $(REDUCERS_BUILD)
	$(BIN)/flux bench --json docs/bench/results.json --markdown docs/bench/tables.md

check: deps
	$(BIN)/ruff format --check server shared_reducers tests e2e bench setup.py
	$(BIN)/ruff check server shared_reducers tests e2e bench setup.py
	$(BIN)/mypy
	$(BIN)/flux check-reducers

deps: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The browser's npm packages (redux, lit-html), exactly as package-lock.json says.
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Every module of shared_reducers/ in JavaScript (lowered, then Transcrypt),
# rebuilt when a source, the lowering or the twin runtime is newer.
$(REDUCERS_BUILD): $(INSTALLED) $(wildcard shared_reducers/*.py) server/tools/transpile.py \
		server/tools/lowering.py $(wildcard server/tools/twin/flux_twin.*)
	$(BIN)/flux transpile

# The portable-subset check of the shared reducers (also part of `make check`).
check-reducers: deps
	$(BIN)/flux check-reducers

# Debian's chromium for the e2e tests (Playwright cannot download browsers here).
chromium:
	.ci/ensure-chromium

clean:
	rm -rf $(VENV) web/build node_modules .pytest_cache .mypy_cache .ruff_cache
