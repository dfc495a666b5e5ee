# syntax=docker/dockerfile:1
# One Dockerfile for every build. The bases are build arguments: production builds use the official
# images below; where those cannot be pulled, `make image` builds equivalent local bases from Debian
# packages and passes them in (container/image.py). The default target is the production image;
# `--target sandbox` builds the local stand-in for HMPPS Auth and the upstream services.
ARG PYTHON_BASE=python:3.11-slim-bookworm
ARG NODE_BASE=node:20-bookworm-slim

# -- The GOV.UK / MOJ assets, built with Node. Only static/build leaves this stage.
FROM ${NODE_BASE} AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/build.mjs ./static/
COPY static/scss ./static/scss
COPY static/js ./static/js
RUN npm run build

# -- The runtime dependencies in a virtual environment, without pip or setuptools afterwards.
# A virtual environment works the same on the official image's Python and on Debian's, whose own
# site-packages belong to apt (PEP 668).
FROM ${PYTHON_BASE} AS python-deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt constraints.txt /tmp/
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install -r /tmp/requirements.txt -c /tmp/constraints.txt \
 && /opt/venv/bin/pip uninstall --yes pip setuptools

# -- Shared by both images: the user, the environment and the dependencies. A fixed UID, so the
# chart's runAsUser and file ownership agree.
FROM ${PYTHON_BASE} AS python-runtime
ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
# The official image's own pip and setuptools are build tools the running image does not need.
RUN groupadd --system --gid 2000 appgroup \
 && useradd --system --uid 2000 --gid appgroup --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin appuser \
 && if python3 -m pip --version >/dev/null 2>&1; then \
      python3 -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel; \
    fi
COPY --from=python-deps /opt/venv /opt/venv
WORKDIR /app

# -- The sandbox, for docker compose and local runs only: never part of the production image.
FROM python-runtime AS sandbox
COPY manage.py ./
COPY sandbox ./sandbox
RUN python -m compileall -q sandbox
USER 2000:2000
EXPOSE 9091
CMD ["python", "manage.py", "sandbox", "--host", "0.0.0.0", "--port", "9091"]

# -- The production image (the default target): the dashboard only, read-only at run time.
FROM python-runtime AS runtime
ARG BUILD_NUMBER=local
ARG GIT_REF=unknown
ARG GIT_BRANCH=unknown
ARG SOURCE=https://github.com/ministryofjustice/hmpps-nomis-sync-dashboard
LABEL org.opencontainers.image.title="hmpps-nomis-sync-dashboard" \
      org.opencontainers.image.description="NOMIS Migration and Synchronisation Dashboard" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${GIT_REF}" \
      org.opencontainers.image.version="${BUILD_NUMBER}" \
      uk.gov.justice.hmpps.build-number="${BUILD_NUMBER}" \
      uk.gov.justice.hmpps.git-branch="${GIT_BRANCH}"
ENV BUILD_NUMBER=${BUILD_NUMBER} GIT_REF=${GIT_REF} GIT_BRANCH=${GIT_BRANCH}

COPY manage.py gunicorn.conf.py ./
COPY nomis_sync ./nomis_sync
COPY kernel ./kernel
COPY upstream ./upstream
COPY telemetry ./telemetry
COPY accounts ./accounts
COPY migrations_ui ./migrations_ui
COPY templates ./templates
COPY --from=assets /build/static/build ./static/build
# collectstatic needs settings but no real services (DEBUG gives it harmless defaults). The code is
# compiled now, because at run time the root filesystem is read-only and nothing may be written.
RUN DEBUG=true python manage.py collectstatic --noinput --verbosity 0 \
 && python -m compileall -q nomis_sync kernel upstream telemetry accounts migrations_ui \
      gunicorn.conf.py manage.py

# Files stay root's and read-only to the app; it writes only to /tmp.
USER 2000:2000
EXPOSE 8000
# /ping answers a probe whatever its Host header (kernel.middleware.ProbeHostMiddleware).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/ping', timeout=4).status != 200)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "nomis_sync.wsgi:application"]
