"""The walk's page check: it judges the page a click leads to, not the one the click was on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.walk import SERVICE, Walk

# Two pages that pass every check the walk makes (one h1, no axe violations, no CSP errors).
_PAGE = """<!DOCTYPE html><html lang="en"><head><title>{title} - {service}</title></head>
<body><main><h1>{title}</h1><p><a href="/slow">Next page</a></p></main></body></html>"""


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        title = "Second page" if self.path == "/slow" else "First page"
        body = _PAGE.format(title=title, service=SERVICE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        if self.path == "/slow":
            # A click returns once the next page's response has begun. On a busy machine its
            # title was not there yet when read straight after: here the body comes a second
            # after the headers.
            time.sleep(1.0)
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_check_after_a_click_waits_for_the_page_the_click_leads_to(page: Any, pages: str) -> None:
    walk = Walk(page)
    page.goto(f"{pages}/")
    walk.check("First page")
    page.click("a")
    walk.check("Second page")
    assert page.locator("h1").inner_text() == "Second page"
    assert walk.titles == ["First page", "Second page"]
