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
    monkeypatch.setattr("migrations_ui.selectors.history.audit_started_by", database_down)
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
    monkeypatch.setattr("migrations_ui.selectors.audit.audit_timeline", database_down)
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
    from kernel.datastores import REDIS, unavailable_store

    assert unavailable_store(ValueError("boom")) is None
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
            assert unavailable_store(outer) == REDIS


def _redis_gone(*args, **kwargs):
    from django_redis.exceptions import ConnectionInterrupted

    raise ConnectionInterrupted(connection=None)


def _purge_answered_503(client) -> str:
    client.raise_request_exception = False
    response = client.post("/visits-migration/failures/delete", {"from": "failures"})
    assert response.status_code == 503
    return response.content.decode()


def test_a_store_failing_after_a_change_was_sent_never_says_nothing_has_changed(
    visits_client, requests_mock, monkeypatch
) -> None:
    # The purge is carried out and recorded; then Redis stops answering before the page is done.
    requests_mock.delete(migration_url("/migrate/dead-letter-queue/VISITS"), status_code=204)
    monkeypatch.setattr("migrations_ui.services.audit.upstream_changed", _redis_gone)
    html = _purge_answered_503(visits_client)
    assert "The dashboard cannot reach Redis" in html
    assert 'data-qa="change-may-have-happened"' in html
    assert "already been sent to the migration service" in html
    assert "Nothing has been changed" not in html


def test_a_store_failing_before_anything_was_sent_says_nothing_has_changed(
    visits_client, monkeypatch
) -> None:
    monkeypatch.setattr("migrations_ui.views.dead_letters_purge", _redis_gone)
    html = _purge_answered_503(visits_client)
    assert 'data-qa="nothing-changed"' in html
    assert "change-may-have-happened" not in html


def test_with_the_database_down_a_signed_in_user_gets_the_503_naming_it(
    visits_client, monkeypatch
) -> None:
    # The user is looked up from the database on every signed-in page.
    monkeypatch.setattr("django.contrib.auth.get_user", database_down)
    visits_client.raise_request_exception = False
    response = visits_client.get("/visits-migration/")
    html = response.content.decode()
    assert response.status_code == 503
    assert "The dashboard cannot reach its database" in html
    assert 'data-qa="header-user-name"' not in html


def test_other_database_errors_stay_500s() -> None:
    from django.db import IntegrityError, ProgrammingError

    from kernel.datastores import DATABASE, unavailable_store

    assert unavailable_store(ProgrammingError("no such column")) is None
    assert unavailable_store(IntegrityError("duplicate key")) is None
    assert unavailable_store(OperationalError("connection refused")) == DATABASE


class HeaderWritten:
    """A request whose CSP header has been written (an exception outside the CSP middleware)."""

    request_id = "r-1"

    @property
    def csp_nonce(self) -> str:
        from csp.exceptions import CSPNonceError

        raise CSPNonceError("The 'csp_nonce' attribute is not available")


def test_an_error_page_rendered_after_the_csp_header_was_written_still_renders() -> None:
    from kernel.context_processors import layout

    context = layout(HeaderWritten())  # type: ignore[arg-type]
    assert context["csp_nonce"] == "" and context["request_id"] == "r-1"


def test_logging_a_request_never_loads_its_session(rf) -> None:
    from django.utils.functional import SimpleLazyObject

    from kernel.logging import username_of

    request = rf.get("/health")
    request.user = SimpleLazyObject(_redis_gone)
    assert username_of(request) == "-"
