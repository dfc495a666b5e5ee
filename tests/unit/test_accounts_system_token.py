"""System tokens: client credentials per username, cached until expires_in - 60 s, shared fetches.

The cache tests run against the real Redis at REDIS_URL (skipped locally without it, failing in CI),
with the cache pointed at it for the test; local memory is covered too.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from django.core.cache import cache

from accounts import system_token as module
from accounts.system_token import cache_key, drop_system_token, system_token
from kernel import caching

TOKEN_URL = f"{settings.HMPPS_AUTH_URL}/oauth/token"


def _body(token: str, expires_in: int = 3599) -> dict[str, Any]:
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in}


@pytest.fixture(params=["redis", "locmem"])
def token_cache(
    request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The Django cache on real Redis (a test key prefix) or on local memory.

    The per-process copy is switched off here so these tests exercise the shared cache; it has
    tests of its own below.
    """
    monkeypatch.setattr(caching.system_tokens, "seconds", 0)
    caching.reset()
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "test-system-token",
                "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Changing CACHES through the settings fixture makes Django drop its cache connections.
    cache.delete_many([cache_key("VISITS_USER"), cache_key("SYSCON_USER"), cache_key(None)])
    yield request.param
    cache.delete_many([cache_key("VISITS_USER"), cache_key("SYSCON_USER"), cache_key(None)])


def test_the_token_names_the_user_and_uses_the_system_client(
    token_cache: str, requests_mock: Any
) -> None:
    endpoint = requests_mock.post(TOKEN_URL, json=_body("system-token-1"))
    assert system_token("VISITS_USER") == "system-token-1"
    sent = endpoint.last_request
    assert parse_qs(sent.text) == {
        "grant_type": ["client_credentials"],
        "username": ["VISITS_USER"],
    }
    expected = base64.b64encode(
        f"{settings.CLIENT_CREDS_CLIENT_ID}:{settings.CLIENT_CREDS_CLIENT_SECRET}".encode()
    ).decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"


def test_without_a_user_no_username_is_sent(token_cache: str, requests_mock: Any) -> None:
    endpoint = requests_mock.post(TOKEN_URL, json=_body("anonymous-token"))
    assert system_token(None) == "anonymous-token"
    assert parse_qs(endpoint.last_request.text) == {"grant_type": ["client_credentials"]}
    assert cache_key(None) == "systemToken:%ANONYMOUS%"


def test_tokens_are_cached_per_username(token_cache: str, requests_mock: Any) -> None:
    endpoint = requests_mock.post(
        TOKEN_URL, [{"json": _body("visits-token")}, {"json": _body("syscon-token")}]
    )
    assert system_token("VISITS_USER") == "visits-token"
    assert system_token("VISITS_USER") == "visits-token"
    assert system_token("SYSCON_USER") == "syscon-token"
    assert endpoint.call_count == 2


def test_the_cache_key_never_contains_the_secret(token_cache: str, requests_mock: Any) -> None:
    requests_mock.post(TOKEN_URL, json=_body("t"))
    system_token("VISITS_USER")
    key = cache.make_key(cache_key("VISITS_USER"))
    assert settings.CLIENT_CREDS_CLIENT_SECRET not in key
    assert "VISITS_USER" in key
    if token_cache == "redis":
        raw = cache.client.get_client()  # type: ignore[attr-defined]
        keys = [k.decode() for k in raw.keys("test-system-token*")]
        assert keys and not any(settings.CLIENT_CREDS_CLIENT_SECRET in k for k in keys)


def test_tokens_are_kept_until_sixty_seconds_before_they_expire(
    token_cache: str, requests_mock: Any
) -> None:
    requests_mock.post(TOKEN_URL, json=_body("t", expires_in=3599))
    system_token("VISITS_USER")
    if token_cache == "redis":
        ttl = cache.ttl(cache_key("VISITS_USER"))  # type: ignore[attr-defined]
        assert 3535 <= ttl <= 3539
    else:
        expiry = cache._expire_info[cache.make_key(cache_key("VISITS_USER"))]  # type: ignore[attr-defined]
        assert 3535 <= expiry - time.time() <= 3539


def test_a_token_with_less_than_a_minute_left_is_not_cached(
    token_cache: str, requests_mock: Any
) -> None:
    endpoint = requests_mock.post(TOKEN_URL, [{"json": _body("a", 30)}, {"json": _body("b", 30)}])
    assert system_token("VISITS_USER") == "a"
    assert system_token("VISITS_USER") == "b"
    assert endpoint.call_count == 2


def test_dropping_a_refused_token_fetches_a_new_one(token_cache: str, requests_mock: Any) -> None:
    endpoint = requests_mock.post(TOKEN_URL, [{"json": _body("stale")}, {"json": _body("fresh")}])
    stale = system_token("VISITS_USER")
    # An upstream answered 401 with it: the caller drops it and retries once.
    drop_system_token("VISITS_USER", stale)
    assert system_token("VISITS_USER") == "fresh"
    assert endpoint.call_count == 2


def test_dropping_leaves_a_newer_token_alone(token_cache: str, requests_mock: Any) -> None:
    requests_mock.post(TOKEN_URL, json=_body("newer"))
    system_token("VISITS_USER")
    drop_system_token("VISITS_USER", "older-token-another-request-used")
    assert cache.get(cache_key("VISITS_USER")) == "newer"


def test_concurrent_requests_share_one_fetch(token_cache: str, requests_mock: Any) -> None:
    calls: list[float] = []

    def slow_token(request: Any, context: Any) -> dict[str, Any]:
        calls.append(time.monotonic())
        time.sleep(0.2)
        return _body(f"token-{len(calls)}")

    requests_mock.post(TOKEN_URL, json=slow_token)
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(system_token("VISITS_USER"))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert len(calls) == 1
    assert results == ["token-1"] * 8


@pytest.mark.parametrize("token_cache", ["redis"], indirect=True)
def test_other_processes_wait_on_the_redis_lock(token_cache: str, requests_mock: Any) -> None:
    """The shared lock is in Redis: with the process lock out of the way, threads still share."""
    calls: list[int] = []

    def slow_token(request: Any, context: Any) -> dict[str, Any]:
        calls.append(1)
        time.sleep(0.2)
        return _body("shared")

    requests_mock.post(TOKEN_URL, json=slow_token)
    # Each thread gets its own process lock, as separate gunicorn workers would.
    original = module._process_lock
    module._process_lock = lambda key: threading.Lock()
    try:
        threads = [threading.Thread(target=system_token, args=("VISITS_USER",)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        module._process_lock = original
    assert len(calls) == 1


def test_each_process_reuses_a_token_it_has_seen_without_reading_redis_again(
    token_cache: str, requests_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching.system_tokens, "seconds", 30)
    requests_mock.post(TOKEN_URL, json=_body("system-token-1"))
    assert system_token("VISITS_USER") == "system-token-1"
    cache.delete(cache_key("VISITS_USER"))  # the shared copy is no longer read
    assert system_token("VISITS_USER") == "system-token-1"
    assert requests_mock.call_count == 1


def test_a_dropped_token_is_forgotten_by_the_process_too(
    token_cache: str, requests_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caching.system_tokens, "seconds", 30)
    requests_mock.post(
        TOKEN_URL, [{"json": _body("system-token-1")}, {"json": _body("system-token-2")}]
    )
    first = system_token("VISITS_USER")
    drop_system_token("VISITS_USER", first)
    assert system_token("VISITS_USER") == "system-token-2"


def test_the_process_copy_lives_less_long_than_the_expiry_margin() -> None:
    assert caching.system_tokens.seconds < module.EXPIRY_MARGIN_SECONDS
