"""Optional parts of a page: every page says what it can do without, and waits for it only 1 s."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from migrations_ui import types
from tests.conftest import run_manage
from tests.unit.conftest_visits import migration_url, sign_in
from tests.unit.test_settings import PRODUCTION
from upstream.deadline import STATUS_UNAVAILABLE, UpstreamCalls

pytest_plugins = ["tests.unit.conftest_visits"]

OURS = ("accounts.", "migrations_ui.", "nomis_sync.")


def _page_views(patterns: list[Any]) -> dict[str, type]:
    """Every class-based view of ours the URL configuration serves, by name."""
    found: dict[str, type] = {}
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found.update(_page_views(pattern.url_patterns))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None and view.__module__.startswith(OURS):
                found[f"{view.__module__}.{view.__qualname__}"] = view
    return found


def test_every_page_says_which_upstream_calls_it_needs_and_which_it_can_do_without() -> None:
    views = _page_views(get_resolver().url_patterns)
    assert len(views) > 20
    undeclared = [name for name, view in views.items() if not hasattr(view, "upstream_calls")]
    assert undeclared == []
    for view in views.values():
        calls = view.upstream_calls  # type: ignore[attr-defined]
        assert isinstance(calls, UpstreamCalls)
        assert not set(calls.required) & set(calls.optional)


def test_the_optional_parts_are_the_ones_the_issue_names() -> None:
    from accounts.views import HomeView
    from migrations_ui.views import DetailsView, HistoryView, PreviewView

    assert HomeView.upstream_calls.optional and not HomeView.upstream_calls.required
    assert any("who started" in call for call in HistoryView.upstream_calls.optional)
    assert any("dead letter" in call for call in PreviewView.upstream_calls.optional)
    assert any("audit log" in call for call in DetailsView.upstream_calls.optional)


@pytest.mark.running_tags
def test_running_tags_that_do_not_answer_within_the_budget_show_status_unavailable(
    client, tokens, requests_mock, syscon_user, settings
) -> None:
    """The budget holds whatever the transport does (requests-mock ignores read timeouts)."""
    settings.OPTIONAL_CALL_BUDGET_SECONDS = 0.3
    answer = threading.Event()

    def held_back(request: Any, context: Any) -> dict[str, Any]:
        answer.wait(timeout=5)
        return {"status": "STARTED"}

    for t in types.REGISTERED:
        requests_mock.get(
            migration_url(f"/migrate/history/active/{t.upstream_type}"), json=held_back
        )
    signed_in = sign_in(client, syscon_user)
    started = time.monotonic()
    try:
        home = signed_in.get("/").content.decode()
    finally:
        answer.set()
    assert time.monotonic() - started < 1.2
    assert home.count(f'data-qa="tile-status">{STATUS_UNAVAILABLE}<') == len(types.REGISTERED)
    assert 'data-qa="status-unknown"' in home
    # The answers arrive after all, for the next page (which waits for those still on the way).
    settings.OPTIONAL_CALL_BUDGET_SECONDS = 1.0
    again = signed_in.get("/").content.decode()
    assert again.count('data-qa="tile-status">Running<') == len(types.REGISTERED)


@pytest.mark.parametrize("value", ["0", "1.5", "-1"])
def test_the_optional_budget_is_more_than_0_and_at_most_1_second(value: str) -> None:
    result = run_manage("check", env={**PRODUCTION, "OPTIONAL_CALL_BUDGET_SECONDS": value})
    assert result.returncode != 0
    assert "OPTIONAL_CALL_BUDGET_SECONDS must be more than 0 and at most 1." in result.stderr
