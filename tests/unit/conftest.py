"""Unit tests never reach a real HTTP service: requests-mock stands at the boundary."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests.adapters


def refuse_real_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any HTTP request that requests-mock did not intercept."""

    def refuse(self, request, *args, **kwargs):
        raise AssertionError(f"Unit test made a real HTTP call: {request.method} {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)


def idle_running_tags(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The home page asks whether each type is running (M5); most tests are not about that.

    Tests marked `running_tags` get the real check, with the upstream mocked at HTTP.
    """
    if request.node.get_closest_marker("running_tags"):
        return
    monkeypatch.setattr(
        "migrations_ui.selectors.running._in_progress", lambda username, upstream_type: False
    )


# The type modules (tests/types/conftest.py) apply both to their unit tests as well.


@pytest.fixture(autouse=True)
def no_real_http(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_real_http(monkeypatch)


@pytest.fixture(autouse=True)
def idle_migration_types(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    idle_running_tags(request, monkeypatch)


@pytest.fixture
def assert_audit_reads():
    """`with assert_audit_reads(n):` n statements read the audit table (and no more).

    An optional read of the audit log runs with a statement timeout on PostgreSQL, set in a
    transaction of its own (selectors.audit.optional_read): those statements are not reads.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextlib.contextmanager
    def expect(count: int) -> Iterator[None]:
        with CaptureQueriesContext(connection) as captured:
            yield
        reads = [
            query["sql"]
            for query in captured.captured_queries
            if query["sql"].lstrip().upper().startswith("SELECT")
            and "migrations_ui_auditevent" in query["sql"]
        ]
        assert len(reads) == count, reads

    return expect


@pytest.fixture
def pages_written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The templates written through `kernel.jinja2.render_fragment` while the test runs: a page
    `kept_page` serves as kept is not written again, so it is not among them."""
    import kernel.jinja2

    written: list[str] = []
    render_fragment = kernel.jinja2.render_fragment

    def counted(name: str, context: dict[str, Any]) -> str:
        written.append(name)
        return render_fragment(name, context)

    monkeypatch.setattr(kernel.jinja2, "render_fragment", counted)
    return written
