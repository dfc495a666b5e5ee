"""Standalone Django settings for the sandbox process.

The sandbox keeps everything in memory, so there is no database, no sessions framework and no
middleware: every request goes straight from the URL resolver to a small view.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# -- Core
# A dev default is fine: the sandbox signs nothing with Django's key (JWTs use their own RSA pair).
SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY", "sandbox-insecure-dev-key-not-for-production")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "sandbox.urls"
INSTALLED_APPS = ["sandbox"]
# No middleware at all: faults, latency and the journal are applied by a WSGI wrapper
# (sandbox.middleware) that sits outside Django so it can also drop connections.
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
APPEND_SLASH = False

# -- Time
USE_TZ = True
TIME_ZONE = "Europe/London"
USE_I18N = False

# -- Templates (the sign-in and account pages only)
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

# -- Logging: the lifecycle logs the "already migrated" line like the real service does.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "sandbox": {
            "handlers": ["console"],
            "level": os.environ.get("SANDBOX_LOG_LEVEL", "WARNING"),
        },
        "django": {"handlers": ["console"], "level": "ERROR"},
    },
}
