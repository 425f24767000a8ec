# Development and CI entry points. `make run` and `make test` work on a machine that has only
# Python >= 3.11 and make (and, for the tests, Debian's packages: scripts/system_deps.sh installs
# them): the virtualenv is created and filled on first use.
#
# Dependencies are declared in pyproject.toml and locked, with exact versions and hashes, in
# requirements/{runtime,test,bench}.txt (`make lock`). Every install is from the lock with
# pip --require-hashes. A stamp file per group inside the virtualenv means pip runs again only
# when its lock file or pyproject.toml changes (or the virtualenv is new).

VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# The lock is compiled by pip-tools in a virtualenv of its own, on the Python of the Dockerfile.
LOCK_VENV ?= .venv-lock
LOCK_PYTHON_VERSION := 3.11
LOCK_TOOLS := pip==25.3 pip-tools==7.6.2
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)

.DEFAULT_GOAL := help
.PHONY: help run test bench migrate seed logins lint install lock lock-upgrade lock-check system-deps prod-smoke backup restore

help:
	@echo "make run      install, migrate, load the demo and start web + worker + beat (Ctrl-C stops all)"
	@echo "make test     install the test dependencies and run the whole suite (PYTEST_ARGS=... to narrow)"
	@echo "make bench    run every bench/bench_*.py and print its figures"
	@echo "make migrate  apply migrations;  make seed  load the demo data (idempotent)"
	@echo "make logins   print the demo logins again"
	@echo "make lint     ruff, import-linter (the layers), Django system checks, missing migrations"
	@echo "make prod-smoke  start the production stack (Procfile) on PostgreSQL + Redis, use it, stop it"
	@echo "make backup / make restore BACKUP=dir   database + media files, checked on restore"
	@echo "make lock     re-lock requirements/*.txt after a change to pyproject.toml (keeps other pins)"
	@echo "make lock-upgrade   re-lock with the newest releases pyproject.toml allows"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# One stamp per dependency group: runtime, test (runtime + test), bench (runtime + bench).
# requirements/test.txt and bench.txt pin every runtime package exactly as runtime.txt does.
$(VENV)/.deps-%: requirements/%.txt pyproject.toml | $(PY)
	@$(PY) scripts/lock_check.py
	$(PY) -m pip install --disable-pip-version-check -q --require-hashes -r requirements/$*.txt
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
# Playwright drives Debian's /usr/bin/chromium: no browser is downloaded. system-deps installs the
# Debian packages the tests need (as root) or stops with the command that does.
# The tests run in TEST_PROCESSES processes (pytest-xdist; "auto": one per core, at most 4, each
# with a database, Redis databases and a media folder of its own); TEST_PROCESSES=0 runs them in one.
TEST_PROCESSES ?= auto
test: system-deps $(VENV)/.deps-test
	$(PY) -m pytest -p tests.plugins.no_skips -n $(TEST_PROCESSES) --maxprocesses 4 --dist worksteal $(PYTEST_ARGS)

system-deps:
	@bash scripts/system_deps.sh

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
# The production stack of the Procfile against PostgreSQL and Redis, used and stopped (scripts/prod_smoke.py).
prod-smoke: $(VENV)/.deps-test
	$(PY) scripts/prod_smoke.py

# Back up the database and media files (var/backups/<time>/), or restore one: make restore BACKUP=dir
backup: $(VENV)/.deps-runtime
	$(MANAGE) backup

restore: $(VENV)/.deps-runtime
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/<time>" >&2; exit 2; }
	$(MANAGE) restore "$(BACKUP)"

lint: $(VENV)/.deps-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

# Re-lock after editing pyproject.toml: pins still allowed are kept, UPGRADE=1 (make lock-upgrade)
# moves every package to its newest allowed release. runtime.txt first; test and bench are then
# resolved with runtime.txt as a constraint, so the three agree on every shared package.
lock: $(LOCK_VENV)/bin/pip-compile
	@mkdir -p requirements
	$(PIP_COMPILE) -o requirements/runtime.txt pyproject.toml
	$(PIP_COMPILE) --extra test -c requirements/runtime.txt -o requirements/test.txt pyproject.toml
	$(PIP_COMPILE) --extra bench -c requirements/runtime.txt -o requirements/bench.txt pyproject.toml
	@$(LOCK_VENV)/bin/python scripts/lock_check.py

lock-upgrade:
	$(MAKE) lock UPGRADE=1

# Fast and offline: every requirement of pyproject.toml is pinned, by a version it allows.
lock-check:
	@$(PYTHON) scripts/lock_check.py

$(LOCK_VENV)/bin/pip-compile:
	@$(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(0 if v == "$(LOCK_PYTHON_VERSION)" else "make lock needs Python $(LOCK_PYTHON_VERSION) (the Dockerfile'"'"'s), $(PYTHON) is " + v + ": PYTHON=python$(LOCK_PYTHON_VERSION) make lock")'
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --disable-pip-version-check -q $(LOCK_TOOLS)
