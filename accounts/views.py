"""Sign-in, sign-out, account details, the sign-in error page and the home page."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import TemplateView
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.backends import callback_url
from accounts.refused import pop_refused
from accounts.session import remember_token
from kernel.jinja2 import kept_page
from kernel.tiles import entry_role, tile_statuses, tiles_for, tiles_html
from upstream.deadline import STATUS_UNAVAILABLE, UpstreamCalls

logger = logging.getLogger(__name__)


class SignInView(OIDCAuthenticationRequestView):
    """`/sign-in`: to HMPPS Auth's authorize page (external address) with `state` and PKCE.

    `next` is kept only if it points into this site (mozilla-django-oidc's `get_next_url`);
    anything else returns to `/` after sign-in.
    """

    upstream_calls = UpstreamCalls(required=("the database (checked before going to HMPPS Auth)",))

    def get(self, request: HttpRequest) -> HttpResponse:
        # The callback writes the user row, so a sign-in cannot finish without the database:
        # say so now (its failure is the 503 page) rather than after a round trip through
        # HMPPS Auth. Redis, where the sign-in's state goes, is needed at once anyway.
        connection.ensure_connection()
        return super().get(request)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        # The registered redirect URI is on INGRESS_URL, whatever Host header reached us.
        return {"redirect_uri": callback_url()}


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """`/sign-in/callback`: any refusal, including a state that is not ours, goes to /autherror."""

    upstream_calls = UpstreamCalls(required=("HMPPS Auth: token, JWKS",))

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except SuspiciousOperation as refusal:
            logger.warning("Sign-in refused: %s", refusal)
            return self.login_failure()

    def login_failure(self) -> HttpResponse:
        if self.request.GET.get("error"):
            logger.warning(
                "HMPPS Auth answered the sign-in with error %r", self.request.GET["error"]
            )
        return HttpResponseRedirect(settings.LOGIN_REDIRECT_URL_FAILURE)

    def login_success(self) -> HttpResponse:
        # Read before login(): signing in as a different user flushes the session.
        next_url = self.request.session.pop("oidc_login_next", None) or settings.LOGIN_REDIRECT_URL
        current = getattr(self.request, "user", None)
        if current is None or not current.is_authenticated or current != self.user:
            # Rotates the session key (and flushes another user's session).
            auth.login(self.request, self.user)
        else:
            # A silent re-authentication of the same user: the user row's roles are already fresh.
            self.request.user = self.user
        remember_token(self.request.session, self.user.signed_in_token)
        return HttpResponseRedirect(next_url)


@require_safe
@never_cache
def auth_error(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/auth_error.html", status=401)


def _auth_url(path: str) -> str:
    query = urlencode(
        {"client_id": settings.AUTH_CODE_CLIENT_ID, "redirect_uri": settings.INGRESS_URL}
    )
    return f"{settings.HMPPS_AUTH_EXTERNAL_URL}/{path}?{query}"


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """POST only (CSRF-checked): end the server-side session, then HMPPS Auth's own."""
    auth.logout(request)
    return HttpResponseRedirect(_auth_url("sign-out"))


@require_safe
def account_details(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(_auth_url("account-details"))


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "home.html"
    upstream_calls = UpstreamCalls(
        optional=("M5 for each migration type shown (its tile's Running tag)",)
    )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Home is written once for each user and set of tags and kept (`kernel.jinja2.kept_page`):
        the user's permissions decide their tiles, and the tags are all else it shows.
        """
        context = self.get_context_data(**kwargs)
        key = tuple(sorted(context["statuses"].items()))
        return HttpResponse(kept_page(self.template_name, key, context, request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        tiles = tiles_for(self.request.user)
        statuses = tile_statuses(self.request.user, tiles)
        return {
            **super().get_context_data(**kwargs),
            "tiles": tiles,
            "statuses": statuses,
            "tiles_html": tiles_html(tiles, statuses),
            # Named at the top, so nobody reads a missing tag as "not running".
            "status_unknown": [
                tile.title for tile in tiles if statuses.get(tile.href) == STATUS_UNAVAILABLE
            ],
            "entry_role": entry_role(),
        }


@require_safe
@never_cache
def session_expired(request: HttpRequest) -> HttpResponse:
    """Where sign-in returns after a form was refused because the session had expired.

    Shown once: reloading it, or reaching it any other way, goes to the home page.
    """
    if not request.user.is_authenticated:
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.path})}")
    note = pop_refused(request)
    if note is None:
        return HttpResponseRedirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/session_expired.html", note)
