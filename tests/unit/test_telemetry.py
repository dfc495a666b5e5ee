"""Telemetry: what is recorded, how it is named, what is left out and what never leaves.

Telemetry is switched on once for this module, as `nomis_sync.wsgi` and gunicorn switch it on,
with in-memory exporters added beside the real ones (whose endpoint is a closed port): the tests
read exactly the spans and log records Application Insights would be sent
(tests/unit/conftest_telemetry.py). How spans become Application Insights envelopes is tested in
tests/unit/test_appinsights_export.py.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from django.conf import settings
from django.core.cache import cache
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, StatusCode

import telemetry
from kernel.logging import JsonFormatter, RequestContextFilter
from migrations_ui.models import AuditEvent
from telemetry.exporter import SpanExporter
from tests.unit.conftest_telemetry import CLOSED_ENDPOINT, XE, Exported, X, mock_running_migration
from tests.unit.conftest_visits import active_json, history_json, migration_url, sign_in

pytest_plugins = ["tests.unit.conftest_visits", "tests.unit.conftest_telemetry"]

ROOT = Path(__file__).resolve().parents[2]


def every_attribute_value(records: Exported) -> list[str]:
    """Every attribute value, event and resource value of everything exported, as text."""
    values: list[str] = []

    def pairs(attributes: Any) -> list[str]:
        return [f"{key}={value!s}" for key, value in dict(attributes or {}).items()]

    for span in records.spans():
        values += pairs(span.attributes)
        values.append(span.name)
        for event in span.events:
            values += pairs(event.attributes)
    for log in records.log_exporter.get_finished_logs():
        values += pairs(log.log_record.attributes)
        values.append(str(log.log_record.body))
    return values


# -- Off unless configured


def _import_the_application(extra_env: dict[str, str]) -> dict[str, Any]:
    """Load nomis_sync.wsgi in a fresh process, as a server would, and describe what it set up."""
    script = """
import json, threading, logging, requests
import nomis_sync.wsgi
from django.conf import settings
from opentelemetry import trace
print(json.dumps({
    "threads": sorted(t.name for t in threading.enumerate()),
    "tracer_provider": type(trace.get_tracer_provider()).__name__,
    "middleware": [m for m in settings.MIDDLEWARE if "opentelemetry" in m or "telemetry" in m],
    "requests_patched": hasattr(
        requests.Session.send, "opentelemetry_instrumentation_requests_applied"
    ),
    "event_handlers": len(logging.getLogger("telemetry.events").handlers),
}))
"""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_connection_string_nothing_is_set_up() -> None:
    loaded = _import_the_application({})
    assert loaded == {
        "threads": ["MainThread"],
        "tracer_provider": "ProxyTracerProvider",
        "middleware": [],
        "requests_patched": False,
        "event_handlers": 0,
    }


def test_with_a_connection_string_the_exporters_run_on_their_own_threads() -> None:
    loaded = _import_the_application({"APPLICATIONINSIGHTS_CONNECTION_STRING": CLOSED_ENDPOINT})
    assert loaded["tracer_provider"] == "TracerProvider"
    assert loaded["threads"] == [
        "MainThread",
        "OtelBatchLogRecordProcessor",
        "OtelBatchSpanRecordProcessor",
    ]
    assert loaded["requests_patched"] is True
    assert loaded["event_handlers"] == 1


def test_under_gunicorn_the_master_starts_no_thread_before_forking() -> None:
    """gunicorn names itself in SERVER_SOFTWARE; its post_fork hook starts telemetry instead."""
    loaded = _import_the_application(
        {"APPLICATIONINSIGHTS_CONNECTION_STRING": CLOSED_ENDPOINT, "SERVER_SOFTWARE": "gunicorn/x"}
    )
    assert loaded["threads"] == ["MainThread"]
    assert loaded["tracer_provider"] == "ProxyTracerProvider"
    # Instrumented all the same, so the workers' middleware chain has the request middleware.
    assert loaded["requests_patched"] is True
    assert loaded["middleware"] == [telemetry.REQUEST_MIDDLEWARE]


def test_a_connection_string_that_is_not_one_stops_start_up() -> None:
    from tests.conftest import run_manage

    result = run_manage(
        "check", env={"DEBUG": "true", "APPLICATIONINSIGHTS_CONNECTION_STRING": "not-one"}
    )
    assert result.returncode != 0
    assert "must be an Application Insights connection string" in result.stderr


def test_the_sampling_ratio_must_be_a_share() -> None:
    from tests.conftest import run_manage

    result = run_manage("check", env={"DEBUG": "true", "TELEMETRY_SAMPLING_RATIO": "1.5"})
    assert result.returncode != 0
    assert "TELEMETRY_SAMPLING_RATIO must be between 0 and 1" in result.stderr


# -- Requests


@pytest.mark.django_db
def test_a_request_is_named_by_its_route_with_status_and_user(on, signed_in, requests_mock) -> None:
    mock_running_migration(requests_mock)
    response = signed_in.get(f"/visits-migration/{X}/")
    assert response.status_code == 200
    request = on.request()
    assert request.name == "GET visits-migration/<str:migration_id>/"
    attributes = request.attributes or {}
    assert attributes["http.route"] == "visits-migration/<str:migration_id>/"
    assert attributes["http.status_code"] == 200
    assert attributes["enduser.id"] == "VISITS_USER"
    # The X-Request-Id header (and the audit log's request id) finds the request's telemetry.
    assert attributes["request_id"] == response["X-Request-Id"]
    assert request.status.status_code is StatusCode.UNSET
    assert request.end_time is not None and request.start_time is not None
    assert request.resource.attributes["service.name"] == "hmpps-nomis-sync-dashboard"
    assert request.resource.attributes["service.version"] == "local"


# Closing a response sends Django's request_finished, which looks at the database connection.
@pytest.mark.django_db
def test_a_request_is_described_once_its_response_is_closed_but_timed_to_when_it_was_ready(
    on, rf
) -> None:
    """The description waits until the server has sent the response (and closes it)."""
    from django.http import HttpResponse

    response = HttpResponse("ok")
    middleware = telemetry.RequestTelemetryMiddleware(lambda request: response)
    returned = middleware(rf.get("/visits-migration/"))
    ready = time.time_ns()
    assert returned is response
    assert on.requests() == [], "handed to the exporter before the response was sent"
    time.sleep(0.02)
    response.close()
    request = on.request()
    assert (request.attributes or {})["http.status_code"] == 200
    assert request.end_time is not None and request.end_time <= ready


@pytest.mark.django_db
def test_a_signed_out_request_has_no_user(on, client) -> None:
    response = client.get("/visits-migration/")
    assert response.status_code == 302
    request = on.request()
    assert request.name == "GET visits-migration/"
    assert "enduser.id" not in (request.attributes or {})


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ping", "/health", "/info", "/assets/govuk/all.js"])
def test_probes_and_assets_are_not_recorded_nor_anything_they_call(
    on, client, requests_mock, path
) -> None:
    requests_mock.get(re.compile(".*"), json={"status": "UP"})
    # Only what the request does counts: the test database's own set-up (in CI, PostgreSQL) is
    # traced before it.
    on.clear()
    client.get(path)
    assert on.spans() == []


@pytest.mark.django_db
def test_query_values_never_reach_telemetry(on, client) -> None:
    """The sign-in callback's query carries the authorisation code and state."""
    client.get("/visits-migration/?code=secret-auth-code&state=secret-state")
    values = " ".join(every_attribute_value(on))
    assert "secret-auth-code" not in values and "secret-state" not in values
    assert "code=REDACTED&state=REDACTED" in values
    attributes = on.request().attributes or {}
    assert attributes["http.target"] == "/visits-migration/?code=REDACTED&state=REDACTED"
    assert attributes["http.url"] == (
        "http://testserver/visits-migration/?code=REDACTED&state=REDACTED"
    )
    # A browser sends no trace context: the request starts a trace of its own.
    assert on.request().parent is None


# -- Dependencies


def calls_of(request: Any, on: Exported) -> list[Any]:
    """The upstream calls made for `request`: those whose parent is its span.

    Not every upstream call exported while a test runs: some work outlives its page by design
    (a cached list refreshed in the background, M5 not waited for once M4 shows the migration
    ended), so a call an earlier test started can end in this test's window, in its own page's
    trace. Under a loaded `make test` (a bench-check beside it) the caller's-traceparent test
    failed once on such a call's trace id; which earlier page started it was not found.
    """
    return [
        d
        for d in on.upstream_calls()
        if d.parent is not None and d.parent.span_id == request.context.span_id
    ]


@pytest.mark.django_db
def test_upstream_calls_are_dependencies_of_the_request(on, signed_in, requests_mock) -> None:
    mock_running_migration(requests_mock)
    signed_in.get(f"/visits-migration/{X}/")
    request = on.request()
    dependencies = calls_of(request, on)
    # The details page asks for the history row and the live figures side by side, on the
    # upstream thread pool: both still belong to the request.
    assert len(dependencies) == 2
    for dependency in dependencies:
        assert dependency.context.trace_id == request.context.trace_id
    by_url = {d.attributes["http.url"]: d for d in dependencies}
    history = by_url[migration_url(f"/migrate/history/{XE}")]
    assert history.attributes["http.method"] == "GET"
    assert history.attributes["http.status_code"] == 200
    active = by_url[migration_url("/migrate/history/active/VISITS")]
    assert active.attributes["http.status_code"] == 200
    assert {d.status.status_code for d in dependencies} == {StatusCode.UNSET}


def test_every_upstream_client_sends_through_the_instrumented_session(exported) -> None:
    """HMPPS Auth, token verification, the migration service, NOMIS and the mapping service."""
    from importlib import import_module

    from upstream import ApiClient

    for module in (
        "accounts.clients.hmpps_auth",
        "accounts.clients.token_verification",
        "migrations_ui.clients.mapping_api",
        "migrations_ui.clients.migration_api",
        "migrations_ui.clients.nomis_prisoner_api",
    ):
        import_module(module)

    def every(cls: Any) -> list[Any]:
        return [cls, *(c for sub in cls.__subclasses__() for c in every(sub))]

    clients = {c.service: c for c in every(ApiClient) if c.__module__.split(".")[0] != "tests"}
    assert {
        "HMPPS Auth",
        "Token verification API",
        "migration service",
        "NOMIS prisoner API",
        "mapping service",
    } <= set(clients)
    instrumented = requests.Session.send
    assert getattr(instrumented, "opentelemetry_instrumentation_requests_applied", False)
    assert all(client.send is instrumented for client in clients.values())


@pytest.mark.django_db
def test_a_failing_upstream_is_a_failed_dependency_of_a_failed_request(
    on, signed_in, requests_mock, monkeypatch
) -> None:
    monkeypatch.setattr("upstream.ApiClient.retry_backoff_seconds", 0)
    requests_mock.get(migration_url(f"/migrate/history/{XE}"), status_code=503)
    requests_mock.get(migration_url("/migrate/history/active/VISITS"), json=active_json(X))
    response = signed_in.get(f"/visits-migration/{X}/")
    assert response.status_code == 502
    request = on.request()
    assert request.status.status_code is StatusCode.ERROR
    assert request.attributes["http.status_code"] == 502
    failed = [d for d in on.upstream_calls() if d.attributes["http.status_code"] == 503]
    # A GET is tried three times: each attempt is its own dependency, under the request.
    assert len(failed) == 3
    assert all(d.status.status_code is StatusCode.ERROR for d in failed)
    assert all(d.parent and d.parent.span_id == request.context.span_id for d in failed)


@pytest.mark.django_db
def test_a_callers_traceparent_is_continued_by_the_request(on, signed_in, requests_mock) -> None:
    """A request that arrives in a trace (say from a gateway) is recorded in that trace."""
    mock_running_migration(requests_mock)
    caller_trace, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    on.clear()  # signing in was traced too
    signed_in.get(f"/visits-migration/{X}/", HTTP_TRACEPARENT=f"00-{caller_trace}-{caller_span}-01")
    request = on.request()
    assert f"{request.context.trace_id:032x}" == caller_trace
    assert request.parent is not None and f"{request.parent.span_id:016x}" == caller_span
    calls = calls_of(request, on)
    assert len(calls) == 2
    assert {f"{d.context.trace_id:032x}" for d in calls} == {caller_trace}


@pytest.mark.django_db
def test_upstream_calls_carry_the_request_trace_in_traceparent(
    on, signed_in, requests_mock
) -> None:
    mock_running_migration(requests_mock)
    signed_in.get(f"/visits-migration/{X}/")
    request = on.request()
    trace_id = f"{request.context.trace_id:032x}"
    # Each of the request's two calls went out carrying its own span as the parent. Matched from
    # the spans to what was sent, as a call another test started may reach this test's mock.
    sent = [r.headers.get("traceparent", "").split("-") for r in requests_mock.request_history]
    calls = calls_of(request, on)
    assert len(calls) == 2
    for call in calls:
        carried = [t for t in sent if t[1:3] == [trace_id, f"{call.context.span_id:016x}"]]
        assert len(carried) == 1, f"{call.name}: no request sent with its traceparent: {sent}"
        version, _, _, flags = carried[0]
        assert version == "00"
        assert int(flags, 16) & 1, "sampled"


@pytest.mark.django_db
def test_no_token_cookie_or_secret_appears_in_any_attribute(
    on, client, visits_user, requests_mock, settings
) -> None:
    """The system token is fetched for real (HMPPS Auth mocked) and used, with a session cookie."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from kernel import caching

    caching.reset()
    requests_mock.post(
        f"{settings.HMPPS_AUTH_URL}/oauth/token",
        json={"access_token": "the-system-access-token", "expires_in": 3599},
    )
    mock_running_migration(requests_mock)
    sign_in(client, visits_user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(f"/visits-migration/{X}/?token=query-secret")
    assert any(
        r.headers.get("Authorization") == "Bearer the-system-access-token"
        for r in requests_mock.request_history
    )
    assert len(on.upstream_calls()) == 3  # the token, then the two calls it authorises
    values = " ".join(every_attribute_value(on))
    for secret in (
        "the-system-access-token",
        cookie,
        "query-secret",
        settings.CLIENT_CREDS_CLIENT_SECRET,
        "Bearer",
        "Basic ",
    ):
        assert secret not in values
    for key in ("authorization", "cookie", "set-cookie"):
        assert not [v for v in every_attribute_value(on) if key in v.split("=", 1)[0].lower()]
    caching.reset()


@pytest.mark.needs_redis
def test_redis_commands_are_dependencies_without_their_keys(on, redis_url, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "test-telemetry",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as request:
        cache.set("session-like-secret-key", "secret-value", 5)
        assert cache.get("session-like-secret-key") == "secret-value"
        cache.delete("session-like-secret-key")
    redis = [
        d
        for d in on.dependencies()
        if d.parent and d.parent.span_id == request.get_span_context().span_id
    ]
    assert [d.name for d in redis] == ["SET", "GET", "DEL"]
    url = urlparse(redis_url)
    # What opentelemetry-instrumentation-redis records, which ours replaces (telemetry.py).
    assert dict(redis[1].attributes or {}) == {
        "_MS.sampleRate": 100.0,
        "db.statement": "GET ?",
        "db.redis.args_length": 2,
        "db.system": "redis",
        "db.redis.database_index": int(url.path.strip("/") or 0),
        "net.peer.name": url.hostname,
        "net.peer.port": url.port or 6379,
        "net.transport": "ip_tcp",
    }
    assert (redis[0].attributes or {})["db.statement"].startswith("SET ? ?")
    values = " ".join(every_attribute_value(on))
    assert "session-like-secret-key" not in values and "secret-value" not in values
    # A quiet request's commands (the health probe's Redis ping) make no span.
    on.clear()
    with suppress_instrumentation():
        cache.get("session-like-secret-key")
    assert on.spans() == []


@pytest.mark.needs_postgres
def test_postgresql_queries_are_dependencies_without_their_parameters(on, postgres_url) -> None:
    import psycopg

    tracer = trace.get_tracer(__name__)
    with (
        tracer.start_as_current_span("request", kind=SpanKind.SERVER) as request,
        psycopg.connect(postgres_url) as connection,
    ):
        connection.execute("SELECT %s::text", ["a-secret-parameter"]).fetchone()
    queries = [d for d in on.dependencies() if d.attributes.get("db.system") == "postgresql"]
    assert len(queries) == 1
    assert queries[0].parent and queries[0].parent.span_id == request.get_span_context().span_id
    assert queries[0].attributes["db.statement"] == "SELECT %s::text"
    assert "a-secret-parameter" not in " ".join(every_attribute_value(on))


# -- Exceptions


@pytest.mark.django_db
def test_an_exception_in_a_view_is_recorded_once_on_its_request(on, signed_in, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the view broke")

    monkeypatch.setattr("migrations_ui.views.HistoryView.get", broken)
    signed_in.raise_request_exception = False
    response = signed_in.get("/visits-migration/")
    assert response.status_code == 500
    request = on.request()
    assert request.status.status_code is StatusCode.ERROR
    exceptions = [e for s in on.spans() for e in s.events if e.name == "exception"]
    assert len(exceptions) == 1
    assert exceptions[0] in request.events
    assert exceptions[0].attributes["exception.type"] == "RuntimeError"
    assert exceptions[0].attributes["exception.message"] == "the view broke"
    # Django's own error log line is not exported as a second exception.
    assert not [
        r
        for r in on.log_exporter.get_finished_logs()
        if "exception.type" in (r.log_record.attributes or {})
    ]


# -- Custom events


@pytest.mark.django_db
def test_an_audited_action_sends_its_event_in_the_request_trace(
    on, signed_in, requests_mock
) -> None:
    requests_mock.get(migration_url(f"/migrate/history/{XE}"), json=history_json(X))
    requests_mock.post(migration_url(f"/migrate/refresh/{XE}"), status_code=204)
    response = signed_in.post(f"/visits-migration/{X}/refresh-counts")
    request_id = response["X-Request-Id"]
    (event,) = on.events()
    attributes = dict(event.log_record.attributes or {})
    assert attributes == {
        "microsoft.custom_event.name": "nomis-sync-dashboard-migration-counts-refreshed",
        "action": "REFRESH_COUNTS",
        "outcome": "SUCCEEDED",
        "username": "VISITS_USER",
        "migrationType": "VISITS",
        "migrationId": X,
        "subjectKind": "MIGRATION",
        "subjectId": f"VISITS {X}",
        "requestId": request_id,
        "enduser.id": "VISITS_USER",
    }
    request = on.request()
    assert event.log_record.trace_id == request.context.trace_id
    # The audit record and the event name the same request.
    assert set(AuditEvent.objects.values_list("request_id", flat=True)) == {request_id}


@pytest.mark.django_db
def test_a_failed_action_sends_its_event_with_the_upstream_status(
    on, signed_in, requests_mock
) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="STARTED", ended=None)
    )
    requests_mock.post(migration_url(f"/migrate/cancel/{XE}"), status_code=500)
    signed_in.post(f"/visits-migration/{X}/cancel")
    (event,) = on.events()
    attributes = event.log_record.attributes or {}
    assert attributes["microsoft.custom_event.name"] == (
        "nomis-sync-dashboard-migration-cancel-requested"
    )
    assert attributes["outcome"] == "FAILED"
    assert attributes["upstreamStatus"] == 500
    assert attributes["migrationId"] == X


@pytest.mark.parametrize(
    ("action", "name"),
    [
        ("START_MIGRATION", "nomis-sync-dashboard-migration-started"),
        ("CANCEL_MIGRATION", "nomis-sync-dashboard-migration-cancel-requested"),
        ("REFRESH_COUNTS", "nomis-sync-dashboard-migration-counts-refreshed"),
        ("PURGE_DEAD_LETTERS", "nomis-sync-dashboard-dead-letters-purged"),
        ("ADD_ROOM_MAPPING", "nomis-sync-dashboard-room-mapping-added"),
        ("DELETE_ROOM_MAPPING", "nomis-sync-dashboard-room-mapping-deleted"),
        ("ACTIVATE_PRISON", "nomis-sync-dashboard-prison-activated"),
        ("END_ACTIVITIES", "nomis-sync-dashboard-activities-ended"),
        ("MOVE_START_DATE", "nomis-sync-dashboard-activity-start-date-moved"),
    ],
)
def test_every_audited_action_has_an_event_name(action: str, name: str) -> None:
    assert telemetry.EVENT_NAMES[action] == name
    assert {choice for choice, _ in AuditEvent.Action.choices} == set(telemetry.EVENT_NAMES)


def test_events_cost_nothing_and_go_nowhere_when_telemetry_is_off() -> None:
    """Without start(), the events logger has no handler and track_action returns at once."""
    script = """
import logging
import telemetry
from telemetry.exporter import SpanExporter
class Boom:
    @property
    def user(self): raise AssertionError("looked at the context")
telemetry.track_action(context=Boom(), action="START_MIGRATION", outcome="SUCCEEDED", subject=None)
print("ok", logging.getLogger(telemetry.EVENTS_LOGGER).handlers)
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "nomis_sync.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "ok []", result.stderr


# -- Log lines


@pytest.mark.django_db
def test_json_log_lines_carry_the_trace_and_span_ids(on, signed_in, requests_mock) -> None:
    lines: list[dict[str, Any]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    handler = Capture()
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("nomis_sync.access")
    access.addHandler(handler)
    try:
        mock_running_migration(requests_mock)
        response = signed_in.get(f"/visits-migration/{X}/")
    finally:
        access.removeHandler(handler)
    (line,) = lines
    request = on.request()
    assert line["request_id"] == response["X-Request-Id"]
    assert line["trace_id"] == f"{request.context.trace_id:032x}"
    # The access log line is written inside the request span.
    assert line["span_id"] == f"{request.context.span_id:016x}"


def test_log_lines_outside_a_trace_have_no_ids() -> None:
    record = logging.LogRecord("x", logging.INFO, "", 0, "outside", None, None)
    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert "trace_id" not in line and "span_id" not in line


# -- Export never waits on the request


def test_export_is_batched_behind_bounded_queues_to_the_connection_strings_endpoint(
    exported,
) -> None:
    """A request only appends to a queue; the exporters send from their own threads."""
    batches = {type(b).__name__: b for b in exported.export_batches}
    assert set(batches) == {"BatchSpanProcessor", "BatchLogRecordProcessor"}
    for batch in batches.values():
        assert batch._batch_processor._max_queue_size == 2048
    # Spans: our exporter (telemetry.exporter), which keeps nothing on disk by design.
    spans = batches["BatchSpanProcessor"]._batch_processor._exporter
    assert isinstance(spans, SpanExporter)
    assert spans.url == "http://127.0.0.1:9/v2.1/track"
    # Custom events: Azure Monitor's log exporter.
    events = batches["BatchLogRecordProcessor"]._batch_processor._exporter
    assert events._endpoint == "http://127.0.0.1:9/"
    assert events.storage is None  # nothing kept on disk


def test_each_span_meets_only_the_given_processors_and_the_exporters_batch(exported) -> None:
    """Built without the distro: no GenAI agent processor runs on a request's thread per span."""
    provider: Any = trace.get_tracer_provider()
    processors = provider._active_span_processor._span_processors
    assert [type(p).__name__ for p in processors] == ["SimpleSpanProcessor", "BatchSpanProcessor"]


def test_requests_are_recorded_by_our_middleware_outermost_and_not_the_django_instrumentation(
    exported,
) -> None:
    """opentelemetry-instrumentation-django's middleware cost 350-400 us a request (issue 15)."""
    assert settings.MIDDLEWARE[0] == telemetry.REQUEST_MIDDLEWARE
    assert not [m for m in settings.MIDDLEWARE if "opentelemetry" in m]


def test_requests_to_the_real_network_are_still_refused_in_unit_tests(on) -> None:
    """The instrumented session still goes through the autouse guard (tests/unit/conftest.py)."""
    with pytest.raises(AssertionError, match="real HTTP call"):
        requests.get("http://127.0.0.1:9/", timeout=1)
