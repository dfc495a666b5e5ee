"""Telemetry to Application Insights through OpenTelemetry: the one place it is configured.

Off unless `APPLICATIONINSIGHTS_CONNECTION_STRING` is set. Off means nothing here patches a
library, starts a thread or builds an exporter; what is left is one check per audited action.

On, it takes two steps, because gunicorn loads the application before it forks its workers
(`preload_app`) and a thread started before a fork does not run in the forked child:

1. `instrument()`, in `nomis_sync.wsgi` before Django builds its middleware chain. It puts our
   request middleware (`RequestTelemetryMiddleware`) first in `settings.MIDDLEWARE` and patches
   requests, Redis and psycopg to make spans through OpenTelemetry's global tracer, which records
   nothing until step 2 has set a real one. It starts no thread.
2. `start()`, in each process that serves requests, after any fork: gunicorn's `post_fork` hook,
   or `nomis_sync.wsgi` itself under a server that does not fork (runserver). It sets the tracer
   and logger providers, Application Insights' sampler and the exporters (built here rather than
   by the distro's `configure_azure_monitor`, whose extra span processor and metrics cost every
   request time): spans go through our own exporter (`telemetry.exporter`: the Azure Monitor
   trace exporter spent about 620 us of CPU on each span, on a thread that holds the GIL while
   pages wait), custom events through the Azure Monitor log exporter (they are rare). Each
   exporter runs on its own background thread behind a bounded queue (2,048 items), so an
   ingestion endpoint that is down or slow loses telemetry but never holds up a page. No metrics
   are recorded.

What is recorded: one request per dashboard request (named by its route template, with the
signed-in username as the authenticated user and the request id as `request_id`); every upstream
call, Redis command and PostgreSQL query as a dependency under it; an exception raised by a view
once, on its request; a custom event per audited action (`track_action`). `/ping`, `/health`,
`/info` and static assets are not recorded, nor is anything they call.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from kernel.logging import signed_in_user

# Custom events travel as log records on this logger: start() attaches the exporting handler
# here only (not to the root logger, so ordinary log lines and Django's own error log, which would
# record every exception a second time, stay on stdout).
EVENTS_LOGGER = "telemetry.events"
_events = logging.getLogger(EVENTS_LOGGER)

# Audit actions (migrations_ui.models.AuditEvent.Action) to event names, in the style of the
# migration service's own `<type>-migration-started` events.
EVENT_NAMES = {
    "START_MIGRATION": "nomis-sync-dashboard-migration-started",
    "CANCEL_MIGRATION": "nomis-sync-dashboard-migration-cancel-requested",
    "REFRESH_COUNTS": "nomis-sync-dashboard-migration-counts-refreshed",
    "PURGE_DEAD_LETTERS": "nomis-sync-dashboard-dead-letters-purged",
    "ADD_ROOM_MAPPING": "nomis-sync-dashboard-room-mapping-added",
    "DELETE_ROOM_MAPPING": "nomis-sync-dashboard-room-mapping-deleted",
    "ACTIVATE_PRISON": "nomis-sync-dashboard-prison-activated",
    "END_ACTIVITIES": "nomis-sync-dashboard-activities-ended",
    "MOVE_START_DATE": "nomis-sync-dashboard-activity-start-date-moved",
}

# Probes call these every few seconds and every page loads several assets: recording them would
# drown the requests people make (the existing dashboard leaves them out too).
QUIET_PATHS = ("/ping", "/health", "/info")

# Values set before the Azure Monitor log exporter reads the environment; a deployment may still
# override each.
_EXPORTER_ENVIRONMENT = {
    # The SDK's reports about itself (statsbeat, SDK stats) and its remote configuration
    # (OneSettings) go to Microsoft endpoints other than the connection string's: the dashboard
    # talks to the ingestion endpoint it is given and nothing else.
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
    "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
}

# Span attributes that can hold a URL's query string. Its values are replaced: the sign-in
# callback's carries the authorisation code and state, and no dashboard or upstream query value
# is needed to follow a request (names stay, so the shape of the query is still visible).
_URL_ATTRIBUTES = ("http.url", "url.full", "http.target", "url.query")
REDACTED = "REDACTED"


def enabled() -> bool:
    return bool(settings.APPLICATIONINSIGHTS_CONNECTION_STRING)


def instrument() -> bool:
    """Patch the libraries we trace (before the middleware chain is built); nothing when off."""
    if not enabled():
        return False
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.metrics import NoOpMeterProvider

    # No metrics are exported (request and dependency records already give Application Insights
    # the rates, durations and failures), so the instrumentations record none: by default they
    # would still build the attributes of a duration histogram and an active-requests counter on
    # every upstream call.
    no_metrics = NoOpMeterProvider()
    # Outermost of all: the request's span covers every other middleware (the session's Redis
    # read included), and quiet requests make no spans at all.
    settings.MIDDLEWARE.insert(0, REQUEST_MIDDLEWARE)
    RequestsInstrumentor().instrument(request_hook=_on_upstream_request, meter_provider=no_metrics)
    _trace_redis_commands()
    PsycopgInstrumentor().instrument(skip_dep_check=True)
    # Pages run independent upstream calls side by side on thread pools that run each task in a
    # copy of the submitter's context (upstream.ContextThreadPoolExecutor), which
    # holds OpenTelemetry's current span: those dependencies belong to the request without the
    # threading instrumentation, which wraps every thread pool's submit, gunicorn's (which hands
    # each request to a thread) included: about 35 us a request on gunicorn's main thread alone
    # (py-spy, history page). Without it history's p50 overhead went from +12-16 % to +10-12 %
    # (three same-run comparisons each).
    return True


def uninstrument() -> None:
    """Undo `instrument()` (for tests, which instrument one module's worth of requests)."""
    import redis
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    for instrumentor in (RequestsInstrumentor(), PsycopgInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    traced = redis.Redis.execute_command
    redis.Redis.execute_command = getattr(traced, "untraced", traced)  # type: ignore[method-assign]
    if REQUEST_MIDDLEWARE in settings.MIDDLEWARE:
        settings.MIDDLEWARE.remove(REQUEST_MIDDLEWARE)


def start(
    *, span_processors: Iterable[Any] = (), log_record_processors: Iterable[Any] = ()
) -> bool:
    """Set up providers, sampler and exporters (threads); do nothing when telemetry is off.

    Extra processors see every span and log record the exporters see (tests add in-memory ones).
    """
    if not enabled():
        return False
    for name, value in _EXPORTER_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    from azure.monitor.opentelemetry.exporter import (
        ApplicationInsightsSampler,
        AzureMonitorLogExporter,
    )
    from opentelemetry import trace
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.instrumentation.logging.handler import LoggingHandler
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from telemetry.exporter import SpanExporter

    # The providers are built here rather than by the distro's `configure_azure_monitor`, which
    # also registers a GenAI agent span processor (run on the request's thread at the start and
    # end of every span) and sets up metrics, instrumentations and resource detectors we turn off
    # again. Together with the no-op meter provider (instrument()), this took home's p50 overhead
    # from +32 % / +31 % to +22 % / +20 % and history's from +35 % / +37 % to +25 % / +30 % (two
    # same-run comparisons of 600 requests a side, 2-CPU machine).
    connection_string = settings.APPLICATIONINSIGHTS_CONNECTION_STRING
    # service.name is Application Insights' cloud role name; service.version its application
    # version. Resource.create adds the SDK's own attributes and those of OTEL_RESOURCE_ATTRIBUTES.
    resource = Resource.create(
        {SERVICE_NAME: settings.TELEMETRY_ROLE_NAME, SERVICE_VERSION: settings.BUILD_NUMBER}
    )
    tracer_provider = TracerProvider(
        # Application Insights' own sampler: it keeps or drops a whole trace (request,
        # dependencies, exceptions) by its id. Custom events are always sent.
        sampler=ApplicationInsightsSampler(sampling_ratio=settings.TELEMETRY_SAMPLING_RATIO),
        resource=resource,
    )
    for span_processor in span_processors:
        tracer_provider.add_span_processor(span_processor)
    # The request only appends to the processor's bounded queue (2,048 items, OTEL_BSP_*); the
    # exporter converts and sends from the processor's own thread. Ours, not
    # AzureMonitorTraceExporter: the same envelopes as plain dicts, at a fraction of the CPU
    # (telemetry.exporter says why); a batch it cannot send is dropped, not kept on disk.
    tracer_provider.add_span_processor(BatchSpanProcessor(SpanExporter(connection_string)))
    trace.set_tracer_provider(tracer_provider)

    logger_provider = LoggerProvider(resource=resource)
    for log_record_processor in log_record_processors:
        logger_provider.add_log_record_processor(log_record_processor)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(
            AzureMonitorLogExporter(
                connection_string=connection_string,
                # A batch that cannot be sent is dropped rather than kept on the pod's disk.
                disable_offline_storage=True,
            )
        )
    )
    set_logger_provider(logger_provider)
    # Custom events travel as log records on the events logger only (see EVENTS_LOGGER).
    _events.addHandler(LoggingHandler(logger_provider=logger_provider))
    # azure-core logs every event export's request and response headers at INFO.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    _events.setLevel(logging.INFO)
    # Events are for Application Insights; the audit log already records the action on stdout's
    # side, so they are not repeated as log lines.
    _events.propagate = False
    return True


def track_action(*, context: Any, action: str, outcome: str, subject: Any, **extra: Any) -> None:
    """Send the custom event for one audited action's outcome (migrations_ui.services.audit).

    `context` is an AuditContext (user, request id) and `subject` a Subject (kind, id, migration
    type and id). Recorded in the request's trace, so it sits beside the request in the portal.
    """
    if not _events.handlers:  # telemetry is off: start() never attached the exporting handler
        return
    username = getattr(context.user, "username", "") or ""
    name = EVENT_NAMES.get(action, f"nomis-sync-dashboard-{action.lower().replace('_', '-')}")
    properties: dict[str, Any] = {
        "microsoft.custom_event.name": name,
        "action": action,
        "outcome": outcome,
        "username": username,
        "migrationType": subject.migration_type,
        "migrationId": subject.migration_id,
        "subjectKind": subject.kind,
        "subjectId": subject.id,
        "requestId": context.request_id,
        # The authenticated user of the event, as on the request.
        "enduser.id": username,
    }
    if extra.get("upstream_status") is not None:
        properties["upstreamStatus"] = extra["upstream_status"]
    _events.info(name, extra=properties)


# -- Requests


def _is_quiet(path: str) -> bool:
    return path in QUIET_PATHS or path.startswith(settings.STATIC_URL)


REQUEST_MIDDLEWARE = "telemetry.RequestTelemetryMiddleware"
# The WSGI names of the headers that carry a caller's trace context (W3C trace context, baggage).
_TRACE_HEADERS = frozenset({"HTTP_TRACEPARENT", "HTTP_TRACESTATE", "HTTP_BAGGAGE"})


class RequestTelemetryMiddleware:
    """The request record: one server span per dashboard request, the parent of its dependencies.

    Ours rather than opentelemetry-instrumentation-django's middleware, which spent 350-400 us of
    CPU on each request (a bare server span with these attributes: about 70 us) and was the
    larger part of telemetry's cost to a page (issue 15: home and history +30 % with it, +10-14 %
    without). It records what Application Insights shows of a request: its route template as the
    name, method, redacted URL, status, the signed-in user, the request id, an exception raised
    by the view (once), and the caller's W3C trace context when there is one.

    A quiet request (probes, assets) makes no span, and nothing it calls is traced either: /health
    pings every upstream.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from opentelemetry import context, propagate, trace
        from opentelemetry.instrumentation.utils import suppress_instrumentation
        from opentelemetry.instrumentation.wsgi import wsgi_getter
        from opentelemetry.trace import SpanKind

        self.get_response = get_response
        # The global tracer provider's tracer: a proxy until start() has set the real provider.
        self.tracer = trace.get_tracer(__name__)
        # Looked up once here rather than imported on every request: this code runs cold, after
        # a whole page has gone through the CPU's caches, and every step of it counts (below).
        self._attach, self._detach = context.attach, context.detach
        self._in_context = trace.set_span_in_context
        self._extract = functools.partial(propagate.extract, getter=wsgi_getter)
        self._suppress = suppress_instrumentation
        self._server = SpanKind.SERVER

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_quiet(request.path):
            with self._suppress():
                return self.get_response(request)
        method = request.method or "GET"
        meta = request.META
        span = self.tracer.start_span(
            method,
            # A caller's W3C trace context, when it sent one (most requests come from a browser,
            # which sends none, and need not go through the propagators at all).
            context=self._extract(meta) if _TRACE_HEADERS.intersection(meta) else None,
            kind=self._server,
            attributes={"http.method": method},
        )
        request._telemetry_span = span  # type: ignore[attr-defined]
        token = self._attach(self._in_context(span))
        try:
            # Django turns an exception in a view into a response below this middleware; only
            # something like a worker being stopped gets through.
            response = self.get_response(request)
        except BaseException:
            span.end()
            raise
        finally:
            self._detach(token)
        if not span.is_recording():
            span.end()
            return response
        # The request's duration ends here, but its description (the absolute URL, the host
        # check, ten attributes) and the hand-over to the exporter wait until the server has sent
        # the response and closes it, so the person waiting does not wait for them: telemetry's
        # p50 overhead went from +12.8 % to +10.5 % on home, +14.2 % to +11.0 % on history
        # (three same-run comparisons each).
        ended = time.time_ns()
        response._resource_closers.append(  # type: ignore[attr-defined]
            lambda: _finish_request(span, request, response, ended)
        )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """An exception raised by a view, recorded once on its request (Django then answers 500)."""
        span = getattr(request, "_telemetry_span", None)
        if span is not None and span.is_recording():
            span.record_exception(exception)


def _finish_request(span: Any, request: HttpRequest, response: HttpResponse, ended: int) -> None:
    from opentelemetry.trace import Status, StatusCode

    try:
        _describe_request(span, request, response)
        if response.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR))
    finally:
        span.end(end_time=ended)


def _describe_request(span: Any, request: HttpRequest, response: HttpResponse) -> None:
    """Set the request's attributes once the view has run (its route and user are known then)."""
    match = request.resolver_match
    route = match.route if match is not None else ""
    if route:
        span.update_name(f"{request.method} {route}")
    scheme, host = request.scheme, request.get_host()
    target = _without_query_values(request.get_full_path())
    attributes: dict[str, Any] = {
        "http.scheme": scheme,
        "http.host": host,
        "http.target": target,
        # What build_absolute_uri() gives, from the parts already at hand: it would check the
        # host and redact the query a second time.
        "http.url": f"{scheme}://{host}{target}",
        "http.status_code": response.status_code,
    }
    if route:
        attributes["http.route"] = route
    client_ip = request.META.get("REMOTE_ADDR")
    if client_ip:
        attributes["http.client_ip"] = client_ip
    user_agent = request.META.get("HTTP_USER_AGENT")
    if user_agent:
        attributes["http.user_agent"] = user_agent
    request_id = getattr(request, "request_id", None)
    if request_id:
        attributes["request_id"] = request_id
    # Only a user already looked up: every page that needs one has by now, and reading it here
    # would load the session (and fail with Redis or the database down).
    user = signed_in_user(request)
    if user is not None:
        attributes["enduser.id"] = str(user.get_username())
    span.set_attributes(attributes)


# -- Redis


def _trace_redis_commands() -> None:
    """Every Redis command a dependency span, as opentelemetry-instrumentation-redis makes it.

    Ours rather than that instrumentation, which added about 300 us of CPU to each command in a
    gunicorn worker serving home (262-330 us in three runs; thread-CPU counters around
    `execute_command`, 3,000 requests of one command each), against about 200 us for this: it
    sets the same seven attributes one call at a time, each checked and locked, works out the
    connection's again for every command and makes the span current, though nothing runs under
    it. Here they go in with the span, the connection's are worked out once per connection pool,
    and the span is never current.

    The span: named by the command (`GET`), CLIENT, with `db.statement` the command without its
    arguments (`GET ?`: keys and values never reach telemetry), `db.redis.args_length`,
    `db.system`, `db.redis.database_index`, `net.peer.name`, `net.peer.port` and
    `net.transport`; a failed command records its exception and an error status. Pipelines are
    not traced: the dashboard sends none (Django's cache and sessions, django-redis's locks and
    counters send single commands).
    """
    import redis
    from opentelemetry import trace
    from opentelemetry.instrumentation.utils import is_instrumentation_enabled
    from opentelemetry.trace import SpanKind, Status, StatusCode

    untraced = redis.Redis.execute_command
    if hasattr(untraced, "untraced"):
        return
    # The global provider's tracer: a proxy until start() has set the real provider.
    tracer = trace.get_tracer(__name__)

    def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        if not is_instrumentation_enabled():  # a quiet request (suppress_instrumentation)
            return untraced(self, *args, **options)
        pool = self.connection_pool
        connection = getattr(pool, "_telemetry_attributes", None)
        if connection is None:
            connection = pool._telemetry_attributes = _redis_connection_attributes(
                pool.connection_kwargs
            )
        name = str(args[0]) if args else "redis"
        span = tracer.start_span(
            name,
            kind=SpanKind.CLIENT,
            attributes={
                "db.statement": " ".join([name, *("?" * (len(args) - 1))]),
                "db.redis.args_length": len(args),
                **connection,
            },
        )
        try:
            return untraced(self, *args, **options)
        except BaseException as error:
            if span.is_recording():
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            raise
        finally:
            span.end()

    execute_command.untraced = untraced  # type: ignore[attr-defined]
    redis.Redis.execute_command = execute_command  # type: ignore[method-assign]


def _redis_connection_attributes(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Where a connection pool's commands go, as the Redis instrumentation records it."""
    attributes: dict[str, Any] = {
        "db.system": "redis",
        # redis-py passes db=None for a URL without one: database 0.
        "db.redis.database_index": kwargs.get("db") or 0,
    }
    if "path" in kwargs:
        attributes["net.peer.name"] = kwargs["path"]
        attributes["net.transport"] = "other"
    else:
        attributes["net.peer.name"] = kwargs.get("host", "localhost")
        attributes["net.peer.port"] = kwargs.get("port", 6379)
        attributes["net.transport"] = "ip_tcp"
    return attributes


def _on_upstream_request(span: Any, request: Any) -> None:
    _redact_query_values(span)


def _redact_query_values(span: Any) -> None:
    if not span.is_recording():
        return
    attributes = span.attributes or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            span.set_attribute(key, _without_query_values(value, query_only=key == "url.query"))


def _without_query_values(value: str, *, query_only: bool = False) -> str:
    """`/a?code=x&state=y` → `/a?code=REDACTED&state=REDACTED` (a bare query when query_only)."""
    if query_only:
        head, query = "", value
    elif "?" in value:
        head, query = value.split("?", 1)
        head += "?"
    else:
        return value
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + fragment
    pairs = parse_qsl(query, keep_blank_values=True)
    redacted = urlencode([(name, REDACTED) for name, _ in pairs], safe="")
    return f"{head}{redacted}{fragment}"
