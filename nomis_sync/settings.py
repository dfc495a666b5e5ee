"""Settings for the NOMIS Migration and Synchronisation Dashboard.

Every value comes from the environment (12-factor, as HMPPS runs it). `.env.example` documents each
variable. With DEBUG off, start-up fails with one message naming every missing required variable;
with DEBUG on, missing upstream settings default to the local sandbox (`make run`).
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import environ
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's own .env is read if present; in deployed environments variables come from the
# platform, and the file does not exist.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

# -- Core

DEBUG = env.bool("DEBUG", default=False)

# Where `make run` starts the sandbox; in development the upstream defaults below point at it.
_SANDBOX = env.str("SANDBOX_URL", default="http://localhost:9091")

_missing: list[str] = []


def _value(name: str, *, secret: bool = False) -> str:
    """A variable's value; a secret's may instead be in the file named by `<NAME>_FILE`."""
    if secret and os.environ.get(f"{name}_FILE"):
        return Path(os.environ[f"{name}_FILE"]).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "").strip()


def _read(name: str, *, dev_default: str | None = None, secret: bool = False) -> str:
    """Read a required string setting.

    A secret may instead be given as a file path in `<NAME>_FILE` (Kubernetes secret volumes).
    Missing values are collected, not raised one by one, so a misconfigured deployment learns
    everything that is wrong in one go.
    """
    value = _value(name, secret=secret)
    if value:
        return value
    if DEBUG and dev_default is not None:
        return dev_default
    _missing.append(name)
    return ""


SECRET_KEY = _read("SECRET_KEY", dev_default="django-insecure-local-development-only", secret=True)

# Public address of this dashboard: used for sign-out and account-details return links.
INGRESS_URL = _read("INGRESS_URL", dev_default="http://localhost:8000").rstrip("/")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
    if INGRESS_URL:
        ALLOWED_HOSTS.append(INGRESS_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0])

# The label shown in the header tag, e.g. "DEV" or "PRE-PRODUCTION"; unset in production.
ENVIRONMENT_NAME = env.str("ENVIRONMENT_NAME", default="")

SERVICE_NAME = "NOMIS Migration and Synchronisation Dashboard"

INSTALLED_APPS = [
    # The admin site is ours: behind HMPPS Auth sign-in, showing the read-only audit log.
    "nomis_sync.apps.DashboardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "mozilla_django_oidc",
    "nomis_sync",
    "accounts",
    "migrations_ui",
]

MIDDLEWARE = [
    # X-Forwarded-Proto/-Host/-Port are believed only from TRUSTED_PROXIES: first, before anything
    # reads the scheme or the host.
    "kernel.proxies.TrustedProxyMiddleware",
    # At the pod's own address (its IP as Host): the probes' /ping and the scrape of /metrics.
    "kernel.middleware.ProbeHostMiddleware",
    "kernel.middleware.RequestIdMiddleware",
    # Every wait for another service fits inside REQUEST_DEADLINE_SECONDS.
    "upstream.deadline.RequestDeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp's, with its policy written once per process.
    "kernel.csp.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Re-authenticates when the HMPPS Auth token has expired or is no longer active.
    "accounts.middleware.HmppsSessionMiddleware",
    # Pages shown to a signed-in user are never kept by a browser or shared cache.
    "accounts.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Any 405 (Django has no handler405) becomes the GOV.UK error page.
    "kernel.middleware.MethodNotAllowedMiddleware",
    "kernel.middleware.UpstreamErrorMiddleware",
]

ROOT_URLCONF = "nomis_sync.urls"
AUTH_USER_MODEL = "accounts.User"
WSGI_APPLICATION = "nomis_sync.wsgi.application"

# -- Templates
# App pages are Jinja2 with the GOV.UK macros; the Django admin keeps its own templates.

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "kernel.jinja2.environment",
            "context_processors": [
                "kernel.context_processors.layout",
                # The overview's link in the header, for users who may see a migration type.
                "migrations_ui.overview.context.overview_link",
            ],
            "autoescape": True,
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# -- Database
# SQLite for a laptop; PostgreSQL (psycopg 3) wherever the audit log must survive restarts and be
# shared by replicas: either one DATABASE_URL, or the parts Cloud Platform's RDS secret gives as
# separate keys (DATABASE_HOST, DATABASE_NAME, DATABASE_USERNAME, DATABASE_PASSWORD), so the
# chart can map them straight from the secret without anyone assembling (and quoting) a URL.
_DATABASE_PARTS = ("DATABASE_HOST", "DATABASE_NAME", "DATABASE_USERNAME", "DATABASE_PASSWORD")


def _database_from_parts() -> dict[str, Any]:
    """PostgreSQL from separate variables; each missing part is named with the others."""
    host = _read("DATABASE_HOST")
    # RDS's endpoint is "host:port"; DATABASE_PORT is for a host given alone.
    host, _, port = host.partition(":")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": host,
        "PORT": port or env.str("DATABASE_PORT", default="5432"),
        "NAME": _read("DATABASE_NAME"),
        "USER": _read("DATABASE_USERNAME"),
        "PASSWORD": _read("DATABASE_PASSWORD", secret=True),
    }


if os.environ.get("DATABASE_URL") and any(os.environ.get(name) for name in _DATABASE_PARTS):
    raise ImproperlyConfigured(
        "Give the database either as DATABASE_URL or as DATABASE_HOST, DATABASE_NAME, "
        "DATABASE_USERNAME and DATABASE_PASSWORD, not both."
    )
if any(os.environ.get(name) for name in _DATABASE_PARTS):
    DATABASES = {"default": _database_from_parts()}
else:
    DATABASES = {
        "default": env.db_url(
            "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}" if DEBUG else ""
        )
        if (os.environ.get("DATABASE_URL") or DEBUG)
        else {}
    }
if not DATABASES["default"]:
    _missing.append("DATABASE_URL")
    DATABASES["default"] = {"ENGINE": "django.db.backends.dummy"}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # A database that stops answering fails a page (and /health) within seconds, not after the
    # operating system's minutes of connection retries. `?connect_timeout=N` in the URL wins.
    _options.setdefault("connect_timeout", 5)
    # e.g. "require" for RDS, which refuses unencrypted connections; libpq's default otherwise.
    if env.str("DATABASE_SSLMODE", default=""):
        _options["sslmode"] = env.str("DATABASE_SSLMODE")

# The audit log is append-only for the application itself: the application may connect as a role
# that can only insert and read audit events, while `manage.py migrate` connects as the owner of
# the tables (DATABASE_MIGRATE_URL, or DATABASE_MIGRATE_USERNAME and DATABASE_MIGRATE_PASSWORD on
# the same host and database: the RDS secret's master user). After each migrate, the owner grants
# the application's role (the database user above) what it needs and nothing more on the audit
# table (migrations_ui.roles).
DATABASE_MIGRATE_URL = env.str("DATABASE_MIGRATE_URL", default="")
_owner: dict[str, Any] = {}
if DATABASE_MIGRATE_URL:
    _owner = {
        key: value
        for key, value in env.db_url_config(DATABASE_MIGRATE_URL).items()
        if key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")
    }
elif os.environ.get("DATABASE_MIGRATE_USERNAME"):
    _owner = {
        "USER": env.str("DATABASE_MIGRATE_USERNAME"),
        "PASSWORD": _read("DATABASE_MIGRATE_PASSWORD", secret=True),
    }
DATABASE_APP_ROLE = ""
if _owner and DATABASES["default"].get("ENGINE", "").endswith("postgresql"):
    DATABASE_APP_ROLE = DATABASES["default"].get("USER", "")
    if sys.argv[1:2] == ["migrate"]:
        # Same database, other credentials; the connection options above still apply.
        DATABASES["default"] = {**DATABASES["default"], **_owner}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Cache and sessions
# Redis is shared by every replica; local memory is only for a laptop without Redis. REDIS_URL, or
# the parts ElastiCache gives (as the existing dashboard reads them): REDIS_HOST, REDIS_PORT, the
# auth token in REDIS_PASSWORD, and TLS (on unless DEBUG, as ElastiCache encrypts in transit).


def _redis_url_from_parts() -> str:
    """A redis:// or rediss:// URL from REDIS_HOST and friends, the auth token quoted into it.

    One URL serves django-redis and the /health ping alike; redis-py unquotes the password.
    """
    scheme = "rediss" if env.bool("REDIS_TLS_ENABLED", default=not DEBUG) else "redis"
    password = _value("REDIS_PASSWORD", secret=True)
    auth = f":{quote(password, safe='')}@" if password else ""
    host = env.str("REDIS_HOST")
    port = env.int("REDIS_PORT", default=6379)
    return f"{scheme}://{auth}{host}:{port}/0"


if os.environ.get("REDIS_URL") and os.environ.get("REDIS_HOST"):
    raise ImproperlyConfigured("Give Redis either as REDIS_URL or as REDIS_HOST, not both.")
REDIS_URL = (
    _redis_url_from_parts() if os.environ.get("REDIS_HOST") else env.str("REDIS_URL", default="")
)
if not REDIS_URL and not DEBUG:
    _missing.append("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="nomis-sync"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Django's cache sessions, except that Redis being down is a 503 rather than a silent sign-out.
SESSION_ENGINE = "kernel.sessions"
SESSION_COOKIE_NAME = "nomis-sync-dashboard.session"
SESSION_COOKIE_AGE = env.int("WEB_SESSION_TIMEOUT_IN_MINUTES", default=120) * 60
# Rolling timeout, as the existing dashboard; the session middleware only re-saves when needed.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Plain HTTP is only acceptable on a developer's machine, and must be asked for explicitly.
NO_HTTPS = env.bool("NO_HTTPS", default=DEBUG)
SESSION_COOKIE_SECURE = not NO_HTTPS
CSRF_COOKIE_SECURE = not NO_HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "nomis_sync.views.csrf_failure"

# -- Security

# Believed only from TRUSTED_PROXIES: kernel.proxies drops it (and X-Forwarded-Host/-Port)
# from any other caller, so a direct caller cannot make its request count as HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxies (addresses or CIDR networks, e.g. the ingress controller's pod network) whose
# forwarding headers are believed: the scheme, host and port (kernel.proxies), and the audit
# log's client address from X-Forwarded-For. gunicorn.conf.py gives gunicorn the same list. None
# by default: a caller that reaches the dashboard directly cannot choose any of them.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
try:
    TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(entry) for entry in TRUSTED_PROXIES]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not NO_HTTPS)
# The platform's ingress answers plain-HTTP probes; /ping and /health must not be redirected.
SECURE_REDIRECT_EXEMPT = [r"^ping$", r"^health$", r"^info$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if NO_HTTPS else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = not NO_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

HMPPS_AUTH_URL = _read("HMPPS_AUTH_URL", dev_default=f"{_SANDBOX}/auth").rstrip("/")
# The address browsers are sent to; differs from HMPPS_AUTH_URL when the dashboard reaches Auth
# through an internal address.
HMPPS_AUTH_EXTERNAL_URL = env.str("HMPPS_AUTH_EXTERNAL_URL", default=HMPPS_AUTH_URL).rstrip("/")

# Content Security Policy: scripts only from us, with a per-request nonce; no inline anything.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, HMPPS_AUTH_EXTERNAL_URL],
        "frame-ancestors": ["'none'"],
        "base-uri": [SELF],
        "object-src": ["'none'"],
    }
}
if not NO_HTTPS:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

# -- Upstream services
# Each upstream has a (connect, read) timeout pair in seconds. Defaults follow the existing
# dashboard (10 s for Auth, 60 s for the APIs, 5 s for token verification).

NOMIS_MIGRATION_API_URL = _read(
    "NOMIS_MIGRATION_API_URL", dev_default=f"{_SANDBOX}/nomis-migration-api"
).rstrip("/")
NOMIS_PRISONER_API_URL = _read(
    "NOMIS_PRISONER_API_URL", dev_default=f"{_SANDBOX}/nomis-prisoner-api"
).rstrip("/")
MAPPING_API_URL = _read("MAPPING_API_URL", dev_default=f"{_SANDBOX}/mapping-api").rstrip("/")
# Activities and appointments' DPS side: rollout, pay bands and regime checks before a migration.
ACTIVITIES_API_URL = _read("ACTIVITIES_API_URL", dev_default=f"{_SANDBOX}/activities-api").rstrip(
    "/"
)

# On wherever DEBUG is off, as the existing dashboard verifies in every deployed environment; a
# deployment without the verification API must say so (TOKEN_VERIFICATION_ENABLED=false).
TOKEN_VERIFICATION_ENABLED = env.bool("TOKEN_VERIFICATION_ENABLED", default=not DEBUG)
TOKEN_VERIFICATION_API_URL = (
    _read("TOKEN_VERIFICATION_API_URL", dev_default=f"{_SANDBOX}/verification").rstrip("/")
    if TOKEN_VERIFICATION_ENABLED
    else env.str("TOKEN_VERIFICATION_API_URL", default="").rstrip("/")
)
# How often, per session, the user's token is re-checked with the token verification API.
TOKEN_VERIFICATION_INTERVAL_SECONDS = env.int("TOKEN_VERIFICATION_INTERVAL_SECONDS", default=60)

# No page may take longer than this (seconds): below a typical 30-60 s ingress timeout, so users
# get our GOV.UK "did not respond in time" page instead of the ingress's bare one. Each upstream
# call's timeouts and its retries are fitted into what is left of it (upstream.deadline).
REQUEST_DEADLINE_SECONDS = env.float("REQUEST_DEADLINE_SECONDS", default=25.0)
# What a page can do without (the home page's "Running" tags, who started each migration, a
# preview's dead letter count) gets at most this long; past it the page shows "Status
# unavailable" there instead of waiting (upstream.deadline). At most 1 s.
OPTIONAL_CALL_BUDGET_SECONDS = env.float("OPTIONAL_CALL_BUDGET_SECONDS", default=1.0)
if not 0.0 < OPTIONAL_CALL_BUDGET_SECONDS <= 1.0:
    raise ImproperlyConfigured("OPTIONAL_CALL_BUDGET_SECONDS must be more than 0 and at most 1.")

UPSTREAM_TIMEOUTS: dict[str, tuple[float, float]] = {
    "hmppsAuth": (
        env.float("HMPPS_AUTH_TIMEOUT_CONNECT", default=2.0),
        env.float("HMPPS_AUTH_TIMEOUT_RESPONSE", default=10.0),
    ),
    "tokenVerification": (
        env.float("TOKEN_VERIFICATION_API_TIMEOUT_CONNECT", default=2.0),
        env.float("TOKEN_VERIFICATION_API_TIMEOUT_RESPONSE", default=5.0),
    ),
    "nomisMigrationApi": (
        env.float("NOMIS_MIGRATION_API_TIMEOUT_CONNECT", default=2.0),
        env.float("NOMIS_MIGRATION_API_TIMEOUT_RESPONSE", default=60.0),
    ),
    "nomisPrisonerApi": (
        env.float("NOMIS_PRISONER_API_TIMEOUT_CONNECT", default=2.0),
        env.float("NOMIS_PRISONER_API_TIMEOUT_RESPONSE", default=60.0),
    ),
    "mappingApi": (
        env.float("MAPPING_API_TIMEOUT_CONNECT", default=2.0),
        env.float("MAPPING_API_TIMEOUT_RESPONSE", default=60.0),
    ),
    "activitiesApi": (
        env.float("ACTIVITIES_API_TIMEOUT_CONNECT", default=2.0),
        env.float("ACTIVITIES_API_TIMEOUT_RESPONSE", default=60.0),
    ),
}

# -- Sign-in (HMPPS Auth)

AUTH_CODE_CLIENT_ID = _read("AUTH_CODE_CLIENT_ID", dev_default="nomis-sync-dashboard-ui")
AUTH_CODE_CLIENT_SECRET = _read(
    "AUTH_CODE_CLIENT_SECRET", dev_default="sandbox-ui-secret", secret=True
)
CLIENT_CREDS_CLIENT_ID = _read("CLIENT_CREDS_CLIENT_ID", dev_default="nomis-sync-dashboard-system")
CLIENT_CREDS_CLIENT_SECRET = _read(
    "CLIENT_CREDS_CLIENT_SECRET", dev_default="sandbox-system-secret", secret=True
)

LOGIN_URL = "/sign-in"
LOGIN_REDIRECT_URL = "/"

# mozilla-django-oidc, adapted to HMPPS Auth (accounts.backends): Auth issues no id_token and has no
# userinfo endpoint, so the backend verifies the access token itself against the JWKS. Browsers are
# sent to the external address; the code exchange and the keys use the internal one.
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{HMPPS_AUTH_EXTERNAL_URL}/oauth/authorize"
OIDC_OP_TOKEN_ENDPOINT = f"{HMPPS_AUTH_URL}/oauth/token"
OIDC_OP_JWKS_ENDPOINT = f"{HMPPS_AUTH_URL}/.well-known/jwks.json"
OIDC_OP_USER_ENDPOINT = ""
OIDC_RP_CLIENT_ID = AUTH_CODE_CLIENT_ID
OIDC_RP_CLIENT_SECRET = AUTH_CODE_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "read"
OIDC_TOKEN_USE_BASIC_AUTH = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
# A nonce travels in an id_token, which HMPPS Auth does not issue; `state` and PKCE guard the flow.
OIDC_USE_NONCE = False
OIDC_AUTHENTICATION_CALLBACK_URL = "sign-in-callback"
LOGIN_REDIRECT_URL_FAILURE = "/autherror"
# The access token's `iss` is built from the address the token request used; both are accepted.
HMPPS_AUTH_ISSUERS = sorted({f"{HMPPS_AUTH_URL}/issuer", f"{HMPPS_AUTH_EXTERNAL_URL}/issuer"})
# How long the JWKS is kept in the cache (Auth sends max-age=43200); an unknown `kid` refetches.
HMPPS_AUTH_JWKS_CACHE_SECONDS = env.int("HMPPS_AUTH_JWKS_CACHE_SECONDS", default=43200)
# The rolling session timeout is renewed at most this often, to save a session write per request.
SESSION_RENEW_INTERVAL_SECONDS = 60

# -- Roles and permissions
# HMPPS roles (without the ROLE_ prefix) to dashboard permissions. Permissions are derived from the
# token's roles at each check (accounts.permissions), never stored. Each migration type's roles
# and permissions come from its registry entry (migrations_ui.types), which adds them to these.

AUDIT_PERMISSIONS = ["migrations_ui.view_audit_log"]
# A read-only role for people who review the audit log without running migrations.
AUDIT_ROLE = env.str("AUDIT_ROLE", default="NOMIS_SYNC_DASHBOARD__AUDIT__RO").removeprefix("ROLE_")
ROLE_PERMISSIONS: dict[str, list[str]] = {
    # The "super" role: every migration type's permissions (from the registry) and the audit log.
    "MIGRATE_NOMIS_SYSCON": AUDIT_PERMISSIONS,
    AUDIT_ROLE: AUDIT_PERMISSIONS,
}

AUTHENTICATION_BACKENDS = [
    "accounts.backends.HmppsAuthBackend",
    "accounts.permissions.RolePermissionBackend",
]

# -- Telemetry links (Application Insights / Log Analytics)

APPINSIGHTS_PORTAL_URL = env.str("APPLICATION_INSIGHTS_URL", default="https://portal.azure.com")
APPINSIGHTS_SUBSCRIPTION_ID = env.str("APPINSIGHTS_SUBSCRIPTION_ID", default="")
APPINSIGHTS_COMPONENT = env.str("APPINSIGHTS_COMPONENT", default="nomisapi-t3")
APPINSIGHTS_RESOURCE_GROUP = env.str(
    "APPINSIGHTS_RESOURCE_GROUP", default=f"{APPINSIGHTS_COMPONENT}-rg"
)

# -- Build information (shown at /info)

BUILD_NUMBER = env.str("BUILD_NUMBER", default="local")
GIT_REF = env.str("GIT_REF", default="unknown")
GIT_BRANCH = env.str("GIT_BRANCH", default="unknown")
PRODUCT_ID = env.str("PRODUCT_ID", default="DPS060")

# -- Telemetry (Application Insights through OpenTelemetry; telemetry)
# Off unless a connection string is given: then no exporter, no thread and nothing instrumented.
# The connection string may come from a file named by APPLICATIONINSIGHTS_CONNECTION_STRING_FILE.

if os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING_FILE"):
    APPLICATIONINSIGHTS_CONNECTION_STRING = (
        Path(os.environ["APPLICATIONINSIGHTS_CONNECTION_STRING_FILE"])
        .read_text(encoding="utf-8")
        .strip()
    )
else:
    APPLICATIONINSIGHTS_CONNECTION_STRING = env.str(
        "APPLICATIONINSIGHTS_CONNECTION_STRING", default=""
    ).strip()
# A value the exporter cannot read would only fail once gunicorn's workers start: refused here.
if APPLICATIONINSIGHTS_CONNECTION_STRING and "InstrumentationKey=" not in (
    APPLICATIONINSIGHTS_CONNECTION_STRING
):
    raise ImproperlyConfigured(
        "APPLICATIONINSIGHTS_CONNECTION_STRING must be an Application Insights connection string "
        "(InstrumentationKey=...;IngestionEndpoint=...)."
    )
# The share of traces (a request with its dependencies) sent, 0 to 1; custom events are all sent.
TELEMETRY_SAMPLING_RATIO = env.float("TELEMETRY_SAMPLING_RATIO", default=1.0)
if not 0.0 <= TELEMETRY_SAMPLING_RATIO <= 1.0:
    raise ImproperlyConfigured("TELEMETRY_SAMPLING_RATIO must be between 0 and 1.")
# Application Insights' cloud role name; the application version is BUILD_NUMBER.
TELEMETRY_ROLE_NAME = "hmpps-nomis-sync-dashboard"

# -- Health checks
# Each upstream ping has a short timeout: /health must answer quickly even when a service hangs.

HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)

# -- Internationalisation

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

# -- Static files
# Built GOV.UK/MOJ assets land in static/build (git-ignored); whitenoise serves them with hashed
# names from STATIC_ROOT after collectstatic.

STATIC_URL = "/assets/"
STATICFILES_DIRS = [BASE_DIR / "static" / "build"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600

# -- Logging
# JSON lines on stdout in deployed environments; readable lines on a laptop.

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "kernel.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "kernel.logging.JsonFormatter"},
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": sys.stdout,
            "filters": ["request"],
            "formatter": "plain" if DEBUG else "json",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our access log replaces Django's; its 4xx/5xx lines would duplicate ours.
        "django.request": {"level": "ERROR", "propagate": True},
        "django.server": {"level": "WARNING", "propagate": True},
    },
}

# -- Migrations

# An action whose answer was lost is "confirmed not done" only when upstream shows no trace of it
# this long after: before that, the request may still be running there (services.reconcile).
AUDIT_RECONCILE_GRACE_SECONDS = env.int("AUDIT_RECONCILE_GRACE_SECONDS", default=120)

# How long the home page's "Running" tags are kept before the migration service is asked again.
HOME_RUNNING_TAG_SECONDS = env.float("HOME_RUNNING_TAG_SECONDS", default=5.0)
# Some estimates are heavy NOMIS queries (a type's package says so: visits counts every visit).
# The preview waits this many seconds for one, without retrying, then shows the "try again"
# advice instead of an error page.
HEAVY_ESTIMATE_TIMEOUT_SECONDS = env.float("HEAVY_ESTIMATE_TIMEOUT_SECONDS", default=30.0)
# How often a running migration's details page refreshes its figures.
MIGRATION_PROGRESS_POLL_SECONDS = env.int("MIGRATION_PROGRESS_POLL_SECONDS", default=5)
# The history list (not paged upstream, thousands of rows) is kept per worker: fresh for this
# long, then served while a fresh copy is fetched in the background, for at most the second
# figure. The dashboard's own actions make every copy stale at once (kernel.caching).
MIGRATION_HISTORY_FRESH_SECONDS = env.float("MIGRATION_HISTORY_FRESH_SECONDS", default=5.0)
MIGRATION_HISTORY_MAX_STALE_SECONDS = env.float("MIGRATION_HISTORY_MAX_STALE_SECONDS", default=60.0)
# The overview's figures of each type (M5, M4) are shared by every worker and replica through the
# cache for this long (migrations_ui.overview): at most 5 s, as its users are told; 0 reads them
# at every request.
OVERVIEW_FIGURES_SECONDS = env.float("OVERVIEW_FIGURES_SECONDS", default=5.0)
if not 0.0 <= OVERVIEW_FIGURES_SECONDS <= 5.0:
    raise ImproperlyConfigured("OVERVIEW_FIGURES_SECONDS must be from 0 to 5.")

# -- Fail fast
# Collected above; raised once so the operator sees every missing variable in one message.

if _missing and not DEBUG:
    raise ImproperlyConfigured(
        "Missing required environment variables: "
        + ", ".join(sorted(set(_missing)))
        + ". See .env.example."
    )
