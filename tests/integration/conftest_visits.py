"""Helpers for the visits integration tests: a signed-in HTTP client against the live dashboard.

A `requests.Session` plays the browser. It signs in through the sandbox's HMPPS Auth form as
VISITS_USER and then reads pages, follows forms and keeps the CSRF token, as a person would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

PASSWORD = "password123456"
# The sandbox's lifecycle timings the tests rely on, restored after each test that changes them.
SLOW_VISITS = {"visit_delay_ms": 20.0, "workers": 4}


class Browser:
    """Signed-in page reads and form posts against the dashboard."""

    def __init__(self, http: requests.Session, base_url: str) -> None:
        self.http = http
        self.base_url = base_url

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(urljoin(self.base_url, path), timeout=30, **kwargs)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        page: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """POST with the CSRF token of `page` (or of the page at `path`)."""
        html = page if page is not None else self.get(path).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token, html[:300]
        return self.http.post(
            urljoin(self.base_url, path),
            data={"csrfmiddlewaretoken": token.group(1), **(data or {})},
            headers={"Referer": self.base_url + "/"},
            timeout=30,
            **kwargs,
        )

    def start_preview(self, prefix: str = "/visits-migration", **fields: Any) -> requests.Response:
        """Fill in a type's start form (visits unless `prefix` says) and land on the preview."""
        form = self.get(f"{prefix}/start")
        return self.post(f"{prefix}/start", fields, page=form.text)

    def start(
        self, preview: requests.Response, prefix: str = "/visits-migration"
    ) -> requests.Response:
        token = preview_token(preview.text)
        assert token, "the preview offers no start"
        return self.post(f"{prefix}/start/preview", {"preview_token": token}, page=preview.text)


def run_to_completion(browser: Browser, sandbox: Any, prefix: str, name: str, form: dict) -> str:
    """Start a migration through the type's pages and wait for COMPLETED; its migration id."""
    preview = browser.start_preview(prefix, **form)
    assert preview.url.endswith(f"{prefix}/start/preview"), preview.text[:800]
    confirmation = browser.start(preview, prefix)
    assert f"{name} migration has successfully started" in confirmation.text, confirmation.text[
        :800
    ]
    migration_id = qa(confirmation.text, "migration-id")
    sandbox.wait_for_status(migration_id, "COMPLETED", timeout=60)
    return migration_id


def preview_token(html: str) -> str:
    found = re.search(r'name="preview_token" value="([^"]*)"', html)
    return found.group(1) if found else ""


def qa(html: str, name: str) -> str:
    """The text of the first element with `data-qa=name` (tags stripped, spaces collapsed)."""
    found = re.search(
        rf'data-qa="{re.escape(name)}"[^>]*>(.*?)</(?:dd|span|strong|p|td|div|caption)>', html, re.S
    )
    assert found, f"no data-qa={name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def sign_in(http: requests.Session, base_url: str, username: str = "VISITS_USER") -> None:
    page = http.get(f"{base_url}/", timeout=10)
    assert "<h1>Sign in</h1>" in page.text, page.text[:300]
    action = re.search(r'<form[^>]*action="([^"]*)"', page.text)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    fields.update(username=username, password=PASSWORD)
    home = http.post(urljoin(page.url, action.group(1) if action else ""), data=fields, timeout=10)
    assert home.url == f"{base_url}/", home.url


@pytest.fixture
def browser_http(dashboard: Any) -> Iterator[Browser]:
    with requests.Session() as http:
        sign_in(http, dashboard.url)
        yield Browser(http, dashboard.url)


@pytest.fixture
def browser_as(dashboard: Any) -> Iterator[Any]:
    """Sign in as any sandbox user: `browser_as("SENTENCING_USER")`."""
    sessions: list[requests.Session] = []

    def signed_in(username: str) -> Browser:
        http = requests.Session()
        sessions.append(http)
        sign_in(http, dashboard.url, username)
        return Browser(http, dashboard.url)

    yield signed_in
    for http in sessions:
        http.close()


@pytest.fixture
def slow_visits(sandbox: Any) -> Iterator[None]:
    """Visits migrate slowly enough to be caught STARTED (and cancelled)."""
    before = sandbox.update_settings()
    sandbox.update_settings(**SLOW_VISITS)
    yield
    sandbox.update_settings(**{key: before[key] for key in SLOW_VISITS})


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
