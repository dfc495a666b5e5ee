"""The request deadline: no page may take longer than REQUEST_DEADLINE_SECONDS.

The platform's ingress gives up on a request after 30-60 s and shows its own bare error page,
while the worker thread carries on waiting. So each request gets a deadline (set by
`RequestDeadlineMiddleware`) a little inside that, and every wait that depends on another
service fits in what is left of it: `ApiClient.call` caps each read timeout at the time left and
stops retrying when it is up, raising `Timeout`, which becomes the GOV.UK "did not respond in
time" page. Work handed to the shared upstream pool carries the deadline with it (see
`nomis_sync.upstream.ContextThreadPoolExecutor`).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The time.monotonic() by which the current request must be answered; None outside a request.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "request_deadline", default=None
)


def remaining() -> float | None:
    """Seconds left before the current request's deadline (never negative), or None if none."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


@contextmanager
def bounded(seconds: float | None) -> Iterator[None]:
    """Run the block with a deadline `seconds` from now (None: without any deadline)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


class RequestDeadlineMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bounded(settings.REQUEST_DEADLINE_SECONDS):
            return self.get_response(request)
