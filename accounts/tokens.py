"""Verifying HMPPS Auth access tokens: RS256 against the JWKS, expiry and issuer (§8.4, §8.5).

Nothing in a token is trusted before this passes. The JWKS is cached in the Django cache (shared by
every replica through Redis); a token signed with a key id we have not seen refetches it once, so a
key rotation at Auth needs no restart while a stream of forged key ids cannot hammer Auth.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache

from accounts.clients.hmpps_auth import HmppsAuthClient

logger = logging.getLogger(__name__)

JWKS_CACHE_KEY = "hmpps-auth:jwks"
REFETCH_MARKER_KEY = "hmpps-auth:jwks:refetched"
REFETCH_PAUSE_SECONDS = 10
# The only algorithm HMPPS Auth signs with; `none` and HMAC variants are refused outright.
ALGORITHMS = ["RS256"]
# Seconds of clock difference tolerated between Auth and us on `exp`.
LEEWAY_SECONDS = 10


class TokenRefused(Exception):
    """The token is not one we can trust; the message says why (for the log, not for users)."""


def _fetch_jwks() -> dict[str, Any]:
    with HmppsAuthClient() as client:
        jwks = client.jwks()
    cache.set(JWKS_CACHE_KEY, jwks, timeout=settings.HMPPS_AUTH_JWKS_CACHE_SECONDS)
    return jwks


def _find_key(jwks: dict[str, Any], kid: str) -> jwt.PyJWK | None:
    for candidate in jwks.get("keys", []):
        if not isinstance(candidate, dict) or candidate.get("kid") != kid:
            continue
        if candidate.get("kty") != "RSA" or candidate.get("alg", "RS256") != "RS256":
            continue
        try:
            return jwt.PyJWK(candidate, algorithm="RS256")
        except jwt.PyJWTError:
            logger.warning("HMPPS Auth published an unusable key %s", kid)
            return None
    return None


def signing_key(kid: str) -> jwt.PyJWK:
    """The published key with this id: from the cache, else from a single fresh fetch.

    With keys cached but not this one, the JWKS is refetched once (Auth may have rotated its key),
    and then not again for REFETCH_PAUSE_SECONDS, whatever key ids arrive meanwhile.
    """
    cached = cache.get(JWKS_CACHE_KEY)
    if isinstance(cached, dict):
        key = _find_key(cached, kid)
        if key is not None:
            return key
        if not cache.add(REFETCH_MARKER_KEY, 1, timeout=REFETCH_PAUSE_SECONDS):
            raise TokenRefused(f"no published key has kid {kid!r} (keys refetched just now)")
    key = _find_key(_fetch_jwks(), kid)
    if key is None:
        raise TokenRefused(f"no published key has kid {kid!r}")
    return key


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a genuine, unexpired token from our HMPPS Auth, or `TokenRefused`."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"not a JWT: {exc}") from exc
    if header.get("alg") not in ALGORITHMS:
        raise TokenRefused(f"algorithm {header.get('alg')!r} is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRefused("no key id")
    key = signing_key(kid)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            issuer=settings.HMPPS_AUTH_ISSUERS,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenRefused(f"{type(exc).__name__}: {exc}") from exc
    return claims
