"""Application Insights ingestion, so the dashboard's telemetry can be seen without Azure.

``POST /v2.1/track`` (and ``/v2/track``) takes a batch of telemetry envelopes as the real
endpoint does: a JSON array or one envelope a line, plain or gzip, answered with
``{"itemsReceived", "itemsAccepted", "errors"}``. ``GET /__sandbox/ingestion`` lists what was
received (``?type=RequestData`` etc. picks one kind; ``?name=`` one event, request or dependency
name), newest last; ``DELETE`` forgets it. Point the dashboard at it with
``APPLICATIONINSIGHTS_CONNECTION_STRING=InstrumentationKey=<any>;IngestionEndpoint=<sandbox URL>/``.

It is separate from ``/__sandbox/telemetry``, which is what the *migration service* would have
sent. What arrives here is kept apart from the engine: a sandbox reset does not clear it.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections import deque
from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox.util import empty_response, json_response

# The most recent envelopes, oldest dropped first: enough for a benchmark's worth of requests.
KEPT = 20_000
_received: deque[dict[str, Any]] = deque(maxlen=KEPT)
_lock = threading.Lock()


def _envelopes(request: HttpRequest) -> list[Any]:
    body = request.body
    if request.headers.get("Content-Encoding", "").lower() == "gzip" or body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    text = body.decode("utf-8").strip()
    if text.startswith("["):
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def track(request: HttpRequest) -> HttpResponse:
    """``POST /v2.1/track``: accept every well-formed envelope of the batch."""
    try:
        envelopes = _envelopes(request)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        return json_response(
            {
                "itemsReceived": 0,
                "itemsAccepted": 0,
                "errors": [{"index": 0, "statusCode": 400, "message": f"Invalid payload: {exc}"}],
            },
            400,
        )
    errors = [
        {"index": index, "statusCode": 400, "message": "Not a telemetry envelope"}
        for index, envelope in enumerate(envelopes)
        if not isinstance(envelope, dict) or "name" not in envelope or "data" not in envelope
    ]
    rejected = {error["index"] for error in errors}
    with _lock:
        _received.extend(e for i, e in enumerate(envelopes) if i not in rejected)
    return json_response(
        {
            "itemsReceived": len(envelopes),
            "itemsAccepted": len(envelopes) - len(errors),
            "appId": None,
            "errors": errors,
        },
        206 if errors else 200,
    )


def received(request: HttpRequest) -> HttpResponse:
    """``GET /__sandbox/ingestion``: what was received; ``DELETE`` empties it."""
    if request.method == "DELETE":
        with _lock:
            _received.clear()
        return empty_response(204)
    wanted_type = request.GET.get("type")
    wanted_name = request.GET.get("name")
    with _lock:
        items = list(_received)
    if wanted_type:
        items = [e for e in items if _base(e).get("baseType") == wanted_type]
    if wanted_name:
        items = [e for e in items if _base(e).get("baseData", {}).get("name") == wanted_name]
    return json_response({"count": len(items), "items": items})


def _base(envelope: dict[str, Any]) -> dict[str, Any]:
    data = envelope.get("data")
    return data if isinstance(data, dict) else {}
