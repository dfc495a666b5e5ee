"""The upstream generation is read with a request's session, once, and moves with its own actions
(kernel.caching.upstream_generation, kernel.sessions.SessionStore.load)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from kernel import caching
from kernel.logging import request_context
from kernel.sessions import SessionStore


@pytest.fixture
def in_a_request() -> Iterator[dict[str, Any]]:
    context: dict[str, Any] = {}
    token = request_context.set(context)
    yield context
    request_context.reset(token)


@pytest.fixture
def session_key() -> Iterator[str]:
    store = SessionStore()
    store["filter"] = {"prisonIds": ["HEI"]}
    store.create()
    assert store.session_key is not None
    yield store.session_key
    store.delete()


def _no_more_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the generation was read from the cache again")

    monkeypatch.setattr(cache, "get", refused)


def test_a_requests_session_brings_the_generation_and_it_is_not_read_again(
    in_a_request: dict[str, Any], session_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.set(caching.GENERATION_KEY, 7)
    assert SessionStore(session_key)["filter"] == {"prisonIds": ["HEI"]}
    _no_more_reads(monkeypatch)
    assert caching.upstream_generation() == 7
    assert caching.upstream_generation() == 7


def test_a_request_sees_its_own_action_move_the_generation(
    in_a_request: dict[str, Any], session_key: str
) -> None:
    cache.set(caching.GENERATION_KEY, 7)
    SessionStore(session_key).load()
    caching.upstream_changed()
    assert caching.upstream_generation() == 8
    assert cache.get(caching.GENERATION_KEY) == 8


def test_a_first_action_starts_the_count_for_its_request(in_a_request: dict[str, Any]) -> None:
    cache.delete(caching.GENERATION_KEY)
    caching.upstream_changed()
    assert caching.upstream_generation() == 1


def test_without_a_request_the_generation_is_read_each_time() -> None:
    cache.set(caching.GENERATION_KEY, 3)
    assert caching.upstream_generation() == 3
    cache.set(caching.GENERATION_KEY, 4)
    assert caching.upstream_generation() == 4


def test_an_unreadable_session_leaves_the_generation_to_be_read(
    in_a_request: dict[str, Any], session_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django's rule makes an unreadable session no session; the generation is then read later,
    not taken as 0."""
    cache.set(caching.GENERATION_KEY, 5)

    def unreadable(*args: Any, **kwargs: Any) -> None:
        raise ValueError("not a session")

    with monkeypatch.context() as patched:
        patched.setattr(cache, "get_many", unreadable)
        assert SessionStore(session_key).load() == {}
    assert caching.upstream_generation() == 5
