"""WSGI entry point (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

import telemetry

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomis_sync.settings")

# Before the middleware chain is built: the Django instrumentation adds its middleware to it.
telemetry.instrument()

application = get_wsgi_application()

# After Django is set up and before gunicorn forks its workers (preload_app): see warmup.py.
from kernel.warmup import warm_up  # noqa: E402 - needs Django set up first

warm_up()

# Telemetry's exporters run on threads, which must start after any fork: gunicorn (which names
# itself in SERVER_SOFTWARE before loading the application) starts them in each worker
# (gunicorn.conf.py, post_fork); a server that does not fork, such as runserver, starts them here.
if not os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
    telemetry.start()
