"""Which of the dashboard's own stores a failure says is down: Redis or the database.

Redis holds the sessions (so who is signed in), caches and locks; the database holds the users and
the audit log. Either being unreachable stops every page that needs it, and
`nomis_sync.views.server_error` turns that into the GOV.UK "service unavailable" page (503)
naming the store, rather than a 500 or, worse, an error page that itself needs the store.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from kernel.sessions import REDIS_DOWN

REDIS = "redis"
DATABASE = "database"

# What the 503 page calls each store.
DESCRIPTIONS = {
    REDIS: "Redis, the store that keeps people signed in",
    DATABASE: "its database, which holds the audit log and who may sign in",
}

# Django's wrappers of a driver's "could not connect / connection lost" errors. Other database
# errors (a bad query, a broken constraint) are bugs, and stay 500s.
_DATABASE_DOWN = (OperationalError, InterfaceError)


def unavailable_store(error: BaseException | None) -> str | None:
    """REDIS or DATABASE when `error`, or anything that caused it, says that store is down."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, REDIS_DOWN):
            return REDIS
        if isinstance(error, _DATABASE_DOWN):
            return DATABASE
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
