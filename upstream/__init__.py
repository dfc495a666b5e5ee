"""The base for every upstream client: a pooled session, timeouts always, typed errors.

Each upstream (HMPPS Auth, token verification, the migration service, the NOMIS prisoner API, the
mapping service) has one client module built on `ApiClient`. Status codes and transport failures
become `ApiError` subclasses that carry the service's display name, so one place
(`kernel.middleware.UpstreamErrorMiddleware`) can turn them into GOV.UK pages.
"""

from __future__ import annotations

import contextvars
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import exceptions as urllib3_exceptions

from kernel.logging import request_context
from upstream import deadline

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ApiError(Exception):
    """An upstream call failed. `service` is the display name users see (e.g. "HMPPS Auth")."""

    status: int | None = None

    def __init__(
        self,
        service: str,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        url: str = "",
    ) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message
        if status is not None:
            self.status = status
        self.body = body
        self.url = url

    @property
    def user_message(self) -> str:
        """`userMessage` from an HMPPS ErrorResponse body, when there is one."""
        if isinstance(self.body, dict):
            return str(self.body.get("userMessage") or "")
        return ""


class BadRequest(ApiError):
    status = 400


class Unauthorised(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class ServerError(ApiError):
    """5xx, or any other status we did not expect."""


class Unavailable(ApiError):
    """The connection was refused or dropped: nothing usable came back."""


class Timeout(Unavailable):
    """No answer within the timeout."""


class MalformedResponse(ApiError):
    """A success status with a body we could not read."""


class OutcomeUnknown(ApiError):
    """A request that changes upstream state was sent, but its answer was lost or unreadable.

    Upstream may have carried it out: the audit log records the outcome as unknown and the page
    says so, with where to check, instead of "nothing has been changed". Never retried.
    """


class AnswerTimedOut(Timeout, OutcomeUnknown):
    """Sent, then no answer within the read timeout."""


class AnswerLost(Unavailable, OutcomeUnknown):
    """Sent, then the connection closed or broke before a whole answer came back."""


class AnswerUnreadable(MalformedResponse, OutcomeUnknown):
    """A success status for a state-changing request, with a body we could not read."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorised,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}

# Statuses worth retrying for an idempotent request (the existing dashboard's list).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 521, 522, 524})
# Only reads are retried. A DELETE is idempotent in HTTP terms, but a second one after a lost
# answer would be a second audited action whose 404 hides what the first did.
RETRIED_METHODS = frozenset({"GET", "HEAD"})


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the connection was never made (refused, no route, DNS, connect timeout).

    Only then is it certain the request was not sent. Anything else (a read timeout, a reset or
    a close after sending, a broken body) may have reached upstream.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3_exceptions.ConnectTimeoutError):  # NewConnectionError too
            return True
        if isinstance(current, urllib3_exceptions.MaxRetryError) and current.reason is not None:
            pending.append(current.reason)
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return False


# One connection pool per upstream base URL for the whole process, shared by every client object,
# so consecutive requests reuse kept-alive connections instead of opening new ones. urllib3's pools
# are thread-safe; the per-request Session objects around them are cheap.
_POOLS: dict[str, HTTPAdapter] = {}
_POOLS_LOCK = threading.Lock()


def _pool_for(base_url: str) -> HTTPAdapter:
    with _POOLS_LOCK:
        pool = _POOLS.get(base_url)
        if pool is None:
            pool = _POOLS[base_url] = HTTPAdapter(
                pool_connections=1, pool_maxsize=32, max_retries=0
            )
        return pool


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context.

    So a call made on the pool for a request keeps that request's deadline (upstream.deadline)
    and its request id in log lines. Work that must outlive the request (a background refresh)
    clears the deadline itself.
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


# Independent upstream calls of one request run side by side on this shared pool of threads, so
# a page waits for its slowest call rather than their sum, without starting threads per request.
_EXECUTOR = ContextThreadPoolExecutor(max_workers=32, thread_name_prefix="upstream")


def executor() -> ThreadPoolExecutor:
    return _EXECUTOR


def path_segment(value: str) -> str:
    """Percent-encode one path segment (migration ids contain colons; room names spaces)."""
    return quote(value, safe="")


class ApiClient(requests.Session):
    """A `requests.Session` bound to one upstream's base URL, with its timeout and retry rules.

    Subclasses set `service` (display name) and `setting_key` (the UPSTREAM_TIMEOUTS key) and
    add one method per endpoint, each citing the endpoint it calls.
    """

    service = "upstream service"
    # Reads are retried this many extra times on connection errors and RETRY_STATUSES.
    retries = 2
    # Methods whose lost answer leaves the outcome unknown (`OutcomeUnknown`). A client whose
    # POSTs only ask for something (a token, a verification) sets this to empty.
    state_changing_methods: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    retry_backoff_seconds = 0.2

    def __init__(self, base_url: str, *, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.mount(f"{self.base_url}/", _pool_for(self.base_url))
        self.headers["Accept"] = "application/json"
        # Upstreams are reached directly. Trusting the environment would make requests re-read
        # proxy variables and ~/.netrc on every call (about half a millisecond each time).
        self.trust_env = False

    def close(self) -> None:
        """Leave the shared connection pool open: it outlives any one client object."""

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        auth: Any = None,
        timeout: tuple[float, float] | None = None,
    ) -> requests.Response:
        """Send a request; return the response if 2xx, else raise the matching ApiError.

        GET and HEAD are retried on connection errors and transient statuses; POST, PUT and
        DELETE never are, since they may start, cancel or remove something. For those, a
        failure after the request may have been sent (a read timeout, a dropped connection) is
        an `OutcomeUnknown`; only a connection never made is a plain `Timeout`/`Unavailable`.
        Within a request, each attempt's timeouts are capped at the time left before its
        deadline (upstream.deadline), and no attempt starts once it has passed: the page
        answers in time, if only to say so.
        """
        url = self.url(path)
        retried = method.upper() in RETRIED_METHODS
        changes_state = method.upper() in self.state_changing_methods
        attempts = 1 + (self.retries if retried else 0)
        for attempt in range(1, attempts + 1):
            bounded = _within_deadline(timeout or self.timeout)
            if bounded is None:
                logger.warning("No time left in this request to call %s %s", method, url)
                raise Timeout(self.service, "did not answer within the page's time limit", url=url)
            try:
                response = self._send(
                    method,
                    url,
                    params=params,
                    json_body=json_body,
                    data=data,
                    headers=headers,
                    auth=auth,
                    timeout=bounded,
                )
            except requests.RequestException as exc:
                error: ApiError = self._transport_error(exc, url, changes_state=changes_state)
                cause: Exception = exc
                if isinstance(error, OutcomeUnknown):
                    _note_change_sent(self.service)
            else:
                if response.ok:
                    if changes_state:
                        _note_change_sent(self.service)
                    return response
                error = self._error_for(response, url)
                cause = error
                if response.status_code not in RETRY_STATUSES:
                    raise error
            backoff = self.retry_backoff_seconds * attempt
            left = deadline.remaining()
            # A retry needs the pause and a little time to be answered in; without that, the
            # failure already seen is the honest answer.
            if attempt == attempts or (left is not None and left <= backoff + MIN_ATTEMPT_SECONDS):
                raise error from cause
            logger.info("Retrying %s %s after %s (attempt %d)", method, url, error, attempt)
            time.sleep(backoff)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Any,
        headers: Mapping[str, str] | None,
        auth: Any,
        timeout: tuple[float, float],
    ) -> requests.Response:
        """`Session.request` without merging the session's cookies, hooks, proxies and
        environment into each request. A client object lives for a call or two, sends upstream
        no cookies and does not trust the environment, so there is nothing to merge. Merging
        cost about 55 us of CPU a call against the sandbox (390 against 445 us, runs taking
        turns): requests 2.34 checks each merged value against a `typing.Protocol`, which is
        slow on Python 3.11. The same request is sent: the call's headers over the client's."""
        merged = CaseInsensitiveDict(self.headers)
        merged.update(headers or {})
        prepared = requests.Request(
            method,
            url,
            params=_query_string(params),
            json=json_body,
            data=data,
            headers=merged,
            auth=auth,
        ).prepare()
        return self.send(prepared, timeout=timeout)

    def _transport_error(
        self, exc: requests.RequestException, url: str, *, changes_state: bool
    ) -> ApiError:
        if _never_connected(exc):
            if isinstance(exc, requests.Timeout):
                return Timeout(self.service, "timed out connecting", url=url)
            return Unavailable(self.service, "could not be reached", url=url)
        if isinstance(exc, requests.Timeout):
            if changes_state:
                return AnswerTimedOut(self.service, "did not answer in time once asked", url=url)
            return Timeout(self.service, "timed out", url=url)
        if changes_state:
            return AnswerLost(self.service, "closed the connection before answering", url=url)
        return Unavailable(self.service, "could not be reached", url=url)

    def _error_for(self, response: requests.Response, url: str) -> ApiError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500]
        error_class = _BY_STATUS.get(response.status_code, ServerError)
        return error_class(
            self.service,
            f"answered HTTP {response.status_code}",
            status=response.status_code,
            body=body,
            url=url,
        )

    def json_of(self, response: requests.Response) -> Any:
        """The response body as JSON, or MalformedResponse."""
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise self.unreadable(response, "sent a response that could not be read") from exc

    def unreadable(self, response: requests.Response, message: str) -> MalformedResponse:
        """The error for a 2xx body we cannot read; `AnswerUnreadable` if it answered a change.

        A success status to a state-changing request says upstream did it, but not (readably)
        what it did, e.g. the id of the migration it started.
        """
        method = str(getattr(response.request, "method", "") or "").upper()
        error_class = (
            AnswerUnreadable if method in self.state_changing_methods else MalformedResponse
        )
        return error_class(self.service, message, url=response.url)


def _note_change_sent(service: str) -> None:
    """Remember, for the rest of the request, that a change reached (or may have reached) upstream.

    So a failure later in the same request (a session that cannot be saved with Redis down) is
    not reported as "nothing has been changed" (nomis_sync.views.server_error).
    """
    context = request_context.get()
    if context is not None:
        context.setdefault("change_sent_to", service)


def change_sent_to() -> str | None:
    """The service this request has sent a change to (done, or its answer lost), if any."""
    context = request_context.get()
    return context.get("change_sent_to") if context is not None else None


# An attempt with less time than this left before the deadline is not worth starting.
MIN_ATTEMPT_SECONDS = 0.05


def _within_deadline(timeout: tuple[float, float]) -> tuple[float, float] | None:
    """The (connect, read) timeout capped at the time left in this request; None when none is."""
    left = deadline.remaining()
    if left is None:
        return timeout
    if left < MIN_ATTEMPT_SECONDS:
        return None
    return (min(timeout[0], left), min(timeout[1], left))


def _query_string(params: Mapping[str, Any] | None) -> str:
    """The query, encoded: absent values left out (upstream-api.md §2.3), lists sent as repeated
    keys, as `requests` encodes a mapping ("" for none).

    Encoded here because `requests` checks a mapping, even the empty one it puts for none,
    against two `typing.Protocol`s before encoding it, slow on Python 3.11: preparing a request
    with three parameters took 89 us with the mapping and takes 44 us with this string, which
    takes 8 us to write; with none, 72 us and now 42 us (timeit).
    """
    if params is None:
        return ""
    pairs = []
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs += [(key, item) for item in values if item is not None]
    return urlencode(pairs)
