# syntax=docker/dockerfile:1
# Stage 1: build the GOV.UK / MOJ assets with Node.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static ./static
RUN npm run build

# Stage 2: the slim Python runtime, as a non-root user, served by gunicorn.
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
ARG BUILD_NUMBER=local
ARG GIT_REF=unknown
ARG GIT_BRANCH=unknown
ENV BUILD_NUMBER=${BUILD_NUMBER} GIT_REF=${GIT_REF} GIT_BRANCH=${GIT_BRANCH}

RUN groupadd --system --gid 2000 appgroup \
 && useradd --system --uid 2000 --gid appgroup --home /app --shell /usr/sbin/nologin appuser
WORKDIR /app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=appuser:appgroup manage.py gunicorn.conf.py ./
COPY --chown=appuser:appgroup nomis_sync ./nomis_sync
COPY --chown=appuser:appgroup accounts ./accounts
COPY --chown=appuser:appgroup migrations_ui ./migrations_ui
COPY --chown=appuser:appgroup templates ./templates
# The sandbox ships in the image so docker compose can run it beside the dashboard; it is a
# separate program with its own settings and is never reachable through the dashboard.
COPY --chown=appuser:appgroup sandbox ./sandbox
COPY --from=assets --chown=appuser:appgroup /build/static/build ./static/build

# collectstatic needs settings but no real services: DEBUG gives it harmless defaults.
RUN DEBUG=true python manage.py collectstatic --noinput --verbosity 0

USER 2000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/ping', timeout=4).status == 200 else 1)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "nomis_sync.wsgi:application"]
