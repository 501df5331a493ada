# AsylumLens: two commands for a fresh machine - `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= demo-data
DEMO_CASES ?= 200000
DEMO_PORT ?= 8000
DEMO_DATE ?= 2026-11-01
STORE := $(DEMO_DIR)/store
# synth writes the release folder and, beside it (not in it), its ground-truth manifest
DEMO_RELEASE = $(DEMO_DIR)/release/$(shell $(PY) -c "from datetime import date; from asylumlens.synth.writer import release_dir_name; print(release_dir_name(date.fromisoformat('$(DEMO_DATE)')))")

.PHONY: install browser demo test lint typecheck unit bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here). They are
# opt-in (pytest --browser): `make test` runs them when chromium is installed (BROWSER=1 forces
# them, BROWSER= skips them); `make browser` installs it (root; .ci/run does).
BROWSER ?= $(shell command -v chromium >/dev/null 2>&1 && echo 1)

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(PY) -m asylumlens synth $(DEMO_DIR)/release --cases $(DEMO_CASES) --seed 2026 --date $(DEMO_DATE)
	$(PY) -m asylumlens ingest "$(DEMO_RELEASE)" --store $(STORE)
	$(PY) -m asylumlens compare --store $(STORE)
	$(PY) -m asylumlens claim "the asylum approval rate plummeted to 10 percent in 2025, from the 28 percent average recorded between 2010 and 2024" --store $(STORE)
	@[ -f $(STORE)/case.key ] || $(PY) -m asylumlens cases init-key --store $(STORE)
	$(PY) -m asylumlens admin demo --store $(STORE)
	@echo "Dashboard: http://127.0.0.1:$(DEMO_PORT)/  Case workspace: http://127.0.0.1:$(DEMO_PORT)/login  (Ctrl-C to stop)"
	$(PY) -m asylumlens serve --store $(STORE) --host 127.0.0.1 --port $(DEMO_PORT)

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: install
	$(VENV)/bin/mypy

unit: install
	@[ -n "$(BROWSER)" ] || echo "browser tests skipped: chromium is not installed (make browser, then make test)"
	$(VENV)/bin/pytest $(if $(BROWSER),--browser)

test: lint typecheck unit

# Full real scale (12.7 M cases): generates ~9 GB under bench/data, then measures.
bench: install
	$(PY) bench/ingest.py
	$(PY) bench/queries.py --store bench/data/store
	$(PY) bench/serve.py --store bench/data/store

clean:
	rm -rf $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
