"""gunicorn settings for deployed environments (threads suit a dashboard that mostly waits)."""

import ctypes
import errno
import gc
import os
import socket
from typing import Any

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
# Each worker listens on its own socket (SO_REUSEPORT) and the kernel shares new connections
# between them. With one shared socket, whichever worker's accepting thread woke first took the
# connection, and kept-alive connections stay where they land: in three benchmark runs at
# concurrency 16 one worker used 83 % of a CPU and the other 6 %, and home's throughput was
# 1.10-1.59 x concurrency 1 rather than the two CPUs' worth (on_starting keeps a second server
# from silently joining the port).
reuse_port = True
# Our own middleware writes the access log as JSON; gunicorn's would duplicate it.
accesslog = None
# Forwarded headers (scheme, X-Forwarded-*) are honoured only from the proxies the dashboard
# trusts (TRUSTED_PROXIES, as in settings); none unless configured.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")
preload_app = True
# gunicorn 25+ opens a control socket under $HOME/.gunicorn for its `gunicornc` tool by default.
# Nothing here uses it, and in the image the root filesystem is read-only.
control_socket_disable = True

# glibc's malloc gives each thread that allocates while another does an arena of its own, up to 8
# per core, and memory freed in one arena serves no other. With 16 request threads and the upstream
# pool's 32, one worker's peak RSS (VmHWM) after every kind of benchmark page, at 1 and 16 requests
# at once and the 5,000-migration history last, was 114.8 MB; with two arenas, 107.5 and 108.3 MB
# (two runs); with one, 104.1 (within the runs' spread, so two, which keeps a second for threads
# that allocate at once). Set here, in the master before it starts a thread or forks a worker, so
# every worker has it wherever gunicorn runs with this file (the image, the benchmark), without an
# environment variable (MALLOC_ARENA_MAX) to keep in step. Where the C library has no mallopt
# (musl, macOS), nothing changes. It is not free: the room table's worker CPU a request
# (bench.profile, 600 requests, alternating) was 14.2 and 14.8 ms against 13.4 and 13.8 ms with
# glibc's default; home's did not move beyond its noise (4.0-4.3 against 4.1-4.5 ms).
# Not also fixing M_MMAP_THRESHOLD at 128 KB: it saved another 2.3 MB, but it stops glibc raising
# the trim threshold too, so the heap was given back and faulted in again around every large
# block: building and encoding a 300 KB page took 480-590 us instead of 30-45 us.
M_ARENA_MAX = -8  # malloc.h
try:
    _mallopt = ctypes.CDLL(None).mallopt
except AttributeError:
    pass
else:
    _mallopt(M_ARENA_MAX, 2)


def on_starting(server: Any) -> None:
    """Refuse to start on a port another server is listening on.

    With reuse_port, a second dashboard started on the same port (a forgotten `make run`) would
    bind beside the first and the kernel would share requests between the two.
    """
    for address in server.cfg.address:
        if not isinstance(address, tuple):
            continue  # a Unix socket: nothing shares it
        host, port = address[0], address[1]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # Without SO_REUSEPORT this bind fails while anything listens on the port (a
            # connection lingering in TIME_WAIT does not count, thanks to SO_REUSEADDR).
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                message = f"Port {port} is already in use: is the dashboard running?"
                raise SystemExit(message) from None


def post_fork(server: Any, worker: Any) -> None:
    # Objects loaded before the fork (Django, templates) are never freed; moving them out of the
    # collector's view keeps garbage-collection pauses, the main cause of p99 spikes, short.
    gc.freeze()
    # Telemetry's exporter threads start here, in each worker: a thread started in the master
    # before the fork would not run in the worker (telemetry, nomis_sync.wsgi).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomis_sync.settings")
    import telemetry

    telemetry.start()
