"""Project-level views: liveness, build information, health and error pages."""

from __future__ import annotations

import logging
import sys
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

import upstream
from kernel.datastores import DESCRIPTIONS, unavailable_store
from kernel.health import run_health_checks

logger = logging.getLogger(__name__)

_STARTED = time.monotonic()


@require_safe
@never_cache
def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "UP"})


@require_safe
@never_cache
def info(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "build": {
                "name": "hmpps-nomis-sync-dashboard",
                "version": settings.BUILD_NUMBER,
                "buildNumber": settings.BUILD_NUMBER,
                "gitRef": settings.GIT_REF,
                "gitBranch": settings.GIT_BRANCH,
            },
            "productId": settings.PRODUCT_ID,
            "uptime": round(time.monotonic() - _STARTED),
        }
    )


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    result = run_health_checks()
    return JsonResponse(result, status=200 if result["status"] == "UP" else 503)


def _error_page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return render(request, f"errors/{template}.html", status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "400", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    role = getattr(exception, "role", None)
    return render(request, "errors/403.html", {"required_role": role}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "404", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page; the 503 "service unavailable" page, naming it, when a store is down.

    Django calls this inside its handler for any uncaught exception, from a view or from any
    middleware (session loading and saving, the user's look-up), so `sys.exc_info()` names the
    cause. Neither page needs Redis or the database to render.
    """
    store = unavailable_store(sys.exc_info()[1])
    if store is None:
        return _error_page(request, "500", 500)
    # Whether this request had sent a change upstream before the store failed (a session that
    # could not be saved after an action): then "nothing has been changed" would be untrue.
    change_sent_to = upstream.change_sent_to()
    logger.error(
        "%s could not be reached: answering 503",
        store,
        extra={"unavailable_store": store, "change_sent_to": change_sent_to or "-"},
    )
    # Nothing after this may ask the session or the database who is signed in.
    request.user = AnonymousUser()
    return render(
        request,
        "errors/503.html",
        {"store": DESCRIPTIONS[store], "change_sent_to": change_sent_to},
        status=503,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("CSRF check failed: %s", reason)
    return _error_page(request, "csrf", 403)
