"""Values every page's layout needs."""

from __future__ import annotations

from typing import Any

from csp.exceptions import CSPNonceError
from django.conf import settings
from django.http import HttpRequest

from kernel.logging import signed_in_user


def nonce_of(request: HttpRequest) -> str:
    """The request's CSP nonce; empty when there is none to be had.

    Every page loads scripts, so the nonce is made now: django-csp's lazy nonce tests false until
    it is first read, which would make the GOV.UK template leave its inline script unsigned. An
    error page rendered after the CSP header was written (an exception outside the CSP
    middleware) cannot have one: it renders without working scripts rather than not at all.
    """
    try:
        return str(request.csp_nonce) if hasattr(request, "csp_nonce") else ""
    except CSPNonceError:
        return ""


def layout(request: HttpRequest) -> dict[str, Any]:
    nonce = nonce_of(request)
    return {
        # For the header: only a user already looked up, so an error page never needs Redis or
        # the database to render (kernel.logging.signed_in_user).
        "signed_in_user": signed_in_user(request),
        "csp_nonce": nonce,
        # The names the GOV.UK page template reads.
        "cspNonce": nonce,
        "assetPath": settings.STATIC_URL.rstrip("/"),
        "environment_name": settings.ENVIRONMENT_NAME,
        "request_id": getattr(request, "request_id", ""),
    }
