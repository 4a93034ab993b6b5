# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed

.PHONY: run test check deps clean chromium

run: deps $(NODE_INSTALLED)
	$(BIN)/flux serve

test: deps $(NODE_INSTALLED) chromium
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

# The browser's npm packages (redux, lit-html), exactly as package-lock.json says.
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's chromium for the e2e tests (Playwright cannot download browsers here).
chromium:
	.ci/ensure-chromium

clean:
	rm -rf $(VENV) web/build node_modules .pytest_cache .mypy_cache .ruff_cache
