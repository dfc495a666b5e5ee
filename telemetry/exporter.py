"""Spans to Application Insights: our own exporter, in place of `AzureMonitorTraceExporter`.

Why: the Azure exporter turns each span into generated model objects (`TelemetryItem`,
`RequestData`, ...) and serialises those. Measured on this app's spans, that conversion cost about
620 us of CPU a span and its serialisation another 40 us. It runs on the batch processor's thread
inside the gunicorn worker, but it holds the GIL while it does, so every page waits on it: with
telemetry on, pages were 15-30 % slower (the issue allows 15 %). Building the same envelopes as
plain dicts costs about a tenth of that: on a mix of the app's request, HTTP, Redis and PostgreSQL
spans, 30-55 us a span against Azure's 340-600 us in the same runs (about 11 times less in each, the
spread being the machine's load), and 15-22 us more for JSON and gzip against Azure's 20-40 us
for JSON alone.

What is built is what the Azure exporter builds for the spans this app makes, field for field
(`tests/unit/test_appinsights_export.py` compares the two span by span): requests (our
middleware's SERVER spans), dependencies (requests' HTTP calls, Redis commands and PostgreSQL
queries, as CLIENT spans; anything INTERNAL as "InProc"), and one exception (or message) envelope
per span event. The rules kept are the Azure exporter's (`export/trace/_exporter.py` and
`_utils.py` in azure-monitor-opentelemetry-exporter); those for span shapes no instrumentation
here makes (messaging, RPC, GenAI, Azure SDK spans, links, custom measurements) are left out, and
such a span is still sent, as a plain dependency. Differences on purpose: `ai.internal.sdkVersion`
names this exporter; `ai.device.locale` is not sent (the server's locale says nothing about a
request); a `server.address` without `server.port` is the host alone (Azure's reads "host:None");
no span is marked `_MS.ProcessedByMetricExtractors` (no metrics are sent, so Application Insights
must derive its standard ones from these items).

How it is sent: one gzip'd JSON array a batch, POSTed to the connection string's ingestion
endpoint with urllib (not requests, whose instrumentation would make spans of the export itself).
A batch that is not accepted at once is dropped with one warning: no retry and nothing kept on
disk, as the Azure exporter was configured before (`disable_offline_storage`), so an ingestion
endpoint that is down or slow costs telemetry, never pages.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import platform
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from contextlib import suppress
from email.message import Message
from importlib.metadata import version
from typing import IO, Any
from urllib.parse import urlparse

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter as _SdkSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind

_logger = logging.getLogger(__name__)

# Where a connection string without an IngestionEndpoint sends (the Azure exporter's default).
DEFAULT_ENDPOINT = "https://dc.services.visualstudio.com/"
TRACK_PATH = "v2.1/track"

# Identifies the sender in `ai.internal.sdkVersion` (the Azure exporter sends its own version
# there; Application Insights only shows it).
SDK_VERSION = (
    f"py{platform.python_version()}:otel{version('opentelemetry-sdk')}:nomis-sync-dashboard"
)

_REQUEST = "Microsoft.ApplicationInsights.Request"
_DEPENDENCY = "Microsoft.ApplicationInsights.RemoteDependency"
_EXCEPTION = "Microsoft.ApplicationInsights.Exception"
_MESSAGE = "Microsoft.ApplicationInsights.Message"
# The schema version of every data part.
_VER = 2

# ApplicationInsightsSampler records the trace's sampling percentage on each span it keeps; it
# travels as the envelope's sampleRate, so Application Insights counts each item that many times.
_SAMPLE_RATE = "_MS.sampleRate"

# Attributes the mapping reads (or OpenTelemetry defines) are not repeated as custom properties;
# everything else (our `request_id`, for one) is. The Azure exporter's lists, as they stand.
_STANDARD_PREFIXES = (
    "http.",
    "db.",
    "message.",
    "messaging.",
    "rpc.",
    "enduser.",
    "net.",
    "peer.",
    "exception.",
    "thread.",
    "fass.",
    "code.",
)
_STANDARD_KEYS = frozenset(
    {
        "session.id",
        _SAMPLE_RATE,
        "microsoft.custom_measurements",
        "client.address",
        "client.port",
        "server.address",
        "server.port",
        "url.full",
        "url.path",
        "url.query",
        "url.scheme",
        "url.template",
        "error.type",
        "network.local.address",
        "network.local.port",
        "network.protocol.name",
        "network.peer.address",
        "network.peer.port",
        "network.protocol.version",
        "network.transport",
        "user_agent.original",
        "user_agent.synthetic.type",
    }
)
# A database's own port is left out of a dependency's target, as is HTTP's for its scheme. The
# dashboard talks to PostgreSQL and Redis only (the Azure exporter's table covers a dozen more).
_DEFAULT_DB_PORTS = {"postgresql": 5432, "redis": 6379}
_EMPTY: Mapping[str, Any] = {}


def parse_connection_string(connection_string: str) -> tuple[str, str]:
    """The instrumentation key and the track URL of `Key=value;...` (keys in any case)."""
    fields: dict[str, str] = {}
    for pair in connection_string.split(";"):
        name, equals, value = pair.partition("=")
        if equals:
            fields[name.strip().lower()] = value.strip()
    key = fields.get("instrumentationkey", "")
    if not key:
        raise ValueError("The connection string has no InstrumentationKey.")
    endpoint = fields.get("ingestionendpoint", "")
    if not endpoint and fields.get("endpointsuffix"):
        # Sovereign clouds name a suffix (and perhaps a location) rather than the endpoint.
        location = fields.get("location")
        endpoint = f"https://{location + '.' if location else ''}dc.{fields['endpointsuffix']}"
    endpoint = endpoint or DEFAULT_ENDPOINT
    if urlparse(endpoint).scheme not in ("http", "https"):
        raise ValueError("The connection string's IngestionEndpoint is not an http(s) URL.")
    return key, f"{endpoint.rstrip('/')}/{TRACK_PATH}"


class SpanExporter(_SdkSpanExporter):
    """Sends finished spans to Application Insights' track endpoint (behind a batch processor)."""

    def __init__(self, connection_string: str, *, timeout: float = 10.0) -> None:
        self.instrumentation_key, self.url = parse_connection_string(connection_string)
        self.timeout = timeout
        parsed = urlparse(self.url)
        # Named in warnings: the host alone, never the key (which is in the body only).
        self.host = f"{parsed.hostname}:{parsed.port}" if parsed.port else str(parsed.hostname)
        # Built once: it reads any proxy settings from the environment, as azure-core did.
        self._opener = urllib.request.build_opener(_RepostOnRedirect)
        self._shut_down = False
        # Every span of a process shares one resource: its tags are worked out once.
        self._resource: Resource | None = None
        self._resource_tags: dict[str, Any] = {}

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shut_down:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            envelopes: list[dict[str, Any]] = []
            for span in spans:
                envelopes.append(self.envelope(span))
                if span.events:
                    envelopes.extend(self.event_envelopes(span))
            # Level 1: telemetry JSON is repetitive enough that a higher level saves little
            # and costs CPU on the worker for every batch.
            body = gzip.compress(
                json.dumps(envelopes, separators=(",", ":")).encode("utf-8"), compresslevel=1
            )
        except Exception as error:
            # A span this cannot describe would otherwise stop the batch processor's thread.
            _logger.warning(
                "Telemetry batch of %d spans not sent: %s building it", len(spans), _name(error)
            )
            return SpanExportResult.FAILURE
        return self._send(body, len(envelopes))

    def shutdown(self) -> None:
        # Nothing is held between batches (no connection, no storage): later batches are refused.
        self._shut_down = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        # Nothing is buffered here: the batch processor hands over and waits for each export.
        return True

    def _send(self, body: bytes, count: int) -> SpanExportResult:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked to be http(s))
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        try:
            # Should anything under this be instrumented (urllib is not, here), the export must
            # not make spans of its own, which would be exported in turn.
            with (
                suppress_instrumentation(),
                self._opener.open(request, timeout=self.timeout) as response,
            ):
                status = response.status
                response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        except Exception as error:  # refused, timed out, TLS, DNS, a connection cut short
            reason = getattr(error, "reason", None)
            cause = f" ({_name(reason)})" if isinstance(reason, BaseException) else ""
            _logger.warning(
                "Telemetry batch of %d items not sent to %s: %s%s",
                count,
                self.host,
                _name(error),
                cause,
            )
            return SpanExportResult.FAILURE
        # 206: some items were refused; they are not sent again (nor are failed batches).
        if status in (200, 206):
            return SpanExportResult.SUCCESS
        _logger.warning(
            "Telemetry batch of %d items not accepted by %s: HTTP %s", count, self.host, status
        )
        return SpanExportResult.FAILURE

    # -- Envelopes

    def envelope(self, span: ReadableSpan) -> dict[str, Any]:
        """The span's request or dependency envelope."""
        # A plain copy: the mapping the SDK hands out answers each look-up in Python (about 30
        # of them a span below), a dict in C.
        attributes = dict(span.attributes or _EMPTY)
        span_id = format(span.context.span_id, "016x")
        tags = self._operation_tags(span, attributes)
        start = span.start_time or 0
        duration = _duration(span.end_time - start if span.start_time and span.end_time else 0)
        # Not marked `_MS.ProcessedByMetricExtractors`, as the Azure exporter marks requests'
        # spans: that tells Application Insights the sender worked out the standard request and
        # dependency metrics itself, and the dashboard sends no metrics, so it must work them out.
        properties = _properties(attributes)
        tags["ai.operation.name"] = span.name
        if span.kind in (SpanKind.SERVER, SpanKind.CONSUMER):
            name = _REQUEST
            base_type = "RequestData"
            data = _request_data(span, attributes, tags)
        else:
            name = _DEPENDENCY
            base_type = "RemoteDependencyData"
            data = _dependency_data(span, attributes, tags)
        data.update(id=span_id, duration=duration, properties=properties, measurements={})
        envelope: dict[str, Any] = {
            "name": name,
            "iKey": self.instrumentation_key,
            "time": _time(start),
            "tags": tags,
            "data": {"baseType": base_type, "baseData": data},
        }
        if _SAMPLE_RATE in attributes:
            envelope["sampleRate"] = attributes[_SAMPLE_RATE]
        return envelope

    def event_envelopes(self, span: ReadableSpan) -> list[dict[str, Any]]:
        """One exception envelope per `exception` event (a message for any other event).

        Tagged with the span's operation and the span as parent, so an exception raised by a view
        sits under its request.
        """
        attributes = span.attributes or _EMPTY
        envelopes = []
        for event in span.events:
            event_attributes = event.attributes or _EMPTY
            tags = dict(self._tags(span.resource))
            tags["ai.operation.id"] = format(span.context.trace_id, "032x")
            session = event_attributes.get("session.id")
            if not isinstance(session, str):
                session = attributes.get("session.id")
            if isinstance(session, str):
                tags["ai.session.id"] = session
            if span.context and span.context.span_id:
                tags["ai.operation.parentId"] = format(span.context.span_id, "016x")
            data: dict[str, Any] = {
                "ver": _VER,
                "properties": _properties(event_attributes),
                "measurements": {},
            }
            if event.name == "exception":
                kind = event_attributes.get("exception.type") or "Exception"
                message = event_attributes.get("exception.message") or "Exception"
                stack = event_attributes.get("exception.stacktrace")
                data["exceptions"] = [
                    {
                        "typeName": str(kind)[:1024],
                        "message": str(message)[:32768],
                        "hasFullStack": stack is not None,
                        # "None" without a stack, as the Azure exporter sends it.
                        "stack": str(stack)[:32768],
                    }
                ]
                name, base_type = _EXCEPTION, "ExceptionData"
            else:
                data["message"] = str(event.name)[:32768]
                name, base_type = _MESSAGE, "MessageData"
            envelope: dict[str, Any] = {
                "name": name,
                "iKey": self.instrumentation_key,
                "time": _time(event.timestamp),
                "tags": tags,
                "data": {"baseType": base_type, "baseData": data},
            }
            if _SAMPLE_RATE in attributes:
                envelope["sampleRate"] = attributes[_SAMPLE_RATE]
            envelopes.append(envelope)
        return envelopes

    def _tags(self, resource: Resource) -> dict[str, Any]:
        if resource is not self._resource:
            self._resource_tags = _resource_tags(resource)
            self._resource = resource
        return self._resource_tags

    def _operation_tags(self, span: ReadableSpan, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The resource's tags, the trace, the parent and the user: the same for every kind."""
        tags = dict(self._tags(span.resource))
        tags["ai.operation.id"] = format(span.context.trace_id, "032x")
        if "enduser.id" in attributes:
            tags["ai.user.authUserId"] = attributes["enduser.id"]
        if "enduser.pseudo.id" in attributes:
            tags["ai.user.id"] = attributes["enduser.pseudo.id"]
        user_agent = _user_agent(attributes)
        if attributes.get("user_agent.synthetic.type") in ("bot", "test") or (
            isinstance(user_agent, str) and "AlwaysOn" in user_agent
        ):
            tags["ai.operation.syntheticSource"] = "True"
        if span.parent and span.parent.span_id:
            tags["ai.operation.parentId"] = format(span.parent.span_id, "016x")
        session = attributes.get("session.id")
        if isinstance(session, str):
            tags["ai.session.id"] = session
        return tags


def _request_data(
    span: ReadableSpan, attributes: Mapping[str, Any], tags: dict[str, Any]
) -> dict[str, Any]:
    """A request's data part: its URL and response code, and whether it succeeded."""
    data: dict[str, Any] = {"ver": _VER, "responseCode": "0", "success": span.status.is_ok}
    location_ip = (
        attributes.get("client.address")
        or attributes.get("http.client_ip")
        or attributes.get("net.peer.ip")
    )
    if location_ip:
        tags["ai.location.ip"] = location_ip
    if "http.request.method" in attributes or "http.method" in attributes:
        method = _method(attributes)
        user_agent = _user_agent(attributes)
        if user_agent:
            tags["ai.user.userAgent"] = user_agent
        url = _url(attributes)
        data["url"] = url[:2048]
        if "http.route" in attributes:
            # Our middleware's route template: the span's own name once a route matched.
            tags["ai.operation.name"] = f"{method} {attributes['http.route']}"
        elif url:
            # A 404 has no route: the path stands in for it.
            with suppress(ValueError):
                tags["ai.operation.name"] = f"{method} {urlparse(url).path or '/'}"
        code = _status_code(attributes)
        data["responseCode"] = str(code)
        # A 4xx is a failed request (whoever's fault it is), as is one without a status.
        data["success"] = span.status.is_ok and code != 0 and not 400 <= code < 500
    data["name"] = str(tags["ai.operation.name"])[:1024]
    return data


def _dependency_data(
    span: ReadableSpan, attributes: Mapping[str, Any], tags: dict[str, Any]
) -> dict[str, Any]:
    """A dependency's data part: its type, target, data (URL or statement) and result code."""
    data: dict[str, Any] = {"ver": _VER, "resultCode": "0", "success": span.status.is_ok}
    target = _peer_target(attributes)
    if span.kind is SpanKind.CLIENT:
        if "http.request.method" in attributes or "http.method" in attributes:
            data["type"] = "HTTP"
            user_agent = _user_agent(attributes)
            if user_agent:
                tags["ai.user.userAgent"] = user_agent
            url = _url(attributes)
            if url:
                data["data"] = url
            target, path = _http_target_and_path(attributes, url)
            # "GET /migrate/history/..." names the call (and, as the Azure exporter has it,
            # its operation too).
            tags["ai.operation.name"] = f"{_method(attributes)} {path}"
            data["resultCode"] = str(_status_code(attributes))
        elif "db.system.name" in attributes or "db.system" in attributes:
            system = attributes.get("db.system.name") or attributes.get("db.system")
            # "postgresql" and "redis", as the Azure exporter names them (it calls some other
            # SQL systems "SQL"; the dashboard uses none).
            data["type"] = system
            for key in ("db.query.text", "db.statement", "db.operation.name", "db.operation"):
                if key in attributes:
                    data["data"] = attributes[key]
                    break
            target = _db_target(target, system, attributes)
        else:
            data["type"] = "N/A"
    else:
        # INTERNAL (and PRODUCER, which nothing here makes): work inside the process.
        data["type"] = "InProc"
    data["name"] = str(tags["ai.operation.name"])[:1024]
    if data.get("data"):
        data["data"] = str(data["data"])[:8192]
    if data["type"]:
        data["type"] = str(data["type"])[:1024]
    if target:
        data["target"] = str(target)[:1024]
    return data


def _resource_tags(resource: Resource) -> dict[str, Any]:
    """Tags from the resource: the role (service.name), its instance and version, the host."""
    attributes = resource.attributes if resource is not None else _EMPTY
    host = platform.node()
    tags: dict[str, Any] = {
        "ai.device.id": attributes.get("device.id") or host,
        "ai.device.type": "Other",
        "ai.internal.sdkVersion": SDK_VERSION,
    }
    if not attributes:
        return tags
    service = attributes.get("service.name")
    namespace = attributes.get("service.namespace")
    # service.name is always set here (TELEMETRY_ROLE_NAME), so the Azure exporter's Kubernetes
    # fallbacks for an unnamed service are not needed.
    role = f"{namespace}.{service}" if service and namespace else str(service or "")
    instance = attributes.get("k8s.pod.name") or attributes.get("service.instance.id") or host
    tags["ai.cloud.role"] = role
    tags["ai.cloud.roleInstance"] = instance
    tags["ai.internal.nodeName"] = instance
    if attributes.get("service.version"):
        tags["ai.application.ver"] = attributes["service.version"]
    return tags


def _properties(attributes: Mapping[str, Any]) -> dict[str, str]:
    """Custom attributes as text (8 KiB at most); those the mapping reads are left out."""
    return {
        key: str(value)[:8192]
        for key, value in attributes.items()
        if key
        and len(key) <= 150
        and value is not None
        and key not in _STANDARD_KEYS
        and not key.startswith(_STANDARD_PREFIXES)
    }


def _method(attributes: Mapping[str, Any]) -> Any:
    return attributes.get("http.request.method") or attributes.get("http.method")


def _user_agent(attributes: Mapping[str, Any]) -> Any:
    return attributes.get("user_agent.original") or attributes.get("http.user_agent")


def _status_code(attributes: Mapping[str, Any]) -> int:
    status = attributes.get("http.response.status_code") or attributes.get("http.status_code")
    try:
        return int(status) if status else 0
    except (TypeError, ValueError):
        return 0


def _default_http_port(attributes: Mapping[str, Any]) -> int:
    scheme = attributes.get("url.scheme") or attributes.get("http.scheme")
    return 80 if scheme == "http" else 443 if scheme == "https" else 0


def _url(attributes: Mapping[str, Any]) -> str:
    """The URL, which our middleware and requests' instrumentation record whole (query values
    redacted). The Azure exporter would piece one together from host and target attributes for
    spans without it; none of ours lacks it."""
    if "url.full" in attributes:
        return str(attributes["url.full"])
    return str(attributes.get("http.url", ""))


def _http_target_and_path(attributes: Mapping[str, Any], url: str) -> tuple[Any, str]:
    """An HTTP dependency's target (host, with any port not the scheme's own) and URL path."""
    default_port = _default_http_port(attributes)
    path = "/"
    parsed = None
    with suppress(ValueError):
        parsed = urlparse(url)
        path = parsed.path or path
    target: Any = ""
    if "server.address" in attributes:
        target = attributes["server.address"]
        port = attributes.get("server.port")
        if port is not None and port != default_port:
            target = f"{target}:{port}"
    elif "peer.service" in attributes:
        target = attributes["peer.service"]
    elif "http.host" in attributes:
        host = str(attributes["http.host"])
        with suppress(ValueError):
            parsed_host = urlparse(f"//{host}")
            target = parsed_host.hostname if parsed_host.port == default_port else host
    elif parsed is not None:
        port = None
        with suppress(ValueError):
            port = parsed.port
        if port and port == default_port:
            target = parsed.hostname or ""
        elif parsed.netloc:
            # requests' spans: the URL's host, with its port when the URL names one.
            target = parsed.netloc
    return target or _peer_target(attributes), path


def _peer_target(attributes: Mapping[str, Any]) -> Any:
    """peer.service, or the peer's name (or address) with any port not its protocol's own."""
    if "peer.service" in attributes:
        return attributes["peer.service"]
    target: Any = ""
    if "net.peer.name" in attributes:
        target = attributes["net.peer.name"]
    elif "net.peer.ip" in attributes:
        target = attributes["net.peer.ip"]
    if "net.peer.port" in attributes:
        port = attributes["net.peer.port"]
        system = attributes.get("db.system.name") or attributes.get("db.system")
        if port != _default_http_port(attributes) and port != _DEFAULT_DB_PORTS.get(str(system), 0):
            target = f"{target}:{port}"
    return target


def _db_target(target: Any, system: Any, attributes: Mapping[str, Any]) -> Any:
    """`host[:port]|database` (PostgreSQL), `host[:port]` (Redis), else the system's name."""
    if not target:
        address = attributes.get("server.address")
        if address:
            target = str(address)
            port = attributes.get("server.port")
            if port and port != _DEFAULT_DB_PORTS.get(str(system), 0):
                target = f"{target}:{port}"
    database = attributes.get("db.namespace") or attributes.get("db.name")
    if database:
        return f"{target}|{database}" if target else str(database)
    return target or system


def _duration(nanoseconds: int) -> str:
    """Application Insights' `d.hh:mm:ss.fff`, rounded to the millisecond."""
    milliseconds = (nanoseconds + 500_000) // 1_000_000
    seconds, milliseconds = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}.{hours:02d}:{minutes:02d}:{seconds:02d}.{milliseconds:03d}"


def _time(nanoseconds: int) -> str:
    """ISO 8601 in UTC with `Z`, to the microsecond (as the Azure exporter writes it)."""
    moment = dt.datetime.fromtimestamp(nanoseconds / 1e9, tz=dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _name(error: BaseException) -> str:
    return type(error).__name__


class _RepostOnRedirect(urllib.request.HTTPRedirectHandler):
    """Follow a 307/308 with the same POST (urllib would not): ingestion may redirect a batch to
    the resource's regional endpoint, and the Azure exporter followed such redirects."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        if code in (307, 308) and req.get_method() == "POST":
            return urllib.request.Request(  # noqa: S310 (urllib allows http(s) redirects only)
                newurl, data=req.data, headers=dict(req.header_items()), method="POST"
            )
        return None
