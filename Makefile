# refbot — the two commands: `make demo` and `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := constraints.txt
# The install is redone when the dependencies, their pinned versions or the install script change.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) deploy/install.sh | cksum | cut -d' ' -f1)
DEMO_CATALOG := refbot/data/demo_catalog.xml
# Debian packages the tests drive for real: a browser for the console, OCR for snap and send,
# PostgreSQL (the tests start throwaway clusters of their own; the packaged one is not used),
# and what tests/deploy checks the deployment examples with (systemd-analyze, nginx, caddy).
SYSTEM_PACKAGES := chromium tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng postgresql systemd nginx caddy mariadb-server
INSTALL := sh deploy/install.sh

.PHONY: demo test install system-deps lock lock-upgrade lint typecheck unit index bench clean

## refbot and its test tools into .venv, each at the version constraints.txt pins (deploy/install.sh, as the image does)
$(STAMP): pyproject.toml $(LOCK) deploy/install.sh
	PYTHON=$(PYTHON) $(INSTALL) python $(VENV) test --editable
	touch $@

install: $(STAMP)

system-deps:
	@$(INSTALL) debian $(SYSTEM_PACKAGES)

## make lock: write constraints.txt from pyproject.toml, keeping the pinned versions that still fit;
## make lock-upgrade: the newest versions allowed. uv resolves (installed in .venv for this only).
LOCK_COMPILE = $(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --python-platform linux \
	--custom-compile-command "make lock" --quiet -o $(LOCK)

# Not through the install: a lock that no longer fits pyproject.toml must not stop its own refresh.
$(BIN)/uv:
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv>=0.5"

lock: $(BIN)/uv
	$(LOCK_COMPILE)

lock-upgrade: $(BIN)/uv
	$(LOCK_COMPILE) --upgrade

## make demo: install, build the demo catalog index if missing or of an older layout, serve with the local sandbox
demo: install
	@$(BIN)/refbot index status --json | grep -q '"layout_current": true' || $(BIN)/refbot index build $(DEMO_CATALOG)
	$(BIN)/refbot serve --sandbox

## make test: install what the tests need, then lint, type-check and run the tests
test: install system-deps lint typecheck unit

lint: install
	$(BIN)/ruff check refbot connectors tests bench

typecheck: install
	$(BIN)/mypy

## the fast tests first, then the slow end-to-end, crash and chaos flows (tests/flows, marked slow)
unit: install
	$(BIN)/pytest -q -m "not slow"
	$(BIN)/pytest -q -m slow

index: install
	$(BIN)/refbot index build $(DEMO_CATALOG)

## make bench: every benchmark, one after another (each prints its own figures)
bench: install
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
