"""Signed-in users are read from the cache, and a change to the user row is seen at once."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.backends import HmppsAuthBackend
from accounts.models import User
from kernel import caching

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    caching.reset()
    yield
    cache.clear()
    caching.reset()


def test_a_signed_in_user_is_read_without_a_query_after_the_first_time(
    django_assert_num_queries,
) -> None:
    user = User.objects.create(username="VISITS_USER", roles=["ROLE_MIGRATE_VISITS"])
    backend = HmppsAuthBackend()
    with django_assert_num_queries(1):
        assert backend.get_user(user.pk) == user
    with django_assert_num_queries(0):
        assert backend.get_user(user.pk).roles == ["ROLE_MIGRATE_VISITS"]


def test_a_saved_change_to_the_user_replaces_the_cached_copy() -> None:
    user = User.objects.create(username="VISITS_USER", roles=["ROLE_MIGRATE_VISITS"])
    backend = HmppsAuthBackend()
    backend.get_user(user.pk)
    user.roles = []  # as a sign-in after the role was removed in HMPPS Auth does
    user.save()
    assert backend.get_user(user.pk).roles == []


def test_an_unknown_user_is_none() -> None:
    assert HmppsAuthBackend().get_user(987654) is None


def test_another_workers_copy_expires_within_seconds(monkeypatch) -> None:
    user = User.objects.create(username="VISITS_USER", roles=["ROLE_MIGRATE_VISITS"])
    backend = HmppsAuthBackend()
    backend.get_user(user.pk)
    # Another worker saved the user: the shared copy is gone, this worker's is not (yet).
    User.objects.filter(pk=user.pk).update(roles=[])
    cache.clear()
    assert backend.get_user(user.pk).roles == ["ROLE_MIGRATE_VISITS"]
    monkeypatch.setattr(caching.signed_in_users, "seconds", 0)
    assert backend.get_user(user.pk).roles == []


def test_the_backend_django_builds_for_every_request_reads_no_settings(settings) -> None:
    # Django builds the session's backend on each request to load the user: mozilla-django-oidc's
    # own set-up read seven OIDC settings there (and failed without them), which this backend
    # never uses. Without any of them it still loads the signed-in user.
    user = User.objects.create(username="VISITS_USER", roles=["ROLE_MIGRATE_VISITS"])
    for name in ("OIDC_OP_TOKEN_ENDPOINT", "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET"):
        delattr(settings, name)
    assert HmppsAuthBackend().get_user(user.pk) == user
