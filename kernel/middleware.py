"""Request id, access log, request-scoped logging context and upstream failure pages."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

import upstream
from kernel.error_pages import method_not_allowed_page, outcome_unknown_page
from kernel.logging import request_context, username_of

access_log = logging.getLogger("nomis_sync.access")
logger = logging.getLogger(__name__)

# An incoming id is kept (beside ours) only if it is short and plain, so it cannot inject into logs.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# Probes hit these every few seconds, and every page loads several assets: logging their
# successes would drown everything else (the existing dashboard does not record them either).
_QUIET_PATHS = frozenset({"/ping", "/health", "/info"})


def _quiet(path: str, status: int) -> bool:
    return status < 400 and (path in _QUIET_PATHS or path.startswith(settings.STATIC_URL))


# The paths the platform calls at the pod's own address, with whatever Host it used there (the
# pod's IP and port): the probes (Kubernetes liveness, readiness and startup, the image's
# HEALTHCHECK) and Prometheus's scrape of /metrics. Registered by the apps that serve them.
POD_PATHS: dict[str, Callable[[HttpRequest], HttpResponse]] = {}


def register_pod_path(path: str, view: Callable[[HttpRequest], HttpResponse]) -> None:
    POD_PATHS[path] = view


class ProbeHostMiddleware:
    """Answer `/ping` and `/metrics` at the pod's address; every other path keeps Django's check.

    The kubelet sends `Host: <pod IP>:<port>`, which is not in ALLOWED_HOSTS (the ingress host), so
    Django would answer 400 and no pod would ever become ready. Only a request from a host that is
    not allowed is answered here, before anything reads the host: a probe from an allowed host (the
    ingress, a laptop, the benchmark's floor) still goes through the whole stack, and `/metrics`,
    which has no URL of its own, is a 404 there, so it cannot be read through the ingress.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = POD_PATHS.get(request.path)
        if view is not None and request.method in ("GET", "HEAD"):
            host = request._get_raw_host()  # type: ignore[attr-defined]
            domain, _port = split_domain_port(host)
            if not (domain and validate_host(domain, _allowed_hosts())):
                return view(request)
        return self.get_response(request)


def _allowed_hosts() -> list[str]:
    # Django's own rule (HttpRequest.get_host): with DEBUG and no ALLOWED_HOSTS, localhost is fine.
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        return [".localhost", "127.0.0.1", "[::1]"]
    return list(allowed)


class RequestIdMiddleware:
    """Give each request a fresh id of our own, log it, and return it in `X-Request-Id`.

    The id is always generated here: it is written into the audit log, so a caller must not be
    able to choose it (and so make two audit records look like one request). A sane incoming
    `X-Request-Id` (from the ingress, or another service) is kept beside it as
    `incoming_request_id`, on the request and on every log line, to join the two up.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        context = {"request_id": request_id, "request": request}
        if _SANE_REQUEST_ID.match(incoming):
            request.incoming_request_id = incoming  # type: ignore[attr-defined]
            context["incoming_request_id"] = incoming
        token = request_context.set(context)
        try:
            response = self.get_response(request)
            response["X-Request-Id"] = request_id
            # The level check comes first: naming the user may load the session.
            if access_log.isEnabledFor(logging.INFO) and not _quiet(
                request.path, response.status_code
            ):
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


class MethodNotAllowedMiddleware:
    """Every 405 is the GOV.UK error page, keeping its `Allow` header.

    Django has no handler405: class-based views and `require_POST` answer with an empty body,
    which a browser shows as a blank page (a link followed to a form's address, an old
    bookmark of a POST-only page, a form re-sent as a GET).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405:
            return response
        return method_not_allowed_page(request, response.get("Allow", ""))


class UpstreamErrorMiddleware:
    """Turn any upstream failure a view did not handle into a GOV.UK page naming the service.

    This is the one place failures are translated (style.md §4): developers get a log line with the
    request id and upstream URL, users a plain sentence, the next step and a fitting status.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, upstream.ApiError):
            return None
        if isinstance(exception, upstream.OutcomeUnknown):
            # Views that send changes catch this and link to where to check; this is the
            # fallback for one that does not, and still never says "nothing has been changed".
            return outcome_unknown_page(
                request, exception, done="your change was carried out", checks=_audit_log_check()
            )
        status, title, advice = _describe(exception)
        log = logger.error if status >= 500 and status != 504 else logger.warning
        log(
            "Upstream failure from %s: %s (%s)",
            exception.service,
            exception.message,
            exception.url,
            extra={"upstream_status": exception.status, "upstream_service": exception.service},
        )
        return render(
            request,
            "errors/upstream.html",
            {"title": title, "advice": advice, "service": exception.service},
            status=status,
        )


def _audit_log_check() -> list[tuple[str, str]]:
    try:
        return [("The audit log", reverse("audit:log"))]
    except NoReverseMatch:  # a URL configuration without the audit pages (tests)
        return []


def _describe(error: upstream.ApiError) -> tuple[int, str, str]:
    service = error.service
    if isinstance(error, upstream.Timeout):
        return (
            504,
            f"The {service} did not respond in time",
            "Nothing has been changed by this page. Wait a minute and try again.",
        )
    if isinstance(error, upstream.Unavailable):
        return (
            502,
            f"The {service} could not be reached",
            "It may be restarting or down. Check its health on the /health page, then try again.",
        )
    if isinstance(error, upstream.NotFound):
        return (
            404,
            f"The {service} could not find what was asked for",
            "Check the address, or go back to the list and choose again.",
        )
    if isinstance(error, (upstream.Unauthorised, upstream.Forbidden)):
        return (
            502,
            f"The {service} refused the dashboard's request",
            "This is a permissions problem between the dashboard and the service, not with your "
            "account. Tell the team that runs the dashboard, quoting the reference below.",
        )
    if isinstance(error, upstream.MalformedResponse):
        return (
            502,
            f"The {service} sent a response the dashboard could not read",
            "Try again. If it keeps happening, tell the team that runs the dashboard.",
        )
    return (
        502,
        f"The {service} had a problem",
        "Try again in a few minutes. If it keeps happening, tell the team that runs the dashboard.",
    )
