"""Audit events can't be changed or removed; `audit_verify`; the selectors behind "Started by"."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from migrations_ui.models import AuditEvent, AuditLogIsAppendOnly
from migrations_ui.selectors.audit import audit_started_by, audit_timeline
from tests.unit.test_audit_review import WINTER, make_event, make_start

pytestmark = pytest.mark.django_db


# -- Integrity: model, queryset, admin, database


def test_saving_an_existing_event_raises_and_changes_nothing() -> None:
    event = make_event(WINTER, message="original")
    event.message = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).message == "original"


def test_deleting_an_event_raises() -> None:
    event = make_event(WINTER)
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda events: events.update(message="x"),
        lambda events: events.delete(),
        lambda events: events.bulk_update(list(events), ["message"]),
        lambda events: events.update_or_create(id=1, defaults={"message": "x"}),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create"],
)
def test_bulk_changes_through_the_queryset_raise(change: Any) -> None:
    make_event(WINTER)
    with pytest.raises(AuditLogIsAppendOnly):
        change(AuditEvent.objects.all())


def test_the_admin_is_read_only() -> None:
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    event = make_event(WINTER)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert not model_admin.get_actions(request)
    assert set(model_admin.get_readonly_fields(request, event)) >= {
        field.name for field in AuditEvent._meta.fields
    }


def test_no_change_or_delete_permission_exists_for_events() -> None:
    assert set(AuditEvent._meta.default_permissions) == {"add", "view"}


@pytest.mark.needs_postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE migrations_ui_auditevent SET message = 'rewritten' WHERE id = %s",
        "DELETE FROM migrations_ui_auditevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_postgresql_refuses_update_and_delete_even_in_raw_sql(
    postgres_url: str, statement: str
) -> None:
    assert connection.vendor == "postgresql"
    event = make_event(WINTER, message="original")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).message == "original"


@pytest.mark.needs_postgres
def test_postgresql_still_accepts_new_events(postgres_url: str) -> None:
    make_event(WINTER)
    make_event()
    assert AuditEvent.objects.count() == 2


# -- audit_verify


def run_verify(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def test_verify_passes_when_every_requested_event_has_an_outcome() -> None:
    make_start(WINTER, "2022-03-14T10:13:56")
    assert "No unresolved audit events older than 15 minutes." in run_verify()


def test_verify_passes_on_an_empty_log() -> None:
    assert "No unresolved" in run_verify()


def test_verify_reports_old_requested_events_without_an_outcome_and_fails() -> None:
    make_event(
        WINTER,
        display_name="Sam Syscon",
        action="CANCEL_MIGRATION",
        migration_id="2022-03-14T10:13:56",
        request_id="req-lost",
    )
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError, match="1 requested audit event"):
        call_command("audit_verify", stdout=out)
    line = out.getvalue()
    assert "14 Mar 2022, 10:13" in line
    assert "Sam Syscon (SYSCON_USER)" in line
    assert "CANCEL_MIGRATION" in line
    assert "2022-03-14T10:13:56" in line
    assert "req-lost" in line


def test_verify_leaves_recent_attempts_alone_until_they_are_old_enough() -> None:
    make_event(timezone.now() - dt.timedelta(minutes=5), request_id="req-running")
    assert "No unresolved" in run_verify()
    assert "No unresolved" in run_verify("--older-than-minutes", "10")
    with pytest.raises(CommandError):
        run_verify("--older-than-minutes", "1")


def test_verify_counts_a_failed_outcome_as_resolved() -> None:
    attempt = uuid.uuid4()
    make_event(WINTER, attempt_id=attempt)
    make_event(WINTER, attempt_id=attempt, outcome="FAILED", upstream_status=502)
    assert "No unresolved" in run_verify()


# -- Selectors for "Started by" and the timeline (issue 6 item 4)


def test_started_by_finds_each_start_in_one_query(assert_audit_reads: Any) -> None:
    first, _ = make_start(WINTER, "2022-03-14T10:13:56", username="FIRST_USER")
    second, _ = make_start(
        WINTER + dt.timedelta(days=1), "2022-03-15T10:13:56", username="SECOND_USER"
    )
    # A failed start has no migration id; a cancel names the id but is not a start.
    make_event(WINTER, outcome="FAILED", username="FAILED_USER")
    make_event(
        WINTER + dt.timedelta(hours=1),
        action="CANCEL_MIGRATION",
        migration_id="2022-03-14T10:13:56",
        username="CANCELLER",
    )
    ids = ["2022-03-14T10:13:56", "2022-03-15T10:13:56", "2022-03-16T00:00:00"]
    with assert_audit_reads(1):
        started = audit_started_by(migration_type="VISITS", migration_ids=ids)
    assert set(started) == {"2022-03-14T10:13:56", "2022-03-15T10:13:56"}
    assert started["2022-03-14T10:13:56"].pk == first.pk
    assert started["2022-03-14T10:13:56"].username == "FIRST_USER"
    assert started["2022-03-14T10:13:56"].outcome == "REQUESTED"
    assert started["2022-03-15T10:13:56"].pk == second.pk


def test_started_by_is_one_query_for_a_page_of_50(assert_audit_reads: Any) -> None:
    ids = []
    for n in range(50):
        migration_id = f"2022-03-14T10:{n:02d}:00"
        make_start(WINTER + dt.timedelta(minutes=n), migration_id, username=f"USER_{n}")
        ids.append(migration_id)
    with assert_audit_reads(1):
        started = audit_started_by(migration_type="VISITS", migration_ids=ids)
    assert {key: event.username for key, event in started.items()} == {
        f"2022-03-14T10:{n:02d}:00": f"USER_{n}" for n in range(50)
    }


def test_started_by_ignores_other_types_and_makes_no_query_for_no_ids(
    assert_audit_reads: Any,
) -> None:
    make_start(WINTER, "2022-03-14T10:13:56")
    with assert_audit_reads(1):
        assert audit_started_by(migration_type="OTHER", migration_ids=["2022-03-14T10:13:56"]) == {}
    with assert_audit_reads(0):
        assert audit_started_by(migration_type="VISITS", migration_ids=[]) == {}


def test_started_by_uses_the_outcome_row_if_the_requested_row_names_no_attempt_sibling() -> None:
    lone = make_event(WINTER, outcome="SUCCEEDED", migration_id="2022-03-14T10:13:56")
    started = audit_started_by(migration_type="VISITS", migration_ids=["2022-03-14T10:13:56"])
    assert started["2022-03-14T10:13:56"].pk == lone.pk


def test_the_timeline_is_every_event_of_the_migration_oldest_first(
    assert_audit_reads: Any,
) -> None:
    requested, succeeded = make_start(WINTER, "2022-03-14T10:13:56")
    cancel_attempt = uuid.uuid4()
    cancel_requested = make_event(
        WINTER + dt.timedelta(minutes=5),
        action="CANCEL_MIGRATION",
        migration_id="2022-03-14T10:13:56",
        attempt_id=cancel_attempt,
    )
    cancel_done = make_event(
        WINTER + dt.timedelta(minutes=5, seconds=1),
        action="CANCEL_MIGRATION",
        migration_id="2022-03-14T10:13:56",
        attempt_id=cancel_attempt,
        outcome="SUCCEEDED",
    )
    make_start(WINTER + dt.timedelta(days=1), "2022-03-15T10:13:56")
    make_event(WINTER, action="PURGE_DEAD_LETTERS", outcome="SUCCEEDED")
    with assert_audit_reads(1):
        timeline = audit_timeline(migration_type="VISITS", migration_id="2022-03-14T10:13:56")
    assert [event.pk for event in timeline] == [
        requested.pk,
        succeeded.pk,
        cancel_requested.pk,
        cancel_done.pk,
    ]


def test_the_timeline_of_an_unknown_or_empty_id_is_empty(assert_audit_reads: Any) -> None:
    make_start(WINTER, "2022-03-14T10:13:56")
    assert audit_timeline(migration_type="VISITS", migration_id="2099-01-01T00:00:00") == []
    with assert_audit_reads(0):
        assert audit_timeline(migration_type="VISITS", migration_id="") == []
