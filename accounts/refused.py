"""A form sent after the sign-in ran out: refused, kept in mind, and explained after signing in.

Signing in again goes through HMPPS Auth and comes back with a GET, so the form's POST cannot
be replayed, and must not be silently: the figures it was based on may have changed. Instead the
session remembers what was refused, and after sign-in `/session-expired` says "Your session had
expired, so your request to <action> was not carried out", with a link back to the form's page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

logger = logging.getLogger(__name__)

# Session key (a name, not a secret): what was refused and where the form was.
REFUSED = "accounts.refused_while_signed_out"
# Views that change something name it for this page: `action_words = "cancel the migration"`.
ACTION_WORDS_ATTRIBUTE = "action_words"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def changes_something(request: HttpRequest) -> bool:
    return (request.method or "GET").upper() not in SAFE_METHODS


def action_words(request: HttpRequest) -> str:
    """What the refused form asked for, in the words its view gives, or "" if it gives none."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return ""
    view_class = getattr(match.func, "view_class", None)
    return str(getattr(view_class, ACTION_WORDS_ATTRIBUTE, "") or "")


def _form_page(request: HttpRequest) -> str:
    """The page the form was on (its Referer, when on this site), else the home page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parsed = urlparse(referer)
        return parsed.path + (f"?{parsed.query}" if parsed.query else "")
    return "/"


def refuse_until_signed_in(request: HttpRequest) -> HttpResponse:
    """Do not carry out this form; sign in again, then say so on `/session-expired`."""
    note: dict[str, Any] = {"action": action_words(request), "back": _form_page(request)}
    logger.info("A %s to %s arrived after sign-in ran out: refused", request.method, request.path)
    request.session[REFUSED] = note
    next_url = reverse("session-expired")
    return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}")


def pop_refused(request: HttpRequest) -> dict[str, str] | None:
    note = request.session.pop(REFUSED, None)
    if not isinstance(note, dict):
        return None
    return {"action": str(note.get("action") or ""), "back": str(note.get("back") or "/")}
