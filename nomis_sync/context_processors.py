"""Values every page's layout needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def layout(request: HttpRequest) -> dict[str, Any]:
    # Every page loads scripts, so the nonce is made now. django-csp's lazy nonce tests false until
    # it is first read, which would make the GOV.UK template leave its inline script unsigned.
    nonce = str(request.csp_nonce) if hasattr(request, "csp_nonce") else ""
    return {
        "csp_nonce": nonce,
        # The names the GOV.UK page template reads.
        "cspNonce": nonce,
        "assetPath": settings.STATIC_URL.rstrip("/"),
        "environment_name": settings.ENVIRONMENT_NAME,
        "request_id": getattr(request, "request_id", ""),
    }
