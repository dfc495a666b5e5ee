"""The benchmark's load generator: concurrency means that many requests in flight to the end."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import Page, Setting, Target, drive


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept-alive connections, as gunicorn's
    disable_nagle_algorithm = True  # no delayed-ACK stalls between the headers and the body
    served: Counter[int] = Counter()
    first: list[int] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        port = self.client_address[1]
        with self.lock:
            if not self.first:
                self.first.append(port)
            self.served[port] += 1
            slow = port == self.first[0]
        if slow:
            time.sleep(0.1)  # one connection lands on a busy worker
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    _Handler.served = Counter()
    _Handler.first = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_connections_share_the_requests_so_a_slow_one_does_not_hold_the_others_back(
    server: ThreadingHTTPServer,
) -> None:
    port = server.server_address[1]
    result = drive(Target(port, "", port), Page("page", "/", 0), Setting(0, 4, 40))
    assert result["statuses"] == {200: 40}
    assert sum(_Handler.served.values()) == 40
    slow = _Handler.served[_Handler.first[0]]
    # A fixed share would have been 10 requests each; the slow connection (100 ms a request)
    # takes its next one from what is left, and the fast ones have taken nearly all of it.
    assert slow <= 3, dict(_Handler.served)
