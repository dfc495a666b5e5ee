"""What the session keeps about the signed-in user's HMPPS Auth token, and the rolling timeout.

The session (Redis through the cache backend) holds the token's expiry, and the token itself only
when token verification needs it. Roles live on the user row and are rewritten at every sign-in.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from accounts.backends import SignedInToken

# Session keys (names, not secrets).
TOKEN_EXPIRES_AT = "hmpps_token_expires_at"  # noqa: S105
ACCESS_TOKEN = "hmpps_access_token"  # noqa: S105
VERIFIED_AT = "hmpps_token_verified_at"
RENEWED_AT = "session_renewed_at"


def remember_token(session: SessionBase, token: SignedInToken) -> None:
    """Called at each sign-in (first or silent): the new token's expiry, verified just now."""
    now = time.time()
    session[TOKEN_EXPIRES_AT] = token.expires_at
    session[VERIFIED_AT] = now
    session[RENEWED_AT] = now
    if settings.TOKEN_VERIFICATION_ENABLED:
        session[ACCESS_TOKEN] = token.access_token
    else:
        session.pop(ACCESS_TOKEN, None)


def token_expired(session: SessionBase, now: float) -> bool:
    expires_at = session.get(TOKEN_EXPIRES_AT)
    return not isinstance(expires_at, int | float) or now >= expires_at


def verification_due(session: SessionBase, now: float) -> bool:
    verified_at = session.get(VERIFIED_AT)
    return (
        not isinstance(verified_at, int | float)
        or now - verified_at >= settings.TOKEN_VERIFICATION_INTERVAL_SECONDS
    )


def renew_if_due(session: SessionBase, now: float) -> None:
    """Keep the rolling timeout rolling, writing the session at most once a minute.

    A write renews the Redis key's lifetime and the cookie's Max-Age; doing it on every request
    would cost a Redis round trip each time for no gain.
    """
    renewed_at = session.get(RENEWED_AT)
    if (
        not isinstance(renewed_at, int | float)
        or now - renewed_at >= settings.SESSION_RENEW_INTERVAL_SECONDS
    ):
        session[RENEWED_AT] = now
