"""Telemetry switched on for a test module, as `nomis_sync.wsgi` and gunicorn switch it on.

Providers, sampler and exporters are set up once per process (they are global), with in-memory
exporters beside the real ones (whose endpoint is a closed port): tests read exactly the spans
and log records Application Insights would be sent. Used by tests/unit/test_telemetry.py and
tests/unit/test_appinsights_export.py (`pytest_plugins`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import requests_mock.mocker
from django.core.cache import cache
from django.test import override_settings
from opentelemetry import trace
from opentelemetry._logs import get_logger_provider
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import telemetry
from tests.unit.conftest_visits import active_json, history_json, migration_url, sign_in

# Nothing listens on port 9 (discard) here: the exporters fail quietly in the background.
CLOSED_ENDPOINT = (
    "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"
)
X = "2024-01-01T10:00:00"
XE = X.replace(":", "%3A")


class Exported:
    """The spans and log records telemetry has exported since the last `clear()`."""

    def __init__(self) -> None:
        self.span_exporter = InMemorySpanExporter()
        self.log_exporter = InMemoryLogRecordExporter()
        # The exporters' batch processors, as start() set them up.
        self.export_batches: list[Any] = []
        # The handler start() attached to the events logger.
        self.event_handlers: list[logging.Handler] = []

    def clear(self) -> None:
        self.span_exporter.clear()
        self.log_exporter.clear()

    def spans(self) -> list[ReadableSpan]:
        return list(self.span_exporter.get_finished_spans())

    def requests(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.kind is SpanKind.SERVER]

    def request(self) -> ReadableSpan:
        (request,) = self.requests()
        return request

    def dependencies(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.kind is SpanKind.CLIENT]

    def upstream_calls(self) -> list[ReadableSpan]:
        """HTTP dependencies only: with Redis and PostgreSQL configured (as in CI), a page's
        session reads and queries are dependencies too, and have tests of their own."""
        return [
            s
            for s in self.dependencies()
            if "http.method" in (s.attributes or {})
            or "http.request.method" in (s.attributes or {})
        ]

    def events(self) -> list[ReadableLogRecord]:
        return [
            r
            for r in self.log_exporter.get_finished_logs()
            if "microsoft.custom_event.name" in (r.log_record.attributes or {})
        ]


@pytest.fixture(scope="session")
def started() -> Exported:
    """Providers, sampler and exporters as in production, once per process (they are global)."""
    records = Exported()
    with override_settings(APPLICATIONINSIGHTS_CONNECTION_STRING=CLOSED_ENDPOINT):
        assert telemetry.start(
            span_processors=[SimpleSpanProcessor(records.span_exporter)],
            log_record_processors=[SimpleLogRecordProcessor(records.log_exporter)],
        )
    tracer_provider: Any = trace.get_tracer_provider()
    logger_provider: Any = get_logger_provider()
    records.export_batches = [
        p
        for p in (
            *tracer_provider._active_span_processor._span_processors,
            *logger_provider._multi_log_record_processor._log_record_processors,
        )
        if isinstance(p, (BatchSpanProcessor, BatchLogRecordProcessor))
    ]
    # Nothing leaves the test process: the exporters send for real, end to end, in
    # tests/integration/test_telemetry.py; here they are stopped once their set-up is known.
    for batch in records.export_batches:
        batch.shutdown()
    records.event_handlers = list(logging.getLogger(telemetry.EVENTS_LOGGER).handlers)
    return records


@pytest.fixture(scope="module")
def exported(started: Exported) -> Iterator[Exported]:
    """Telemetry on for this module's tests, as nomis_sync.wsgi switches it on."""
    with override_settings(APPLICATIONINSIGHTS_CONNECTION_STRING=CLOSED_ENDPOINT):
        assert telemetry.instrument()
    # requests-mock keeps the `Session.send` it found when it was imported (before instrumenting)
    # and calls that: it is pointed at the instrumented one, which then calls the original.
    mocker: Any = requests_mock.mocker  # _original_send is private, so untyped
    original_send = mocker._original_send
    mocker._original_send = requests.Session.send
    events = logging.getLogger(telemetry.EVENTS_LOGGER)
    for handler in started.event_handlers:
        events.addHandler(handler)
    yield started
    # Other modules' tests in this process see telemetry off again (the providers stay: they
    # can be set once per process, and record nothing without the instrumentation).
    for handler in started.event_handlers:
        events.removeHandler(handler)
    mocker._original_send = original_send
    telemetry.uninstrument()


@pytest.fixture
def on(exported: Exported) -> Iterator[Exported]:
    # The cache first: with Redis its FLUSHDB is a span too, which no test is about.
    cache.clear()
    exported.clear()
    yield exported
    cache.clear()


@pytest.fixture
def signed_in(client: Any, visits_user: Any, tokens: Any) -> Any:
    return sign_in(client, visits_user)


def mock_running_migration(requests_mock: Any) -> None:
    """The details page of a running migration, which waits for both of its upstream calls."""
    requests_mock.get(
        migration_url(f"/migrate/history/{XE}"), json=history_json(X, status="STARTED", ended=None)
    )
    requests_mock.get(migration_url("/migrate/history/active/VISITS"), json=active_json(X))
