"""gunicorn settings for deployed environments (threads suit a dashboard that mostly waits)."""

import gc
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Most of a request is spent waiting for upstream services, and kept-alive connections are not
# shared evenly between workers: with 8 threads each, 16 browsers at 100 ms upstream latency saw
# one request in ten wait for a free thread (p95 190 ms); with 16, p95 was 115-124 ms.
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# A last resort well beyond REQUEST_DEADLINE_SECONDS (25 s), within which every page answers:
# a worker is killed only if something other than an upstream call hangs it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "75"))
keepalive = 5
# Our own middleware writes the access log as JSON; gunicorn's would duplicate it.
accesslog = None
# Forwarded headers (scheme, X-Forwarded-*) are honoured only from the proxies the dashboard
# trusts (TRUSTED_PROXIES, as in settings); none unless configured.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")
preload_app = True


def post_fork(server, worker):
    # Objects loaded before the fork (Django, templates) are never freed; moving them out of the
    # collector's view keeps garbage-collection pauses, the main cause of p99 spikes, short.
    gc.freeze()
    # Telemetry's exporter threads start here, in each worker: a thread started in the master
    # before the fork would not run in the worker (nomis_sync.telemetry, nomis_sync.wsgi).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomis_sync.settings")
    from nomis_sync import telemetry

    telemetry.start()
