"""Issue 6, item 4: who started each migration on the history list, and a migration's timeline."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from migrations_ui.models import AuditEvent
from tests.unit.conftest_visits import active_json, history_json, migration_url

pytest_plugins = ["tests.unit.conftest_visits"]

pytestmark = pytest.mark.django_db

HISTORY = migration_url("/migrate/history/all/VISITS")
ACTIVE = migration_url("/migrate/history/active/VISITS")
Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def migration_ids(count: int) -> list[str]:
    return [f"2024-01-{1 + i // 24:02d}T{i % 24:02d}:00:00" for i in range(count)]


def record_start(migration_id: str, username: str, display_name: str) -> None:
    """The two rows the start service writes: "requested" without an id, then the outcome."""
    attempt = uuid.uuid4()
    common = {
        "attempt_id": attempt,
        "username": username,
        "display_name": display_name,
        "action": Action.START_MIGRATION,
        "migration_type": "VISITS",
    }
    AuditEvent.objects.create(**common, outcome=Outcome.REQUESTED)
    AuditEvent.objects.create(
        **common, outcome=Outcome.SUCCEEDED, migration_id=migration_id, upstream_status=202
    )


def history_page_queries(client, requests_mock, ids: list[str]) -> tuple[str, int]:
    requests_mock.get(HISTORY, json=[history_json(i) for i in ids])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/visits-migration/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_history_shows_who_started_each_migration(visits_client, requests_mock) -> None:
    ids = migration_ids(3)
    record_start(ids[0], "VISITS_USER", "Vera Visits")
    record_start(ids[2], "SYSCON_USER", "Sam Syscon")
    html, _ = history_page_queries(visits_client, requests_mock, ids)
    rows = html.split('data-qa="migration-row"')[1:]
    assert "Started by: Vera Visits (VISITS_USER)" in rows[0]
    assert "Started by" not in rows[1]  # started elsewhere, or before the audit log existed
    assert "Started by: Sam Syscon (SYSCON_USER)" in rows[2]


def test_started_by_costs_the_same_queries_for_5_rows_as_for_50(
    visits_client, requests_mock
) -> None:
    few, many = migration_ids(5), migration_ids(50)
    for migration_id in many:
        record_start(migration_id, "VISITS_USER", "Vera Visits")
    visits_client.get("/")  # warm: the signed-in user is cached
    html_few, queries_few = history_page_queries(visits_client, requests_mock, few)
    html_many, queries_many = history_page_queries(visits_client, requests_mock, many)
    assert html_few.count("Started by: Vera Visits") == 5
    assert html_many.count("Started by: Vera Visits") == 50
    assert queries_many == queries_few


def test_details_show_the_migrations_dashboard_actions_in_order(
    visits_client, requests_mock
) -> None:
    migration_id = "2024-01-01T10:00:00"
    record_start(migration_id, "VISITS_USER", "Vera Visits")
    cancel = uuid.uuid4()
    for outcome in (Outcome.REQUESTED, Outcome.SUCCEEDED):
        AuditEvent.objects.create(
            attempt_id=cancel,
            username="SYSCON_USER",
            display_name="Sam Syscon",
            action=Action.CANCEL_MIGRATION,
            migration_type="VISITS",
            migration_id=migration_id,
            outcome=outcome,
        )
    requests_mock.get(
        migration_url("/migrate/history/2024-01-01T10%3A00%3A00"),
        json=history_json(migration_id, status="CANCELLED"),
    )
    requests_mock.get(ACTIVE, json=active_json(migration_id))
    html = visits_client.get(f"/visits-migration/{migration_id}/").content.decode()
    timeline = html.split('data-qa="timeline"')[1]
    titles = [part.split("</h3>")[0] for part in timeline.split('moj-timeline__title">')[1:]]
    assert titles == [
        "Start migration: requested",
        "Start migration: succeeded",
        "Cancel migration: requested",
        "Cancel migration: succeeded",
    ]
    assert "by Sam Syscon (SYSCON_USER)" in timeline


def test_the_progress_fragment_does_not_read_the_audit_log(visits_client, requests_mock) -> None:
    migration_id = "2024-01-01T10:00:00"
    record_start(migration_id, "VISITS_USER", "Vera Visits")
    requests_mock.get(
        migration_url("/migrate/history/2024-01-01T10%3A00%3A00"),
        json=history_json(migration_id, status="STARTED", ended=None),
    )
    requests_mock.get(ACTIVE, json=active_json(migration_id))
    html = visits_client.get(f"/visits-migration/{migration_id}/progress").content.decode()
    assert "Dashboard actions" not in html
