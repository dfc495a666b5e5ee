"""Degraded, not broken: pages that can still help render without what is down."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from tests.unit.conftest_visits import active_json, history_json, migration_url

pytest_plugins = ["tests.unit.conftest_visits"]
pytestmark = pytest.mark.django_db

HISTORY = migration_url("/migrate/history/all/VISITS")
ACTIVE = migration_url("/migrate/history/active/VISITS")
X = "2024-01-01T10:00:00"


def database_down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def test_with_the_database_down_the_history_list_shows_without_started_by(
    visits_client, requests_mock, monkeypatch
) -> None:
    monkeypatch.setattr("migrations_ui.views.audit_started_by", database_down)
    requests_mock.get(HISTORY, json=[history_json(X)])
    response = visits_client.get("/visits-migration/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-qa="migration-id">2024-01-01T10:00:00' in html
    assert 'data-qa="started-by"' not in html
    assert 'data-qa="started-by-unavailable"' in html


def test_with_the_database_down_a_migrations_details_show_without_the_timeline(
    visits_client, requests_mock, monkeypatch
) -> None:
    monkeypatch.setattr("migrations_ui.views.audit_timeline", database_down)
    requests_mock.get(
        migration_url(f"/migrate/history/{X.replace(':', '%3A')}"),
        json=history_json(X, status="COMPLETED"),
    )
    requests_mock.get(ACTIVE, json=active_json(X))
    response = visits_client.get(f"/visits-migration/{X}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-qa="migratedCount"' in html
    assert 'data-qa="timeline-unavailable"' in html


def test_with_the_database_up_no_note_is_shown(visits_client, requests_mock) -> None:
    requests_mock.get(HISTORY, json=[history_json(X)])
    assert "started-by-unavailable" not in visits_client.get("/visits-migration/").content.decode()


DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Nothing listens on port 1: connections are refused at once.
        "LOCATION": "redis://127.0.0.1:1/7",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}


def assert_service_unavailable_page(response) -> None:
    html = response.content.decode()
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in html
    assert 'data-qa="request-id"' in html
    assert "Traceback" not in html and "ConnectionInterrupted" not in html


def test_with_redis_down_a_signed_in_user_gets_the_service_unavailable_page(
    visits_client, settings
) -> None:
    cookie = visits_client.cookies[settings.SESSION_COOKIE_NAME].value
    settings.CACHES = DEAD_REDIS
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.get("/visits-migration/")
    assert_service_unavailable_page(response)
    # The session is not thrown away: its cookie is left as it was, for when Redis is back.
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_with_redis_down_signing_in_gets_the_service_unavailable_page(settings) -> None:
    settings.CACHES = DEAD_REDIS
    assert_service_unavailable_page(Client(raise_request_exception=False).get("/sign-in"))


def test_other_server_errors_stay_500s() -> None:
    from nomis_sync.sessions import redis_down

    assert not redis_down(ValueError("boom"))
    try:
        try:
            raise ConnectionRefusedError
        except ConnectionRefusedError as exc:
            import redis

            raise redis.ConnectionError("refused") from exc
    except redis.ConnectionError as wrapped:
        try:
            raise RuntimeError("while rendering") from wrapped
        except RuntimeError as outer:
            assert redis_down(outer)
