"""Sessions in the cache (Redis), failing loudly when Redis cannot be reached.

Django's cache session store treats any error reading a session as "no such session": with Redis
down, every signed-in user would silently become a visitor, be sent to sign in, and lose their
session cookie when the sign-in tried to save a new one. Here an unreachable Redis is an error,
which `nomis_sync.views.server_error` turns into the GOV.UK "service unavailable" page (503); the
session is still there when Redis comes back.
"""

from __future__ import annotations

from typing import Any

import redis
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

from kernel import caching

# What Redis being down or unreachable looks like, through django-redis or redis-py directly.
REDIS_DOWN = (ConnectionInterrupted, redis.ConnectionError, redis.TimeoutError)


class SessionStore(CacheSessionStore):
    def load(self) -> dict[str, Any]:
        """The session; and, in the same round trip to Redis, the upstream generation that the
        history and details pages need (kernel.caching.upstream_generation).

        In process, a history page took 1.35-1.43 ms with a second round trip and 1.15-1.21 ms
        without; MGET of the two keys costs every other page about 12 us of CPU more than GET of
        one (92 against 80 us, timeit; home 1.10 against 1.11 ms)."""
        cache = self._cache  # type: ignore[attr-defined]
        try:
            values = cache.get_many([self.cache_key, caching.GENERATION_KEY])
        except REDIS_DOWN:
            raise
        except Exception:  # Django's own rule: an unreadable key is no session (#17810)
            values = {}
        else:
            caching.generation_read(values.get(caching.GENERATION_KEY))
        session_data = values.get(self.cache_key)
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}

    def save(self, must_create: bool = False) -> None:
        """Django's save of a changed session, in one round trip to Redis instead of two.

        Django reads the session before writing it back, so that one ended meanwhile (signed out
        in another tab) is not brought back to life. Redis's `SET ... XX` writes only a key that
        is still there: the same rule, without the read. That read was 0.4-0.5 ms of the visits
        start form's POST, which the preview's critical path waits for (probe, issue 30).
        """
        cache = self._cache  # type: ignore[attr-defined]
        if self.session_key is None or must_create or not isinstance(cache, RedisCache):
            super().save(must_create)
            return
        data = self._get_session()  # type: ignore[attr-defined]
        if not cache.set(self.cache_key, data, self.get_expiry_age(), xx=True):
            raise UpdateError
