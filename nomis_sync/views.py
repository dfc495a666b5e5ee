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

from nomis_sync.health import run_health_checks
from nomis_sync.sessions import redis_down

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
    """The 500 page; the 503 "service unavailable" page when the cause is Redis being down.

    Django calls this inside its handler for any uncaught exception, from a view or from any
    middleware (session loading and saving included), so `sys.exc_info()` names the cause.
    """
    if redis_down(sys.exc_info()[1]):
        logger.error("Redis could not be reached: answering 503")
        # The header must not ask the session (in Redis) who is signed in.
        request.user = AnonymousUser()
        return _error_page(request, "503", 503)
    return _error_page(request, "500", 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    logger.warning("CSRF check failed: %s", reason)
    return _error_page(request, "csrf", 403)
