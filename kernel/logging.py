"""Structured logging: every line carries the request id and user of the request it belongs to.

With telemetry on (telemetry), lines written inside a trace also carry its `trace_id`
and `span_id`, the `operation_Id` and `id` Application Insights shows for the request or upstream
call they were written in.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from typing import Any

from django.utils.functional import LazyObject, empty
from opentelemetry import trace

request_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "request_context", default=None
)

# Attributes every LogRecord has; anything else was passed with `extra=` and is worth keeping.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RequestContextFilter(logging.Filter):
    """Copy the current request's id and user onto each record (defaults keep formats valid).

    The trace and span ids are added only inside a trace (never with telemetry off).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        context = request_context.get() or {}
        if not hasattr(record, "request_id"):
            record.request_id = context.get("request_id", "-")
        if not hasattr(record, "user"):
            record.user = username_of(context.get("request"))
        # The caller's own id for the request, when it sent a usable one (never instead of ours).
        if "incoming_request_id" in context and not hasattr(record, "incoming_request_id"):
            record.incoming_request_id = context["incoming_request_id"]
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record.trace_id = trace.format_trace_id(span.trace_id)
            record.span_id = trace.format_span_id(span.span_id)
        return True


def signed_in_user(request: Any) -> Any | None:
    """The request's signed-in user if it has been looked up already; never looks it up.

    `request.user` is lazy (set by the authentication middleware, if it ran): reading it loads
    the session from Redis and the user from the database. A log line, telemetry or an error
    page must not be what does that: with either store down it would fail in turn (an error
    page that cannot render is a bare 500), and a public path that never needed the user
    would pay for the look-up. Every page that needs the user has looked it up by the time
    these run.
    """
    user = getattr(request, "user", None)
    if isinstance(user, LazyObject) and getattr(user, "_wrapped", None) is empty:
        return None
    return user if user is not None and user.is_authenticated else None


def username_of(request: Any) -> str:
    user = signed_in_user(request)
    return str(user.get_username()) if user is not None else "-"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, user and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user": getattr(record, "user", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
