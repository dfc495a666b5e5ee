"""Request id, access log and request-scoped logging context."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from nomis_sync.logging import request_context, username_of

access_log = logging.getLogger("nomis_sync.access")

# An incoming id is echoed only if it is short and plain, so it cannot inject into logs or headers.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# Probes hit these every few seconds; logging them would drown everything else.
_QUIET_PATHS = frozenset({"/ping", "/health", "/info"})


class RequestIdMiddleware:
    """Give each request an id (echoing a sane `X-Request-Id`), log it, and return it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_context.set({"request_id": request_id, "request": request})
        try:
            response = self.get_response(request)
            response["X-Request-Id"] = request_id
            if not (response.status_code < 400 and request.path in _QUIET_PATHS):
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "user": username_of(request),
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            return response
        finally:
            request_context.reset(token)
