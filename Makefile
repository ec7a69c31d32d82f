# refbot — the two commands: `make demo` and `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_CATALOG := refbot/data/demo_catalog.xml
# Debian packages the tests drive for real: a browser for the console, OCR for snap and send,
# PostgreSQL (the tests start throwaway clusters of their own; the packaged one is not used).
SYSTEM_PACKAGES := chromium tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install system-deps lint typecheck unit index bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(STAMP)

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

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
