"""Environment for the test run, applied before Django reads its settings (`-p tests.testenv`).

Tests run with development defaults (upstreams on the sandbox address, insecure key) unless the
caller sets real values. DATABASE_URL and REDIS_URL are only used when set, as in CI.
"""

import os
import socket

import pytest

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("NO_HTTPS", "true")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Browser and integration tests reach the dashboard's live server through this name.
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Tests see the upstream's history as it is at each request; the caching itself has its own tests.
os.environ.setdefault("MIGRATION_HISTORY_FRESH_SECONDS", "0")
os.environ.setdefault("MIGRATION_HISTORY_MAX_STALE_SECONDS", "0")
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

# The fixtures that listen on each port, and the variable that moves it.
_LISTENERS = (
    ("live_server", TEST_DASHBOARD_PORT, "TEST_DASHBOARD_PORT"),
    ("sandbox", TEST_SANDBOX_PORT, "TEST_SANDBOX_PORT"),
)


def port_in_use(port: int) -> bool:
    """Whether something listens on `port` of 127.0.0.1 (or of every address).

    SO_REUSEADDR, as the servers use it: a connection of an earlier run lingering in TIME_WAIT does
    not count, a listening socket does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs: each port the chosen tests will listen on must be free."""
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    for fixture, port, variable in _LISTENERS:
        if fixture in needed and port_in_use(port):
            pytest.exit(
                f"Port {port} is already in use by another program or test run: "
                f"set {variable} to a free port.",
                returncode=pytest.ExitCode.USAGE_ERROR,
            )
