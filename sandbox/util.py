"""Small helpers shared by the views: clock, date-time parsing, JSON responses."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse

LONDON = ZoneInfo("Europe/London")

# Upstream accepts ISO-8601 local date-times only (no zone, no bare dates), §2.2.
_LOCAL_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$")


class BadRequest(ValueError):
    """Input the upstream would reject with 400; the message becomes the ``userMessage``."""


def now_local() -> datetime:
    """Current server time in Europe/London, as a naive local date-time (like the upstream)."""
    return datetime.now(LONDON).replace(tzinfo=None)


def format_ts(value: datetime) -> str:
    """Response timestamp as Jackson writes a LocalDateTime (ISO_LOCAL_DATE_TIME).

    Seconds always; the fraction with its trailing zeros trimmed, and none when it is zero:
    ``2022-03-14T10:13:56.878627``, ``2022-03-14T10:13:56.87``, ``2022-03-14T10:13:56``.
    """
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def format_dt(value: datetime) -> str:
    """Filter date-time: seconds always present, fraction only when non-zero."""
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def parse_local_dt(value: str, name: str) -> datetime:
    """Parse a local date-time parameter or raise :class:`BadRequest`."""
    if not isinstance(value, str) or not _LOCAL_DT.match(value):
        raise BadRequest(f"Validation failure: {name} must be a local date-time, was {value!r}")
    if "." in value:
        head, frac = value.split(".")
        value = f"{head}.{frac[:6].ljust(6, '0')}"
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(
            f"Validation failure: {name} must be a local date-time, was {value!r}"
        ) from exc


def parse_bool(value: str | None, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise BadRequest(f"Validation failure: {name} must be true or false, was {value!r}")


def parse_int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"Validation failure: {name} must be a number, was {value!r}") from exc


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps(data), status=status, content_type="application/json")


def empty_response(status: int) -> HttpResponse:
    response = HttpResponse(b"", status=status)
    del response["Content-Type"]
    return response


def error_response(
    status: int, user_message: str | None = None, developer_message: str | None = None
) -> HttpResponse:
    """The ``ErrorResponse`` shape of upstream-api §2.4."""
    body: dict[str, Any] = {"status": status}
    if user_message is not None:
        body["userMessage"] = user_message
        body["developerMessage"] = developer_message or user_message
    return json_response(body, status)


def read_json(body: bytes) -> Any:
    """Parse a request body or raise :class:`BadRequest` in the upstream's wording."""
    if not body.strip():
        raise BadRequest("Validation failure: Required request body is missing")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Validation failure: JSON parse error: {exc}") from exc
