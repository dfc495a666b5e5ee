# The two commands that matter: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SANDBOX_PORT ?= 9091
# Local runs and tests use development defaults (sandbox upstreams, SQLite unless DATABASE_URL).
DEV_ENV := DEBUG=true NO_HTTPS=true SECURE_SSL_REDIRECT=false

# mypy covers these as they appear (style.md §11).
MYPY_TARGETS := $(wildcard accounts migrations_ui/clients migrations_ui/services.py)

.PHONY: run test lint assets install clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

static/build/.built: node_modules/.installed static/build.mjs $(shell find static/scss static/js -type f)
	npm run --silent build
	touch $@

staticfiles/staticfiles.json: static/build/.built $(VENV)/.installed
	$(DEV_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0

assets: staticfiles/staticfiles.json

## run: install, build assets, migrate SQLite and serve the dashboard on http://localhost:8000
run: install assets
	$(DEV_ENV) $(PY) manage.py migrate --verbosity 0
	$(DEV_ENV) $(PY) manage.py runserver $(PORT)

## lint: ruff, djlint, mypy, hadolint and the compose specification
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint --quiet
	$(if $(MYPY_TARGETS),$(DEV_ENV) $(VENV)/bin/mypy $(MYPY_TARGETS))
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

## test: build what is needed, lint, then the whole suite
test: install assets lint
	$(DEV_ENV) $(PY) -m pytest

clean:
	rm -rf static/build staticfiles .pytest_cache .mypy_cache .ruff_cache
