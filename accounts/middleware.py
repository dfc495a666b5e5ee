"""Keep a signed-in session honest: re-authenticate when the HMPPS Auth token is no longer good.

- The token has expired: back through `/sign-in?next=<this page>`. HMPPS Auth's own session makes
  that silent, and the callback rewrites the user's roles, so a removed role is gone from then on.
  A form (POST) is not carried out and not turned into a GET of its address: after signing in
  the user is told it was not carried out, and why (`accounts.refused`).
- With TOKEN_VERIFICATION_ENABLED, the token is checked with the token verification API at most once
  per TOKEN_VERIFICATION_INTERVAL_SECONDS per session; inactive (e.g. signed out elsewhere) ends the
  local session and signs in again.
Probes, static files and the sign-in routes themselves skip all of this (and never load a session).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control

from accounts import session as signed_in
from accounts.clients.token_verification import TokenVerificationClient
from accounts.refused import changes_something, refuse_until_signed_in

logger = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset(
    {
        "/ping",
        "/info",
        "/health",
        "/sign-in",
        "/sign-in/callback",
        "/sign-out",
        "/autherror",
        "/authError",
    }
)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(settings.STATIC_URL)


def sign_in_again(request: HttpRequest) -> HttpResponse:
    """Redirect to sign-in, returning to this page; a form is refused and explained instead."""
    if changes_something(request):
        return refuse_until_signed_in(request)
    return HttpResponseRedirect(
        f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}"
    )


class HmppsSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_public(request.path) or not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        session = request.session
        if signed_in.token_expired(session, now):
            logger.info("HMPPS Auth token expired; signing in again")
            return sign_in_again(request)
        if settings.TOKEN_VERIFICATION_ENABLED and signed_in.verification_due(session, now):
            token = session.get(signed_in.ACCESS_TOKEN)
            with TokenVerificationClient() as client:
                active = isinstance(token, str) and client.is_active(token)
            if not active:
                logger.info("HMPPS Auth token no longer active; signing in again")
                logout(request)
                return sign_in_again(request)
            session[signed_in.VERIFIED_AT] = now
        signed_in.renew_if_due(session, now)
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in user.

    Those pages name people, migrations and audit records: after sign-out, nothing of them may be
    served again from the browser's history cache or kept by a proxy on the way.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Decided before the view runs: signing out during the request still gets the header.
        signed_in_user = not is_public(request.path) and request.user.is_authenticated
        response = self.get_response(request)
        if signed_in_user:
            patch_cache_control(response, no_store=True, private=True)
        return response
