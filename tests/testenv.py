"""Environment for the test run, applied before Django reads its settings (`-p tests.testenv`).

Tests run with development defaults (upstreams on the sandbox address, insecure key) unless the
caller sets real values. DATABASE_URL and REDIS_URL are only used when set, as in CI.
"""

import os
import socket
import time

import pytest

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("NO_HTTPS", "true")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Browser and integration tests reach the dashboard's live server through this name.
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Tests see the upstream's history as it is at each request; the caching itself has its own tests.
os.environ.setdefault("MIGRATION_HISTORY_FRESH_SECONDS", "0")
os.environ.setdefault("MIGRATION_HISTORY_MAX_STALE_SECONDS", "0")
# Likewise the overview's figures, shared through the cache: its own tests set the lifetime.
os.environ.setdefault("OVERVIEW_FIGURES_SECONDS", "0")
# Django's own default: connections close when their request (or health probe) ends, so none is
# left open on a thread when the test database is dropped.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")

# Integration and browser tests run the dashboard's live server and the sandbox on fixed ports
# (away from `make run`'s 8000 and 9091), so every upstream URL and the redirect URIs registered
# with the sandbox's HMPPS Auth are known before Django reads its settings.
# Override both to run a second test session beside another on the same machine.
TEST_DASHBOARD_PORT = int(os.environ.get("TEST_DASHBOARD_PORT", "8391"))
TEST_SANDBOX_PORT = int(os.environ.get("TEST_SANDBOX_PORT", "9391"))
os.environ.setdefault("SANDBOX_URL", f"http://127.0.0.1:{TEST_SANDBOX_PORT}")
os.environ.setdefault("INGRESS_URL", f"http://localhost:{TEST_DASHBOARD_PORT}")
# pytest-django's live server listens here.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", f"localhost:{TEST_DASHBOARD_PORT}")


# -- A busy port stops the run at once
# Another program (or another test run) on one of these ports made every integration and browser
# test fail with a connection error, and the only clue was a "cannot listen" line far up the
# output. The run now stops before the first test, with one line naming the port and the variable.

# The fixtures that listen on each port, the variable that moves it, and whether the server binds
# with SO_REUSEADDR (the sandbox does; Django's live server does not, so connections of the last
# run still closing on its port, in TIME_WAIT for up to a minute, keep it from listening).
_LISTENERS = (
    ("live_server", TEST_DASHBOARD_PORT, "TEST_DASHBOARD_PORT", False),
    ("sandbox", TEST_SANDBOX_PORT, "TEST_SANDBOX_PORT", True),
)
# How long to wait for an earlier run's connections to close (the kernel's TIME_WAIT is 60 s).
LINGER_SECONDS = 75.0


def port_listened_on(port: int) -> bool:
    """Whether something accepts connections on `port` of 127.0.0.1."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def port_bindable(port: int, *, reuse_address: bool) -> bool:
    """Whether a server could listen on `port` now, binding as it does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if reuse_address:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _stop(message: str) -> None:
    pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs: each port the chosen tests will listen on must be free."""
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    for fixture, port, variable, reuse_address in _LISTENERS:
        if fixture not in needed:
            continue
        if port_listened_on(port):
            _stop(
                f"Port {port} is already in use by another program or test run: "
                f"set {variable} to a free port."
            )
        give_up = time.monotonic() + LINGER_SECONDS
        while not port_bindable(port, reuse_address=reuse_address):
            if time.monotonic() > give_up:
                _stop(
                    f"Port {port} is still held by an earlier run's connections: "
                    f"set {variable} to a free port."
                )
            time.sleep(0.5)
