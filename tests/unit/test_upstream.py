"""The upstream client base: timeouts, retries, typed errors, and the failure pages."""

from __future__ import annotations

from http.client import RemoteDisconnected

import pytest
import requests
import requests_mock as rm
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path
from urllib3 import exceptions as urllib3_exceptions

import upstream

BASE = "http://upstream.test/api"


class ExampleClient(upstream.ApiClient):
    service = "example service"
    retry_backoff_seconds = 0


@pytest.fixture
def client() -> ExampleClient:
    return ExampleClient(BASE, timeout=(1, 2))


def test_success_returns_the_response_and_sends_the_timeout(client, requests_mock) -> None:
    requests_mock.get(f"{BASE}/things", json=[1, 2])
    response = client.call("GET", "/things", params={"a": ["x", "y"], "b": None})
    assert client.json_of(response) == [1, 2]
    assert requests_mock.last_request.timeout == (1, 2)
    # Lists become repeated keys; absent values are left out.
    assert requests_mock.last_request.qs == {"a": ["x", "y"]}


QUERIES = [
    {"a": ["x", "y"], "b": None},
    {"prisonIds": "MDI", "visitTypes": "SCON", "futureVisitsOnly": "true"},
    {"prisonIds": ["HEI", None, "MDI"], "page": 0, "size": 1, "flag": True, "empty": []},
    {"text": "a b&c=d/é?#+", "when": "2020-03-23T12:30:00", "ids": ("1", "2")},
    {"only": None},
    {},
    None,
]


@pytest.mark.parametrize("params", QUERIES)
def test_a_calls_query_is_the_one_requests_would_write(client, requests_mock, params) -> None:
    # upstream._query_string encodes the query itself (requests' own checks are slow): what goes
    # is what requests writes from the mapping, absent values and list items left out, and no
    # "?" without one.
    requests_mock.get(f"{BASE}/things", json={})
    client.call("GET", "/things", params=params)
    expected = requests.Request("GET", f"{BASE}/things", params=params).prepare().url
    assert requests_mock.last_request.url == expected


def test_each_call_sends_the_clients_headers_under_its_own(client, requests_mock) -> None:
    """The request is prepared without `Session.request`'s merging (upstream.ApiClient._send):
    the client's Accept still goes, a call's own header wins, whatever its case, and a body is
    JSON."""
    requests_mock.post(f"{BASE}/first", json={})
    requests_mock.post(f"{BASE}/second", json={})
    client.call("POST", "/first", json_body={"a": 1}, headers={"Authorization": "Bearer t"})
    client.call("POST", "/second", headers={"accept": "text/csv"})
    first, second = requests_mock.request_history
    assert first.headers["Accept"] == "application/json"
    assert first.headers["Authorization"] == "Bearer t"
    assert first.json() == {"a": 1}
    assert second.headers["Accept"] == "text/csv"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, upstream.BadRequest),
        (401, upstream.Unauthorised),
        (403, upstream.Forbidden),
        (404, upstream.NotFound),
        (409, upstream.Conflict),
        (418, upstream.ServerError),
    ],
)
def test_statuses_map_to_typed_errors(client, requests_mock, status, error) -> None:
    requests_mock.post(f"{BASE}/x", status_code=status, json={"userMessage": "Nope: because"})
    with pytest.raises(error) as raised:
        client.call("POST", "/x")
    assert raised.value.status == status
    assert raised.value.user_message == "Nope: because"
    assert raised.value.service == "example service"


def test_gets_are_retried_on_transient_failures_then_succeed(client, requests_mock) -> None:
    requests_mock.get(
        f"{BASE}/flaky",
        [{"status_code": 503}, {"exc": requests.ConnectionError}, {"json": {"ok": True}}],
    )
    assert client.call("GET", "/flaky").json() == {"ok": True}
    assert requests_mock.call_count == 3


def test_gets_give_up_after_three_attempts(client, requests_mock) -> None:
    requests_mock.get(f"{BASE}/down", exc=requests.ConnectTimeout)
    with pytest.raises(upstream.Timeout):
        client.call("GET", "/down")
    assert requests_mock.call_count == 3


@pytest.mark.parametrize("failure", [{"status_code": 503}, {"exc": requests.ConnectionError}])
def test_posts_are_never_retried(client, requests_mock, failure) -> None:
    requests_mock.post(f"{BASE}/start", **failure)
    with pytest.raises(upstream.ApiError):
        client.call("POST", "/start")
    assert requests_mock.call_count == 1


def test_malformed_json_is_its_own_error(client, requests_mock) -> None:
    requests_mock.get(f"{BASE}/bad", text="<html>oops")
    with pytest.raises(upstream.MalformedResponse):
        client.json_of(client.call("GET", "/bad"))


def test_path_segments_are_percent_encoded() -> None:
    assert upstream.path_segment("2024-01-01T10:00:00") == "2024-01-01T10%3A00%3A00"
    assert upstream.path_segment("VISIT ROOM/1") == "VISIT%20ROOM%2F1"


# -- The failure pages, through a view that calls the example client


def calling_view(request: HttpRequest) -> HttpResponse:
    ExampleClient(BASE, timeout=(1, 2)).call("GET", "/thing")
    return HttpResponse("ok")


def changing_view(request: HttpRequest) -> HttpResponse:
    ExampleClient(BASE, timeout=(1, 2)).call("POST", "/change")
    return HttpResponse("ok")


urlpatterns = [
    path("calls-upstream", calling_view),
    path("changes-upstream", changing_view),
    path("audit/", include("migrations_ui.audit.urls")),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("failure", "status", "title"),
    [
        ({"exc": requests.ReadTimeout}, 504, "The example service did not respond in time"),
        ({"exc": requests.ConnectionError}, 502, "The example service could not be reached"),
        ({"status_code": 500}, 502, "The example service had a problem"),
        ({"status_code": 404}, 404, "The example service could not find what was asked for"),
        ({"status_code": 401}, 502, "refused the dashboard&#39;s request"),
        ({"status_code": 403}, 502, "refused the dashboard&#39;s request"),
        ({"text": "not json", "status_code": 200}, 200, None),
    ],
)
def test_upstream_failures_become_govuk_pages_naming_the_service(
    requests_mock: rm.Mocker, failure, status, title
) -> None:
    requests_mock.get(f"{BASE}/thing", **failure)
    response = Client(raise_request_exception=False).get("/calls-upstream")
    assert response.status_code == status
    if title:
        html = response.content.decode()
        assert title in html
        assert "Traceback" not in html


# -- Sent or not: when a lost answer leaves the outcome of a change unknown


def refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: the connection was never made."""
    # No connection or pool object: requests only reads the message and the reason's type.
    reason = urllib3_exceptions.NewConnectionError(None, "[Errno 111] Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3_exceptions.MaxRetryError(None, BASE, reason))  # type: ignore[arg-type]


def dropped() -> requests.ConnectionError:
    """What requests raises when the server closes the connection after reading the request."""
    return requests.ConnectionError(
        urllib3_exceptions.ProtocolError(
            "Connection aborted.", RemoteDisconnected("Remote end closed connection")
        )
    )


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (requests.ReadTimeout, upstream.AnswerTimedOut),
        (dropped(), upstream.AnswerLost),
        (requests.ConnectionError, upstream.AnswerLost),  # no detail: it may have been sent
        (requests.exceptions.ChunkedEncodingError, upstream.AnswerLost),
    ],
    ids=["read-timeout", "dropped", "connection-error", "broken-body"],
)
def test_a_change_whose_answer_is_lost_has_an_unknown_outcome_and_is_not_retried(
    client, requests_mock, method, failure, error
) -> None:
    requests_mock.register_uri(method, f"{BASE}/change", exc=failure)
    with pytest.raises(error) as raised:
        client.call(method, "/change")
    assert isinstance(raised.value, upstream.OutcomeUnknown)
    assert requests_mock.call_count == 1


@pytest.mark.parametrize(
    ("failure", "error"),
    [(requests.ConnectTimeout, upstream.Timeout), (refused(), upstream.Unavailable)],
    ids=["connect-timeout", "refused"],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_change_never_sent_is_a_plain_failure(
    client, requests_mock, method, failure, error
) -> None:
    requests_mock.register_uri(method, f"{BASE}/change", exc=failure)
    with pytest.raises(error) as raised:
        client.call(method, "/change")
    assert not isinstance(raised.value, upstream.OutcomeUnknown)
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("failure", [{"status_code": 503}, {"exc": dropped()}], ids=["503", "drop"])
def test_deletes_are_never_retried(client, requests_mock, failure) -> None:
    requests_mock.delete(f"{BASE}/queue", **failure)
    with pytest.raises(upstream.ApiError):
        client.call("DELETE", "/queue")
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("failure", [requests.ReadTimeout, dropped()], ids=["timeout", "drop"])
def test_a_read_whose_answer_is_lost_is_a_plain_failure(client, requests_mock, failure) -> None:
    requests_mock.get(f"{BASE}/thing", exc=failure)
    with pytest.raises(upstream.Unavailable) as raised:
        client.call("GET", "/thing")
    assert not isinstance(raised.value, upstream.OutcomeUnknown)


def test_an_unreadable_success_to_a_change_leaves_the_outcome_unknown(
    client, requests_mock
) -> None:
    requests_mock.post(f"{BASE}/start", text="<html>oops", status_code=202)
    requests_mock.get(f"{BASE}/read", text="<html>oops")
    with pytest.raises(upstream.AnswerUnreadable):
        client.json_of(client.call("POST", "/start"))
    with pytest.raises(upstream.MalformedResponse) as read:
        client.json_of(client.call("GET", "/read"))
    assert not isinstance(read.value, upstream.OutcomeUnknown)


def test_a_token_request_is_not_a_change(requests_mock, settings) -> None:
    """HMPPS Auth's POST /oauth/token only asks: its lost answer does not make an action unknown."""
    from accounts.clients.hmpps_auth import HmppsAuthClient

    requests_mock.post(f"{settings.HMPPS_AUTH_URL}/oauth/token", exc=requests.ReadTimeout)
    with pytest.raises(upstream.Timeout) as raised:
        HmppsAuthClient().client_credentials(username="SYSCON_USER")
    assert not isinstance(raised.value, upstream.OutcomeUnknown)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("failure", "status"), [(requests.ReadTimeout, 504), (dropped(), 502)], ids=["timeout", "drop"]
)
def test_a_lost_answer_no_view_handled_still_says_it_may_have_been_done(
    requests_mock: rm.Mocker, failure, status
) -> None:
    requests_mock.post(f"{BASE}/change", exc=failure)
    response = Client(raise_request_exception=False).post("/changes-upstream")
    html = response.content.decode()
    assert response.status_code == status
    assert "We do not know whether your change was carried out" in html
    assert "so it may have been carried out" in html
    assert "Nothing has been changed" not in html
    assert 'href="/audit/"' in html
