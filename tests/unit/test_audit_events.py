"""The audit log: append-only, read-only in the admin, and written around every action."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.cache import cache
from django.db import DatabaseError
from django.test import RequestFactory

from migrations_ui.models import AuditEvent, AuditLogIsAppendOnly
from migrations_ui.types.visits import TYPE as VISITS
from tests.unit.conftest_visits import (
    active_json,
    history_json,
    migration_url,
    nomis_url,
    page_json,
)

# Fixtures shared by the visits tests.
pytest_plugins = ["tests.unit.conftest_visits"]

pytestmark = pytest.mark.django_db

STARTED = "2024-01-01T10:00:00"
ENCODED = STARTED.replace(":", "%3A")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def an_event(**fields) -> AuditEvent:
    return AuditEvent.objects.create(
        username="VISITS_USER",
        action=AuditEvent.Action.CANCEL_MIGRATION,
        migration_type="VISITS",
        outcome=AuditEvent.Outcome.REQUESTED,
        **fields,
    )


def test_an_event_cannot_be_changed_or_deleted() -> None:
    event = an_event()
    event.outcome = AuditEvent.Outcome.SUCCEEDED
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    assert AuditEvent.objects.get().outcome == "REQUESTED"


def test_querysets_cannot_change_or_delete_events() -> None:
    an_event()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().update(username="someone else")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(username="VISITS_USER").delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_update(list(AuditEvent.objects.all()), ["username"])
    assert AuditEvent.objects.get().username == "VISITS_USER"


def test_the_admin_shows_events_read_only(admin_user) -> None:
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = site._registry[AuditEvent]
    event = an_event()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "occurred_at" in model_admin.get_readonly_fields(request, event)


def test_events_are_indexed_by_time_and_by_migration() -> None:
    indexed = [tuple(index.fields) for index in AuditEvent._meta.indexes]
    assert ("occurred_at",) in indexed
    assert ("migration_type", "migration_id") in indexed


def start_from_preview(client, requests_mock) -> Any:
    client.post("/visits-migration/start", {"prisonIds": "HEI", "visitTypes": ["SCON"]})
    requests_mock.get(nomis_url("/visits/ids"), json=page_json(3000))
    requests_mock.get(migration_url("/migrate/dead-letter-queue/VISITS/count"), text="0")
    requests_mock.get(migration_url("/migrate/visits/rooms/usage"), json=[])
    requests_mock.get(
        migration_url("/migrate/history/active/VISITS"), json=active_json(status="COMPLETED")
    )
    page = client.get("/visits-migration/start/preview").content.decode()
    token = re.search(r'name="preview_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/visits-migration/start/preview",
        {"preview_token": token},
        headers={"X-Request-Id": "req-123"},
        REMOTE_ADDR="10.1.2.3",
    )


def test_a_start_is_recorded_before_and_after_the_upstream_call(
    visits_client, requests_mock
) -> None:
    seen_before_call: list[list[str]] = []

    def accept(request, context):
        seen_before_call.append([e.outcome for e in AuditEvent.objects.all()])
        context.status_code = 202
        return {"migrationId": STARTED, "estimatedCount": 2999}

    requests_mock.post(migration_url("/migrate/visits"), json=accept)
    start_from_preview(visits_client, requests_mock)
    assert seen_before_call == [["REQUESTED"]]
    requested, succeeded = AuditEvent.objects.order_by("id")
    assert requested.attempt_id == succeeded.attempt_id
    assert (requested.username, requested.display_name, requested.auth_source) == (
        "VISITS_USER",
        "Vera Visits",
        "nomis",
    )
    assert requested.action == "START_MIGRATION" and requested.migration_type == "VISITS"
    assert requested.filter == {
        "prisonIds": ["HEI"],
        "visitTypes": ["SCON"],
        "ignoreMissingRoom": False,
    }
    assert requested.estimate == 3000 and requested.migration_id == ""
    # The request id is always the dashboard's own; the caller's "req-123" is only logged.
    assert requested.request_id != "req-123" and uuid.UUID(requested.request_id)
    assert succeeded.request_id == requested.request_id
    assert requested.client_ip == "10.1.2.3"
    assert (succeeded.outcome, succeeded.migration_id, succeeded.estimate) == (
        "SUCCEEDED",
        STARTED,
        2999,
    )


def test_a_failed_start_records_the_upstream_status_and_message(
    visits_client, requests_mock
) -> None:
    requests_mock.post(
        migration_url("/migrate/visits"),
        status_code=500,
        json={"status": 500, "userMessage": "Unexpected error: NOMIS is down"},
    )
    response = start_from_preview(visits_client, requests_mock)
    assert response.status_code == 502
    failed = AuditEvent.objects.order_by("id").last()
    assert failed.outcome == "FAILED" and failed.upstream_status == 500
    assert "NOMIS is down" in failed.message


def test_an_action_that_cannot_be_recorded_is_refused_and_never_sent(
    visits_client, requests_mock, monkeypatch
) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{ENCODED}"),
        json=history_json(STARTED, status="STARTED", ended=None),
    )
    requests_mock.post(migration_url(f"/migrate/cancel/{ENCODED}"), status_code=202)

    def broken(**kwargs):
        raise DatabaseError("database is down")

    monkeypatch.setattr(AuditEvent.objects, "create", broken)
    response = visits_client.post(f"/visits-migration/{STARTED}/cancel")
    assert response.status_code == 503
    assert "Nothing was sent to the migration service" in response.content.decode()
    assert not [r for r in requests_mock.request_history if r.method == "POST"]


@pytest.mark.parametrize(
    ("path", "method", "upstream", "action", "status"),
    [
        (
            f"/visits-migration/{STARTED}/cancel",
            "POST",
            f"/migrate/cancel/{ENCODED}",
            "CANCEL_MIGRATION",
            "STARTED",
        ),
        (
            f"/visits-migration/{STARTED}/refresh-counts",
            "POST",
            f"/migrate/refresh/{ENCODED}",
            "REFRESH_COUNTS",
            "COMPLETED",
        ),
        (
            "/visits-migration/failures/delete",
            "DELETE",
            "/migrate/dead-letter-queue/VISITS",
            "PURGE_DEAD_LETTERS",
            "COMPLETED",
        ),
    ],
)
def test_cancel_refresh_and_purge_each_record_requested_then_outcome(
    visits_client, requests_mock, path, method, upstream, action, status
) -> None:
    requests_mock.get(
        migration_url(f"/migrate/history/{ENCODED}"), json=history_json(STARTED, status=status)
    )
    requests_mock.register_uri(
        method, migration_url(upstream), status_code=202 if method == "POST" else 204
    )
    visits_client.post(path, {"from": "failures"})
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.outcome) for e in events] == [(action, "REQUESTED"), (action, "SUCCEEDED")]
    if action != "PURGE_DEAD_LETTERS":
        assert {e.migration_id for e in events} == {STARTED}


def test_a_failed_refresh_records_the_refusal(visits_client, requests_mock) -> None:
    requests_mock.get(migration_url(f"/migrate/history/{ENCODED}"), json=history_json(STARTED))
    requests_mock.post(
        migration_url(f"/migrate/refresh/{ENCODED}"),
        status_code=400,
        json={"status": 400, "userMessage": f"Bad Request: Migration {STARTED} is not completed"},
    )
    response = visits_client.post(f"/visits-migration/{STARTED}/refresh-counts")
    assert response.status_code == 302
    failed = AuditEvent.objects.order_by("id").last()
    assert (failed.outcome, failed.upstream_status) == ("FAILED", 400)
    assert VISITS.upstream_type == failed.migration_type
