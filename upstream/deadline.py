"""The request deadline: no page may take longer than REQUEST_DEADLINE_SECONDS.

The platform's ingress gives up on a request after 30-60 s and shows its own bare error page,
while the worker thread carries on waiting. So each request gets a deadline (set by
`RequestDeadlineMiddleware`) a little inside that, and every wait that depends on another
service fits in what is left of it: `ApiClient.call` caps each read timeout at the time left and
stops retrying when it is up, raising `Timeout`, which becomes the GOV.UK "did not respond in
time" page. Work handed to the shared upstream pool carries the deadline with it (see
`upstream.ContextThreadPoolExecutor`).

What a page can do without has a far shorter deadline of its own: the optional budget below
(docs/required-and-optional-calls.md).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

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


# -- Optional parts: what a page can do without, within a small budget
#
# A page's upstream calls are of two kinds, which each page declares (`UpstreamCalls`):
# - required: what the page is for (a history list, a migration's figures). Their failure is the
#   page's failure, answered within the request's deadline;
# - optional: what only adds to it (the home page's "Running" tags, who started each migration,
#   the dead letter count on a preview). Each gets OPTIONAL_CALL_BUDGET_SECONDS (at most 1 s);
#   past that, or on any failure, the page shows STATUS_UNAVAILABLE where it would have been. So
#   one hung service cannot hold a page that does not need it (home waited 25 s for its tags).

STATUS_UNAVAILABLE = "Status unavailable"


@dataclass(frozen=True)
class UpstreamCalls:
    """What a page asks other services (and the audit log) for, by whether it needs the answer."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


def optional_deadline() -> float:
    """The time.monotonic() by which this request's optional parts must be done."""
    at = time.monotonic() + settings.OPTIONAL_CALL_BUDGET_SECONDS
    current = _deadline.get()
    return at if current is None else min(at, current)


def run_until(at: float, fn: Callable[..., T], /, *args: Any) -> T:
    """Call `fn(*args)` with `at` (a time.monotonic()) as its deadline, or the current one if
    sooner: each upstream call in it is capped to end by then (`ApiClient.call`).
    """
    current = _deadline.get()
    token = _deadline.set(at if current is None else min(at, current))
    try:
        return fn(*args)
    finally:
        _deadline.reset(token)
