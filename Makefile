# Development and CI entry points. `make run` and `make test` work on a machine that has only
# Python >= 3.11 and make: the virtualenv is created and filled on first use.
#
# Dependencies are declared once, in pyproject.toml; scripts/requirements.py turns a group of
# them into a requirements list. A stamp file per group inside the virtualenv means pip runs
# again only when pyproject.toml changes (or the virtualenv is new).

VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
DEPS := pyproject.toml scripts/requirements.py

.DEFAULT_GOAL := help
.PHONY: help run test bench migrate seed logins lint install

help:
	@echo "make run      install, migrate, load the demo and start web + worker + beat (Ctrl-C stops all)"
	@echo "make test     install the test dependencies and run the whole suite (PYTEST_ARGS=... to narrow)"
	@echo "make bench    run every bench/bench_*.py and print its figures"
	@echo "make migrate  apply migrations;  make seed  load the demo data (idempotent)"
	@echo "make logins   print the demo logins again"
	@echo "make lint     ruff, import-linter (the layers), Django system checks, missing migrations"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# One stamp per dependency group: runtime, test (runtime + test), bench (runtime + bench).
$(VENV)/.deps-runtime: $(DEPS) | $(PY)
	$(PY) scripts/requirements.py > $(VENV)/requirements-runtime.txt
	$(PY) -m pip install --disable-pip-version-check -q -r $(VENV)/requirements-runtime.txt
	@touch $@

$(VENV)/.deps-%: $(DEPS) | $(PY)
	$(PY) scripts/requirements.py $* > $(VENV)/requirements-$*.txt
	$(PY) -m pip install --disable-pip-version-check -q -r $(VENV)/requirements-$*.txt
	@touch $@

install: $(VENV)/.deps-runtime

run: $(VENV)/.deps-runtime
	VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) bash scripts/run.sh

migrate: $(VENV)/.deps-runtime
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

logins: $(VENV)/.deps-runtime
	@$(MANAGE) demo_logins --url http://$(HOST):$(PORT)

# tests.plugins.no_skips does nothing locally; with CI set it turns every skip into a failure.
# Playwright drives Debian's /usr/bin/chromium: no browser is downloaded.
test: $(VENV)/.deps-test
	@test -x /usr/bin/chromium || echo "note: /usr/bin/chromium is missing; browser tests need Debian's chromium package"
	$(PY) -m pytest -p tests.plugins.no_skips $(PYTEST_ARGS)

bench: $(VENV)/.deps-bench
	@found=0; failed=0; \
	for script in bench/bench_*.py; do \
	  [ -e "$$script" ] || continue; found=1; \
	  echo "== $$script"; \
	  PYTHONPATH=. $(PY) "$$script" || failed=1; \
	  echo; \
	done; \
	if [ $$found = 0 ]; then echo "No bench/bench_*.py scripts yet."; fi; \
	exit $$failed

# ruff (style and real mistakes), import-linter (the layers in pyproject.toml), Django's checks.
lint: $(VENV)/.deps-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
