"""Our span exporter (telemetry.exporter): Azure's envelopes, and how a batch is sent.

The oracle is the exporter it replaces: for real spans, made as the app makes them (telemetry on
for this module, tests/unit/conftest_telemetry.py), each envelope ours builds must equal what
`AzureMonitorTraceExporter` builds for the same span, field for field, but for the differences
listed in `DIFFERENT_TAGS`. Sending is tested against a small HTTP server on a free local port.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode

from telemetry.exporter import DEFAULT_ENDPOINT, SDK_VERSION, SpanExporter
from telemetry.exporter import parse_connection_string as parse
from tests.unit.conftest_telemetry import CLOSED_ENDPOINT, XE, Exported, X, mock_running_migration
from tests.unit.conftest_visits import active_json, migration_url

pytest_plugins = ["tests.unit.conftest_visits", "tests.unit.conftest_telemetry"]

KEY = "00000000-0000-0000-0000-000000000000"
# Tags ours sends differently, on purpose:
# - ai.internal.sdkVersion names this exporter (Azure's names its own version);
# - ai.device.locale is not sent: the server's locale says nothing about a request, and the Azure
#   exporter reads it through a deprecated locale call.
DIFFERENT_TAGS = ("ai.internal.sdkVersion", "ai.device.locale")


@pytest.fixture(scope="module")
def azure(exported: Exported) -> AzureMonitorTraceExporter:
    """The exporter ours replaces, used here only to convert (telemetry.start() set up its
    environment: no statsbeat, nothing on disk)."""
    return AzureMonitorTraceExporter(
        connection_string=CLOSED_ENDPOINT, disable_offline_storage=True
    )


@pytest.fixture(scope="module")
def ours() -> SpanExporter:
    return SpanExporter(CLOSED_ENDPOINT)


def as_sent(envelope: Any) -> dict[str, Any]:
    """An envelope as JSON would carry it (ours a dict, Azure's a model), less DIFFERENT_TAGS."""
    if not isinstance(envelope, dict):
        envelope = envelope.as_dict()
        # as_dict() keeps the model's discriminator, which the Azure exporter does not send (its
        # serialiser leaves read-only fields out): it is no part of the envelope.
        envelope["data"]["baseData"].pop("kind")
        # Azure marks requests' spans as having had their metrics extracted by the sender; ours
        # are not (the dashboard sends no metrics, so Application Insights must extract them).
        envelope["data"]["baseData"]["properties"].pop("_MS.ProcessedByMetricExtractors", None)
    # Tag keys of Azure's are enum members: JSON gives their text, as on the wire.
    sent: dict[str, Any] = json.loads(json.dumps(envelope))
    for tag in DIFFERENT_TAGS:
        sent["tags"].pop(tag, None)
    return sent


def assert_same_as_azure(
    spans: list[ReadableSpan], ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> list[dict[str, Any]]:
    """Every span's envelope and event envelopes equal Azure's; ours are returned (as sent)."""
    assert spans
    envelopes = []
    for span in spans:
        mine = ours.envelope(span)
        assert mine["tags"]["ai.internal.sdkVersion"] == SDK_VERSION
        assert "ai.device.locale" not in mine["tags"]
        assert as_sent(mine) == as_sent(azure._span_to_envelope(span)), span.name
        events = ours.event_envelopes(span)
        azure_events = azure._span_events_to_envelopes(span)
        assert [as_sent(e) for e in events] == [as_sent(e) for e in azure_events], span.name
        envelopes += [json.loads(json.dumps(e)) for e in (mine, *events)]
    return envelopes


def base(envelope: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = envelope["data"]["baseData"]
    return data


def of_type(envelopes: list[dict[str, Any]], base_type: str) -> list[dict[str, Any]]:
    return [e for e in envelopes if e["data"]["baseType"] == base_type]


# -- The same envelopes as Azure's, for the spans the app makes


@pytest.mark.django_db
def test_a_page_and_its_upstream_calls(
    on: Exported,
    signed_in: Any,
    requests_mock: Any,
    ours: SpanExporter,
    azure: AzureMonitorTraceExporter,
) -> None:
    mock_running_migration(requests_mock)
    on.clear()
    response = signed_in.get(f"/visits-migration/{X}/", HTTP_USER_AGENT="Mozilla/5.0 test")
    assert response.status_code == 200
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    (request,) = of_type(envelopes, "RequestData")
    # The page's two upstream calls (with Redis and PostgreSQL configured, their commands and
    # queries are dependencies too, compared with Azure's above).
    dependencies = [
        d for d in of_type(envelopes, "RemoteDependencyData") if base(d)["type"] == "HTTP"
    ]
    assert len(dependencies) == 2
    assert request["name"] == "Microsoft.ApplicationInsights.Request"
    assert request["iKey"] == KEY
    assert request["time"].endswith("Z")
    assert request["sampleRate"] == 100.0
    assert request["tags"]["ai.cloud.role"] == "hmpps-nomis-sync-dashboard"
    assert request["tags"]["ai.application.ver"] == "local"
    assert request["tags"]["ai.user.authUserId"] == "VISITS_USER"
    assert request["tags"]["ai.user.userAgent"] == "Mozilla/5.0 test"
    assert request["tags"]["ai.location.ip"] == "127.0.0.1"
    assert base(request)["name"] == "GET visits-migration/<str:migration_id>/"
    assert base(request)["responseCode"] == "200" and base(request)["success"] is True
    # Our custom attribute is a property; the standard ones are not repeated there.
    assert base(request)["properties"] == {"request_id": response["X-Request-Id"]}
    for dependency in dependencies:
        data = base(dependency)
        assert data["type"] == "HTTP"
        assert data["name"].startswith("GET /")
        assert data["target"] == migration_url("").split("://")[1].split("/")[0]
        assert data["resultCode"] == "200" and data["success"] is True
        assert dependency["tags"]["ai.operation.id"] == request["tags"]["ai.operation.id"]
        assert dependency["tags"]["ai.operation.parentId"] == base(request)["id"]
        # Not marked as having had metrics extracted: no metrics are sent.
        assert data["properties"] == {}


@pytest.mark.django_db
def test_a_failing_upstream_and_its_failed_request(
    on: Exported,
    signed_in: Any,
    requests_mock: Any,
    monkeypatch: pytest.MonkeyPatch,
    ours: SpanExporter,
    azure: AzureMonitorTraceExporter,
) -> None:
    monkeypatch.setattr("upstream.ApiClient.retry_backoff_seconds", 0)
    requests_mock.get(migration_url(f"/migrate/history/{XE}"), status_code=503)
    requests_mock.get(migration_url("/migrate/history/active/VISITS"), json=active_json(X))
    on.clear()
    assert signed_in.get(f"/visits-migration/{X}/").status_code == 502
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    (request,) = of_type(envelopes, "RequestData")
    assert base(request)["responseCode"] == "502" and base(request)["success"] is False
    failed = [e for e in envelopes if base(e).get("resultCode") == "503"]
    assert len(failed) == 3 and not any(base(e)["success"] for e in failed)


@pytest.mark.django_db
def test_an_exception_is_sent_once_with_its_request(
    on: Exported,
    signed_in: Any,
    monkeypatch: pytest.MonkeyPatch,
    ours: SpanExporter,
    azure: AzureMonitorTraceExporter,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the view broke")

    monkeypatch.setattr("migrations_ui.views.HistoryView.get", broken)
    signed_in.raise_request_exception = False
    on.clear()
    assert signed_in.get("/visits-migration/").status_code == 500
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    (request,) = of_type(envelopes, "RequestData")
    (exception,) = of_type(envelopes, "ExceptionData")
    assert exception["name"] == "Microsoft.ApplicationInsights.Exception"
    assert exception["tags"]["ai.operation.id"] == request["tags"]["ai.operation.id"]
    assert exception["tags"]["ai.operation.parentId"] == base(request)["id"]
    (details,) = base(exception)["exceptions"]
    assert details["typeName"] == "RuntimeError"
    assert details["message"] == "the view broke"
    assert details["hasFullStack"] is True and "broken" in details["stack"]


@pytest.mark.django_db
def test_a_page_not_found_is_named_by_its_path(
    on: Exported, signed_in: Any, ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> None:
    on.clear()
    assert signed_in.get("/no-such-page/?code=secret").status_code == 404
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    (request,) = of_type(envelopes, "RequestData")
    assert base(request)["name"] == "GET /no-such-page/"
    assert request["tags"]["ai.operation.name"] == "GET /no-such-page/"
    # A 4xx is not a success to Application Insights; the query's values stay redacted.
    assert base(request)["responseCode"] == "404" and base(request)["success"] is False
    assert base(request)["url"].endswith("/no-such-page/?code=REDACTED")


@pytest.mark.django_db
def test_a_signed_out_redirect_and_a_callers_trace(
    on: Exported, client: Any, ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> None:
    caller_trace, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    response = client.get(
        "/visits-migration/?state=x", HTTP_TRACEPARENT=f"00-{caller_trace}-{caller_span}-01"
    )
    assert response.status_code == 302
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    (request,) = of_type(envelopes, "RequestData")
    assert "ai.user.authUserId" not in request["tags"]
    assert request["tags"]["ai.operation.id"] == caller_trace
    assert request["tags"]["ai.operation.parentId"] == caller_span
    assert base(request)["responseCode"] == "302" and base(request)["success"] is True


def test_a_redis_command_that_fails(
    on: Exported, ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> None:
    """A real span from the dashboard's Redis tracing (nothing listens on port 9)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(host="127.0.0.1", port=9, retry=Retry(NoBackoff(), 0))
    tracer = trace.get_tracer(__name__)
    with (
        tracer.start_as_current_span("GET /", kind=SpanKind.SERVER),
        pytest.raises(redis.ConnectionError),
    ):
        client.get("a-key")
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    (command,) = [e for e in of_type(envelopes, "RemoteDependencyData") if base(e)["name"] == "GET"]
    assert base(command)["type"] == "redis"
    assert base(command)["target"] == "127.0.0.1:9"
    assert base(command)["data"] == "GET ?"
    assert base(command)["success"] is False
    assert of_type(envelopes, "ExceptionData")


@pytest.mark.needs_redis
def test_redis_commands(
    on: Exported, redis_url: str, ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span("GET /", kind=SpanKind.SERVER):
        client.set("test-appinsights-export", "x", ex=5)
        client.delete("test-appinsights-export")
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    commands = [base(e) for e in of_type(envelopes, "RemoteDependencyData")]
    assert [c["name"] for c in commands] == ["SET", "DEL"]
    assert {c["type"] for c in commands} == {"redis"}


@pytest.mark.needs_postgres
def test_postgresql_queries(
    on: Exported, postgres_url: str, ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> None:
    import psycopg

    tracer = trace.get_tracer(__name__)
    with (
        tracer.start_as_current_span("GET /", kind=SpanKind.SERVER),
        psycopg.connect(postgres_url) as connection,
    ):
        connection.execute("SELECT %s::text", ["x"]).fetchone()
    envelopes = assert_same_as_azure(on.spans(), ours, azure)
    (query,) = [base(e) for e in of_type(envelopes, "RemoteDependencyData")]
    assert query["type"] == "postgresql"
    assert query["data"] == "SELECT %s::text"
    assert "|" in query["target"]  # host|database


# Spans in the shape the instrumentations give them, for cases the pages above do not reach
# without real services: PostgreSQL (as opentelemetry-instrumentation-dbapi records a psycopg
# query), Redis on its own port, work inside the process, and a few edges of the mapping.
SHAPES: list[tuple[str, SpanKind, dict[str, Any]]] = [
    (
        "SELECT",
        SpanKind.CLIENT,
        {
            "db.system": "postgresql",
            "db.name": "dashboard",
            "db.statement": "SELECT 1",
            "db.user": "app",
            "net.peer.name": "db.internal",
            "net.peer.port": 5432,
        },
    ),
    (
        "SELECT",
        SpanKind.CLIENT,
        {"db.system": "postgresql", "db.name": "d", "net.peer.name": "h", "net.peer.port": 5433},
    ),
    (
        "SET",
        SpanKind.CLIENT,
        {
            "db.system": "redis",
            "db.statement": "SET ? ? ? ?",
            "db.redis.database_index": 0,
            "db.redis.args_length": 5,
            "net.peer.name": "redis.internal",
            "net.peer.port": 6379,
            "net.transport": "ip_tcp",
        },
    ),
    ("migration-page", SpanKind.INTERNAL, {"thread.name": "upstream_0", "custom": ("a", "b")}),
    ("request", SpanKind.SERVER, {}),
    ("GET", SpanKind.CLIENT, {"http.method": "GET", "http.url": "https://host:443/a;b?c=d"}),
    ("GET", SpanKind.CLIENT, {"http.method": "GET", "http.url": "https://host/"}),
    (
        "POST",
        SpanKind.CLIENT,
        {
            "http.request.method": "POST",
            "url.full": "http://api:8080/x",
            "server.address": "api",
            "server.port": 8080,
            "http.response.status_code": 201,
            "user_agent.original": "AlwaysOn",
        },
    ),
    ("GET", SpanKind.SERVER, {"http.method": "GET", "http.status_code": 200}),
    ("?", SpanKind.CLIENT, {"peer.service": "elsewhere", "empty": None, "x" * 151: "too long"}),
]


@pytest.mark.parametrize(("name", "kind", "attributes"), SHAPES)
def test_spans_of_other_shapes(
    on: Exported,
    ours: SpanExporter,
    azure: AzureMonitorTraceExporter,
    name: str,
    kind: SpanKind,
    attributes: dict[str, Any],
) -> None:
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span(name, kind=kind) as live:
        for key, value in attributes.items():
            if value is not None:
                live.set_attribute(key, value)
        live.add_event("a message", {"detail": 1})
        live.record_exception(ValueError("an exception"))
    (_, message, exception) = assert_same_as_azure(on.spans(), ours, azure)
    assert base(message)["message"] == "a message"
    assert base(message)["properties"] == {"detail": "1"}
    assert base(exception)["exceptions"][0]["typeName"] == "ValueError"


def test_a_failed_span_without_a_status_code(
    on: Exported, ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> None:
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as span:
        span.set_attribute("http.method", "GET")
        span.set_attribute("http.url", "http://127.0.0.1:9/")
        span.set_status(Status(StatusCode.ERROR))
    (envelope,) = assert_same_as_azure(on.spans(), ours, azure)
    assert base(envelope)["resultCode"] == "0" and base(envelope)["success"] is False


def test_a_server_address_without_a_port_is_the_host_alone(
    on: Exported, ours: SpanExporter, azure: AzureMonitorTraceExporter
) -> None:
    """Under OTEL_SEMCONV_STABILITY_OPT_IN=http, requests' span has server.address but no
    server.port for a URL without one. The Azure exporter's target read "host:None" until its
    1.0.0b59 (a dependency of azure-monitor-opentelemetry, not pinned here), which writes the
    host alone, as ours always has."""
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as live:
        live.set_attribute("http.request.method", "GET")
        live.set_attribute("url.full", "https://api.internal/x")
        live.set_attribute("server.address", "api.internal")
    (span,) = on.spans()
    assert base(ours.envelope(span))["target"] == "api.internal"
    azure_target = base(azure._span_to_envelope(span).as_dict())["target"]
    assert azure_target in ("api.internal:None", "api.internal")


# -- The connection string


def test_the_connection_string_gives_the_key_and_the_track_url() -> None:
    assert parse(f"InstrumentationKey={KEY};IngestionEndpoint=https://uksouth-1.in.ai.com/") == (
        KEY,
        "https://uksouth-1.in.ai.com/v2.1/track",
    )
    # Keys in any case, no trailing slash, other fields and spaces ignored.
    assert parse(f" instrumentationkey={KEY} ; INGESTIONENDPOINT=http://h:1;ApplicationId=x") == (
        KEY,
        "http://h:1/v2.1/track",
    )
    assert parse(f"InstrumentationKey={KEY}") == (KEY, f"{DEFAULT_ENDPOINT}v2.1/track")
    assert parse(f"InstrumentationKey={KEY};EndpointSuffix=ai.example;Location=west") == (
        KEY,
        "https://west.dc.ai.example/v2.1/track",
    )
    no_key, not_a_url = (
        "IngestionEndpoint=https://h/",
        f"InstrumentationKey={KEY};IngestionEndpoint=h",
    )
    for not_one in (no_key, not_a_url):
        with pytest.raises(ValueError):
            parse(not_one)


# -- Sending


class Ingestion:
    """A local track endpoint: answers each POST with `status` and keeps what it was sent."""

    def __init__(self) -> None:
        self.status = 200
        self.redirect_to = ""
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        ingestion = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ingestion.received.append((self.path, dict(self.headers), body))
                if ingestion.redirect_to and self.path != ingestion.redirect_to:
                    self.send_response(308)
                    self.send_header("Location", ingestion.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = b'{"itemsReceived": 1, "itemsAccepted": 1, "errors": []}'
                self.send_response(ingestion.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def exporter(self, **options: Any) -> SpanExporter:
        endpoint = f"http://127.0.0.1:{self.port}/"
        return SpanExporter(f"InstrumentationKey={KEY};IngestionEndpoint={endpoint}", **options)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ingestion() -> Iterator[Ingestion]:
    server = Ingestion()
    yield server
    server.close()


@pytest.fixture(scope="module")
def spans() -> list[ReadableSpan]:
    """Two finished spans from a provider of their own (no global state)."""
    provider = TracerProvider(resource=Resource.create({"service.name": "test-role"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer(__name__)
    with (
        tracer.start_as_current_span(
            "GET /", kind=SpanKind.SERVER, attributes={"http.method": "GET"}
        ),
        tracer.start_as_current_span("GET", kind=SpanKind.CLIENT),
    ):
        pass
    provider.shutdown()
    return list(memory.get_finished_spans())


def test_a_batch_is_posted_as_gzip_json_to_the_track_path(
    ingestion: Ingestion, spans: list[ReadableSpan]
) -> None:
    exporter = ingestion.exporter()
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    ((path, headers, body),) = ingestion.received
    assert path == "/v2.1/track"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Encoding"] == "gzip"
    envelopes = json.loads(gzip.decompress(body))
    assert [e["name"] for e in envelopes] == [
        "Microsoft.ApplicationInsights.RemoteDependency",
        "Microsoft.ApplicationInsights.Request",
    ]
    assert {e["iKey"] for e in envelopes} == {KEY}
    assert {e["tags"]["ai.cloud.role"] for e in envelopes} == {"test-role"}


def test_a_partly_accepted_batch_is_done_with(
    ingestion: Ingestion, spans: list[ReadableSpan]
) -> None:
    """206: some items were refused; they are not sent again."""
    ingestion.status = 206
    assert ingestion.exporter().export(spans) is SpanExportResult.SUCCESS
    assert len(ingestion.received) == 1


def test_a_redirect_is_followed_with_the_same_batch(
    ingestion: Ingestion, spans: list[ReadableSpan]
) -> None:
    ingestion.redirect_to = "/regional/v2.1/track"
    assert ingestion.exporter().export(spans) is SpanExportResult.SUCCESS
    (first, second) = ingestion.received
    assert (first[0], second[0]) == ("/v2.1/track", "/regional/v2.1/track")
    assert second[2] == first[2] and second[1]["Content-Encoding"] == "gzip"


def assert_one_warning_without_the_key(caplog: pytest.LogCaptureFixture, *words: str) -> None:
    (record,) = [r for r in caplog.records if r.name == "telemetry.exporter"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    for word in words:
        assert word in message, message
    assert KEY not in caplog.text


def test_a_refused_batch_is_dropped_with_a_warning(
    ingestion: Ingestion, spans: list[ReadableSpan], caplog: pytest.LogCaptureFixture
) -> None:
    ingestion.status = 500
    assert ingestion.exporter().export(spans) is SpanExportResult.FAILURE
    assert len(ingestion.received) == 1  # not retried
    assert_one_warning_without_the_key(caplog, f"127.0.0.1:{ingestion.port}", "HTTP 500")


def closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def test_an_endpoint_that_is_down_fails_the_batch_at_once(
    spans: list[ReadableSpan], caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    exporter = SpanExporter(f"InstrumentationKey={KEY};IngestionEndpoint=http://127.0.0.1:{port}")
    started = time.monotonic()
    assert exporter.export(spans) is SpanExportResult.FAILURE
    assert time.monotonic() - started < 5
    assert_one_warning_without_the_key(caplog, f"127.0.0.1:{port}", "ConnectionRefusedError")


def test_an_endpoint_that_never_answers_fails_the_batch_after_the_timeout(
    spans: list[ReadableSpan], caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as listener:  # accepts connections (the backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        endpoint = f"http://127.0.0.1:{port}"
        exporter = SpanExporter(
            f"InstrumentationKey={KEY};IngestionEndpoint={endpoint}", timeout=0.3
        )
        started = time.monotonic()
        assert exporter.export(spans) is SpanExportResult.FAILURE
        assert time.monotonic() - started < 5
    assert_one_warning_without_the_key(caplog, f"127.0.0.1:{port}", "TimeoutError")


def test_after_shutdown_nothing_is_sent(ingestion: Ingestion, spans: list[ReadableSpan]) -> None:
    exporter = ingestion.exporter()
    exporter.shutdown()
    assert exporter.force_flush() is True
    assert exporter.export(spans) is SpanExportResult.FAILURE
    assert ingestion.received == []


def test_sending_makes_no_spans_of_its_own(ingestion: Ingestion, spans: list[ReadableSpan]) -> None:
    """Even with urllib instrumented (it is not, here), the export itself is not traced."""
    from opentelemetry.instrumentation.urllib import URLLibInstrumentor

    provider = TracerProvider()
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    URLLibInstrumentor().instrument(tracer_provider=provider)
    try:
        # The instrumentation is live: a plain call is traced...
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{ingestion.port}/", data=b"[]"), timeout=5
        ).close()
        assert len(memory.get_finished_spans()) == 1
        # ...and the export is not.
        assert ingestion.exporter().export(spans) is SpanExportResult.SUCCESS
        assert len(memory.get_finished_spans()) == 1
    finally:
        URLLibInstrumentor().uninstrument()


def test_a_span_that_cannot_be_described_drops_its_batch_with_a_warning(
    ingestion: Ingestion, spans: list[ReadableSpan], caplog: pytest.LogCaptureFixture
) -> None:
    unreadable: Any = NonRecordingSpan(SpanContext(1, 1, is_remote=False))
    result = ingestion.exporter().export([*spans, unreadable])
    assert result is SpanExportResult.FAILURE
    assert ingestion.received == []
    assert_one_warning_without_the_key(caplog, "AttributeError")
