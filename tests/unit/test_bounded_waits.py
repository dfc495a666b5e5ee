"""Bounded waits: no page outlives REQUEST_DEADLINE_SECONDS, and repeated submits wait only
for a first submit of this session's that is really in flight."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

import upstream
from migrations_ui import wizard
from upstream import deadline

BASE = "http://upstream.test/api"


class ExampleClient(upstream.ApiClient):
    service = "example service"
    retry_backoff_seconds = 0.2


@pytest.fixture
def client() -> ExampleClient:
    return ExampleClient(BASE, timeout=(2, 60))


# -- Upstream calls inside the deadline


def test_outside_a_request_the_clients_own_timeouts_apply(client, requests_mock) -> None:
    requests_mock.get(f"{BASE}/x", json={})
    client.call("GET", "/x")
    assert requests_mock.last_request.timeout == (2, 60)


def test_each_call_waits_no_longer_than_the_time_left(client, requests_mock) -> None:
    requests_mock.get(f"{BASE}/x", json={})
    with deadline.bounded(5):
        client.call("GET", "/x")
    connect, read = requests_mock.last_request.timeout
    assert connect == 2
    assert 4.5 < read <= 5


def test_retries_stop_when_the_time_is_up_with_the_failure_seen(client, requests_mock) -> None:
    requests_mock.get(f"{BASE}/x", status_code=503)
    with deadline.bounded(0.2), pytest.raises(upstream.ServerError):
        client.call("GET", "/x")
    assert requests_mock.call_count == 1
    # With time to spare, the same failure is retried as usual.
    with deadline.bounded(10), pytest.raises(upstream.ServerError):
        client.call("GET", "/x")
    assert requests_mock.call_count == 1 + 3


def test_no_call_starts_once_the_time_is_up(client, requests_mock) -> None:
    requests_mock.get(f"{BASE}/x", json={})
    with deadline.bounded(0), pytest.raises(upstream.Timeout) as raised:
        client.call("GET", "/x")
    assert not requests_mock.called
    assert raised.value.service == "example service"


def test_work_on_the_shared_pool_keeps_the_requests_deadline() -> None:
    with deadline.bounded(7):
        left = upstream.executor().submit(deadline.remaining).result()
    assert left is not None and 6 < left <= 7
    assert upstream.executor().submit(deadline.remaining).result() is None


def slow_upstream_page(request: HttpRequest) -> HttpResponse:
    ExampleClient(BASE, timeout=(2, 60)).call("GET", "/slow")
    return HttpResponse("never")


urlpatterns = [path("slow", slow_upstream_page)]


@pytest.mark.urls(__name__)
def test_running_out_of_time_gives_the_govuk_timeout_page(requests_mock, settings) -> None:
    settings.REQUEST_DEADLINE_SECONDS = 0.5
    seen: list[tuple[float, float]] = []

    def hang(request, context):
        seen.append(request.timeout)
        raise requests.ReadTimeout

    requests_mock.get(f"{BASE}/slow", json=hang)
    response = Client(raise_request_exception=False).get("/slow")
    assert response.status_code == 504
    assert "The example service did not respond in time" in response.content.decode()
    # Never asked to wait beyond the page's own deadline, however many attempts fitted in it.
    assert seen and all(read <= 0.5 for _connect, read in seen)


# -- Repeated submits of a preview


@pytest.fixture
def session() -> SessionStore:
    store = SessionStore()
    store.create()
    return store


def issued(session: SessionStore) -> str:
    return wizard.issue_token(session, "visits", estimate=1, filter={})


@pytest.mark.parametrize("whose", ["made up", "another session's"])
def test_a_token_not_issued_to_this_session_answers_at_once(session, whose) -> None:
    token = "made-up-token"
    if whose == "another session's":
        other = SessionStore()
        other.create()
        token = issued(other)
        assert wizard.consume_token("visits", token) is not None  # its first submit is running
    started = time.monotonic()
    assert wizard.wait_for_result(session, token) is None
    assert time.monotonic() - started < 0.1


def test_a_used_token_whose_first_submit_is_not_in_flight_answers_at_once(session) -> None:
    token = issued(session)
    assert wizard.consume_token("visits", token) is not None
    cache.delete(f"migrations_ui.preview-in-flight:{token}")  # e.g. that worker died long ago
    started = time.monotonic()
    assert wizard.wait_for_result(session, token) is None
    assert time.monotonic() - started < 0.1


def test_a_repeat_waits_for_this_sessions_first_submit_in_flight(session) -> None:
    token = issued(session)
    assert wizard.consume_token("visits", token) is not None
    timer = threading.Timer(0.5, wizard.record_result, (token, "2024-01-01T10:00:00"))
    timer.start()
    started = time.monotonic()
    assert wizard.wait_for_result(session, token) == {
        "migration_id": "2024-01-01T10:00:00",
        "unknown": False,
    }
    assert 0.3 < time.monotonic() - started < 5
    timer.join()
    # Once recorded, a later repeat answers at once with the same result.
    assert wizard.wait_for_result(session, token) == {
        "migration_id": "2024-01-01T10:00:00",
        "unknown": False,
    }


def test_a_repeat_never_waits_beyond_the_requests_deadline(session) -> None:
    token = issued(session)
    assert wizard.consume_token("visits", token) is not None
    started = time.monotonic()
    with deadline.bounded(1.5):
        assert wizard.wait_for_result(session, token) is None
    assert time.monotonic() - started < 1.0
