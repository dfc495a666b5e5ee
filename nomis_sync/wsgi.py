"""WSGI entry point (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomis_sync.settings")

application = get_wsgi_application()

# After Django is set up and before gunicorn forks its workers (preload_app): see warmup.py.
from nomis_sync.warmup import warm_up  # noqa: E402 - needs Django set up first

warm_up()
