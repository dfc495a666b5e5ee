"""`/health` is probed every few seconds: each probe reuses what the last one opened."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections
from django.test import Client

from kernel import health

pytestmark = pytest.mark.django_db

UPSTREAM_SETTINGS = (
    "HMPPS_AUTH_URL",
    "NOMIS_MIGRATION_API_URL",
    "NOMIS_PRISONER_API_URL",
    "MAPPING_API_URL",
    "ACTIVITIES_API_URL",
)


class _Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PingHandler)
        self.connections: list[tuple[str, int]] = []
        self.pings = 0


class _PingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services answer
    server: _Upstream

    def setup(self) -> None:
        super().setup()
        self.server.connections.append(self.client_address)

    def do_GET(self) -> None:
        self.server.pings += 1
        body = b'{"status":"UP"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream(settings) -> Iterator[_Upstream]:
    server = _Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.REDIS_URL = ""
    settings.TOKEN_VERIFICATION_ENABLED = False
    # A base URL (and so a connection pool) of its own for each upstream, as in production.
    for name in UPSTREAM_SETTINGS:
        setattr(settings, name, f"{base}/{name.lower()}")
    yield server
    server.shutdown()
    server.server_close()


def test_upstream_pings_reuse_kept_alive_connections(upstream) -> None:
    for _ in range(5):
        assert Client().get("/health").json()["status"] == "UP"
    assert upstream.pings == 5 * len(UPSTREAM_SETTINGS)
    # One connection per upstream, not one per ping.
    assert len(upstream.connections) == len(UPSTREAM_SETTINGS)


def test_database_connection_is_kept_between_probes_for_conn_max_age(
    postgres_url, upstream, monkeypatch
) -> None:
    # PostgreSQL, as deployed: SQLite's in-memory test database is one shared connection that is
    # never reconnected, so there would be nothing to count (skipped without it, failed in CI).
    wrapper = type(connections["default"])
    connects = []
    original = wrapper.connect

    def counting_connect(self):
        connects.append(threading.current_thread().name)
        return original(self)

    monkeypatch.setattr(wrapper, "connect", counting_connect)
    # Every thread's connection object reads this one settings dictionary.
    db_settings = connections.settings["default"]

    # With CONN_MAX_AGE 0 (Django's default) a probe leaves nothing open: one connection each.
    monkeypatch.setitem(db_settings, "CONN_MAX_AGE", 0)
    for _ in range(3):
        assert Client().get("/health").json()["components"]["db"]["status"] == "UP"
    assert len(connects) == 3

    # Kept for CONN_MAX_AGE: five probes, one connection, on the probes' own thread.
    db_settings["CONN_MAX_AGE"] = 60
    connects.clear()
    try:
        for _ in range(5):
            assert Client().get("/health").json()["components"]["db"]["status"] == "UP"
        assert connects == ["health-db_0"]
    finally:
        # Close it before the test database is dropped.
        health._DATABASE_THREAD.submit(connections.close_all).result()
