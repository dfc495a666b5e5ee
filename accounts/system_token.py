"""System tokens: the client-credentials token every upstream call carries (design.md §4).

Requested from HMPPS Auth with `username=<signed-in user>` so upstream audit records the person,
and cached (Redis in deployed environments, so shared by every replica) per username until
`expires_in - 60 s`. Concurrent requests for the same username share one fetch: a lock in the
cache (django-redis) across processes, and a per-process lock in front of it so threads of one
process wait without polling. A client that gets a 401 calls `drop_system_token` and retries once.

The cache key holds the username only; never the client secret.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.core.cache import cache
from redis.exceptions import LockError

from accounts.clients.hmpps_auth import HmppsAuthClient
from kernel import caching

logger = logging.getLogger(__name__)

# Tokens are dropped this long before HMPPS Auth's expiry, so none expires in flight.
EXPIRY_MARGIN_SECONDS = 60
ANONYMOUS = "%ANONYMOUS%"
# How long a fetch may hold the shared lock, and how long others wait for it before fetching anyway.
LOCK_TIMEOUT_SECONDS = 30
LOCK_WAIT_SECONDS = 15

# Each process also remembers tokens it has seen for a short while (kernel.caching.system_tokens).


def cache_key(username: str | None) -> str:
    return f"systemToken:{username or ANONYMOUS}"


def system_token(username: str | None) -> str:
    """A client-credentials token for calls made on behalf of `username` (None: no user)."""
    key = cache_key(username)
    local = caching.system_tokens.get(key)
    if local is not None:
        return local
    token = cache.get(key)
    if isinstance(token, str):
        caching.system_tokens.put(key, token)
        return token
    with _fetch_lock(key):
        # Whoever held the lock before us has probably fetched it already.
        token = cache.get(key)
        if isinstance(token, str):
            caching.system_tokens.put(key, token)
            return token
        with HmppsAuthClient() as client:
            response = client.client_credentials(username=username)
        lifetime = response.expires_in - EXPIRY_MARGIN_SECONDS
        if lifetime > 0:
            cache.set(key, response.access_token, timeout=lifetime)
            caching.system_tokens.put(key, response.access_token)
        return response.access_token


def drop_system_token(username: str | None, token: str) -> None:
    """Forget `token` after an upstream refused it (401), unless it was already replaced."""
    key = cache_key(username)
    caching.system_tokens.forget(key, token)
    if cache.get(key) == token:
        cache.delete(key)


@contextmanager
def _fetch_lock(key: str) -> Iterator[None]:
    with _process_lock(key), _shared_lock(key):
        yield


def _process_lock(key: str) -> threading.Lock:
    return caching.system_token_fetches.lock(key)


@contextmanager
def _shared_lock(key: str) -> Iterator[None]:
    """The cache's own lock when it has one (django-redis); otherwise the process lock suffices."""
    make_lock = getattr(cache, "lock", None)
    if make_lock is None:
        yield
        return
    lock = make_lock(
        f"{key}:lock", timeout=LOCK_TIMEOUT_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS
    )
    acquired = lock.acquire(blocking=True)
    if not acquired:
        logger.warning(
            "Waited %s s for another system-token fetch; fetching anyway", LOCK_WAIT_SECONDS
        )
    try:
        yield
    finally:
        if acquired:
            # The lock may have timed out and passed to another process meanwhile.
            with suppress(LockError):
                lock.release()
