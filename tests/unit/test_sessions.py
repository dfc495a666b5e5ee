"""The session store's save: one round trip to Redis, and a session ended meanwhile stays ended."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.core.cache import caches
from django_redis.cache import RedisCache

from kernel.sessions import SessionStore

pytestmark = pytest.mark.skipif(
    not isinstance(caches["default"], RedisCache), reason="the one-round-trip save is Redis's"
)


@pytest.fixture
def stored() -> Iterator[SessionStore]:
    store = SessionStore()
    store["filter"] = {"prisonIds": ["HEI"]}
    store.create()
    yield store
    store.delete()


def test_a_changed_session_is_written_without_reading_it_first(
    stored: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_read(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the session was read before it was written")

    stored["typed"] = {"prisonIds": "hei"}
    monkeypatch.setattr(stored._cache, "get", no_read)  # type: ignore[attr-defined]
    stored.save()
    monkeypatch.undo()
    again = SessionStore(stored.session_key)
    assert again["typed"] == {"prisonIds": "hei"}
    assert again["filter"] == {"prisonIds": ["HEI"]}


def test_a_session_ended_meanwhile_is_not_brought_back(stored: SessionStore) -> None:
    key = stored.session_key
    assert key is not None
    SessionStore(key).delete()  # signed out in another tab while this request ran
    stored["typed"] = {"prisonIds": "hei"}
    with pytest.raises(UpdateError):
        stored.save()
    assert not SessionStore().exists(key)


def test_a_new_session_is_still_created(stored: SessionStore) -> None:
    fresh = SessionStore()
    fresh["a"] = 1
    fresh.save()
    assert fresh.session_key and SessionStore(fresh.session_key)["a"] == 1
    fresh.delete()
