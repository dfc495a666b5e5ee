"""The start wizard's state in the session (one per migration type) and its one-time tokens.

The session keeps what the user typed (so "Change" refills the form), the upstream filter and the
estimate shown. Each preview page carries a fresh token; starting consumes it with one atomic
cache delete, so a double click, the back button or a refresh can never start a second migration
from the same preview.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache

from upstream import deadline as request_deadline

# How long a preview can be left open before "Start migration" needs a fresh preview.
TOKEN_SECONDS = 60 * 60
# How long a repeated submit waits for the first one's result before giving up (and never
# longer than the request's deadline allows).
DUPLICATE_WAIT_SECONDS = 15.0
# The session remembers this many of the preview tokens it was given (a few tabs' worth).
ISSUED_TOKENS_KEPT = 20
_ISSUED = "migrations_ui.wizard.issued-tokens"


def _key(slug: str) -> str:
    return f"migrations_ui.wizard.{slug}"


def state(session: SessionBase, slug: str) -> dict[str, Any]:
    return dict(session.get(_key(slug)) or {})


def save(session: SessionBase, slug: str, **values: Any) -> None:
    current = state(session, slug)
    current.update(values)
    session[_key(slug)] = current


def clear(session: SessionBase, slug: str) -> None:
    session.pop(_key(slug), None)


def issue_token(
    session: SessionBase, slug: str, *, estimate: int | None, filter: dict[str, Any]
) -> str:
    """A one-time token for this preview; the filter and estimate shown travel with it.

    So a start always uses exactly what its preview page showed, even with two tabs open.
    """
    token = secrets.token_urlsafe(24)
    cache.set(
        f"migrations_ui.preview:{token}",
        {"slug": slug, "estimate": estimate, "filter": filter},
        TOKEN_SECONDS,
    )
    save(session, slug, preview_token=token)
    session[_ISSUED] = [*session.get(_ISSUED, [])[-(ISSUED_TOKENS_KEPT - 1) :], token]
    return token


def _in_flight_key(token: str) -> str:
    return f"migrations_ui.preview-in-flight:{token}"


def consume_token(slug: str, token: str) -> dict[str, Any] | None:
    """The token's data if this is its first use, else None. One atomic delete decides."""
    if not token:
        return None
    key = f"migrations_ui.preview:{token}"
    data = cache.get(key)
    if not data or data.get("slug") != slug:
        return None
    if not cache.delete(key):
        return None
    # The first submit is now in flight: a repeat may wait for its result, for as long as this
    # request can last at most (a worker that dies mid-start leaves the marker to expire).
    cache.set(_in_flight_key(token), True, int(settings.REQUEST_DEADLINE_SECONDS) + 5)
    return dict(data)


def record_result(token: str, migration_id: str | None, *, unknown: bool = False) -> None:
    """What the first use of a token led to: the migration started, or None when it failed.

    `unknown`: the start was sent and its answer lost, so a repeat must not say "nothing
    was started".
    """
    cache.set(
        f"migrations_ui.preview-result:{token}",
        {"migration_id": migration_id, "unknown": unknown},
        TOKEN_SECONDS,
    )
    cache.delete(_in_flight_key(token))


def wait_for_result(session: SessionBase, token: str) -> dict[str, Any] | None:
    """What an already used token led to, waiting briefly while the first submit is running.

    Only a token issued to this session can be waited for, and only while its first submit is
    really in flight; anything else (an unknown, made-up or another session's token) answers at
    once, so repeated posts cannot hold worker threads.
    """
    if not token or token not in session.get(_ISSUED, []):
        return None
    key = f"migrations_ui.preview-result:{token}"
    wait = DUPLICATE_WAIT_SECONDS
    left = request_deadline.remaining()
    if left is not None:
        wait = min(wait, max(0.0, left - 1.0))
    give_up_at = time.monotonic() + wait
    while True:
        result = cache.get(key)
        if result is not None:
            return dict(result)
        if time.monotonic() >= give_up_at or not cache.get(_in_flight_key(token)):
            # Read once more: the first submit may have finished between the two reads.
            result = cache.get(key)
            return dict(result) if result is not None else None
        time.sleep(0.2)


def pop_flash(session: SessionBase, slug: str) -> str | None:
    """A one-off success message for the next page (post-redirect-get)."""
    message = session.pop(f"migrations_ui.flash.{slug}", None)
    return str(message) if message else None


def flash(session: SessionBase, slug: str, message: str) -> None:
    session[f"migrations_ui.flash.{slug}"] = message
