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
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django_redis.exceptions import ConnectionInterrupted

# What Redis being down or unreachable looks like, through django-redis or redis-py directly.
REDIS_DOWN = (ConnectionInterrupted, redis.ConnectionError, redis.TimeoutError)


class SessionStore(CacheSessionStore):
    def load(self) -> dict[str, Any]:
        try:
            session_data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except REDIS_DOWN:
            raise
        except Exception:  # Django's own rule: an unreadable key is no session (#17810)
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
