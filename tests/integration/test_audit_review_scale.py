"""The audit log at scale on PostgreSQL: with 100,000 events the review page's queries stay quick.

`generate_audit_events` inserts the events with one INSERT ... SELECT (insert-only, as the
append-only table allows); it is also how the plans in the audit review note were measured.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from migrations_ui.models import AuditEvent
from migrations_ui.selectors.audit import (
    AuditFilters,
    audit_event_list,
    audit_started_by,
    audit_timeline,
)

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db]


EVENTS = 100_000
# Generous against a shared CI machine; on a laptop each of these takes 0.1 to 60 ms.
BUDGET_SECONDS = 0.5

# The only interpolation is the table name from the model; the row count is a parameter.
_GENERATE = f"""
INSERT INTO {AuditEvent._meta.db_table}
    (occurred_at, attempt_id, username, display_name, auth_source, action, migration_type,
     migration_id, filter, estimate, outcome, upstream_status, message, request_id, client_ip,
     subject_kind, subject_id)
SELECT
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + (attempt * INTERVAL '10 minutes')
        + (step * INTERVAL '1 second'),
    md5('attempt-' || attempt)::uuid,
    'USER_' || lpad((attempt %% 40)::text, 2, '0'),
    'User ' || (attempt %% 40),
    'nomis',
    (ARRAY['START_MIGRATION', 'CANCEL_MIGRATION', 'PURGE_DEAD_LETTERS', 'REFRESH_COUNTS'])
        [1 + attempt %% 4],
    'VISITS',
    CASE
        WHEN attempt %% 4 = 2 THEN ''
        WHEN attempt %% 4 = 0 AND step = 0 THEN ''
        ELSE to_char(TIMESTAMP '2024-01-01' + attempt * INTERVAL '10 minutes',
                     'YYYY-MM-DD"T"HH24:MI:SS')
    END,
    '{{"prisonIds": ["HEI"], "visitTypes": ["SCON"]}}'::jsonb,
    NULL,
    CASE WHEN step = 0 THEN 'REQUESTED' WHEN attempt %% 10 = 3 THEN 'FAILED' ELSE 'SUCCEEDED' END,
    CASE WHEN step = 1 AND attempt %% 10 = 3 THEN 502 END,
    '',
    'req-' || attempt,
    NULL,
    CASE WHEN attempt %% 4 = 2 THEN 'DEAD_LETTER_QUEUE' ELSE 'MIGRATION' END,
    'VISITS'
FROM generate_series(0, %s - 1) AS attempt, generate_series(0, 1) AS step
"""  # noqa: S608


def generate_audit_events(count: int) -> None:
    """`count` events: count/2 attempts ten minutes apart, each a "requested" row and an outcome.

    Starts follow services/migrations.py: the "requested" row has no migration id, the outcome
    row has it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_GENERATE, [count // 2])
        cursor.execute(f"ANALYZE {AuditEvent._meta.db_table}")


def explain(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


FILTERS = {
    "none": AuditFilters(),
    "user": AuditFilters(user="user_07"),
    "action+outcome": AuditFilters(action="CANCEL_MIGRATION", outcome="FAILED"),
    "migration": AuditFilters(migration_type="VISITS", migration_id="2024-06-01T10:00:00"),
    "month": AuditFilters(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31)),
    "user+month": AuditFilters(
        user="user_07", date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31)
    ),
}


def page_and_count(filters: AuditFilters) -> Callable[[], Any]:
    """What the page runs: the count for the pagination, then one page of 50."""

    def run() -> None:
        events = audit_event_list(filters=filters)
        events.count()
        list(events[:50])

    return run


# One test, because generating 100,000 rows takes a few seconds and each test rolls back.
def test_100000_events_filter_page_and_join_quickly(postgres_url: str) -> None:
    generate_audit_events(EVENTS)
    assert AuditEvent.objects.count() == EVENTS

    timings = {label: timed(page_and_count(f)) for label, f in FILTERS.items()}
    print("page + count, seconds:", {k: round(v, 4) for k, v in timings.items()})
    assert all(seconds < BUDGET_SECONDS for seconds in timings.values()), timings

    # Newest first reads an occurred_at index backwards: no full sort of the table.
    plan = explain(audit_event_list(filters=AuditFilters())[:50])
    assert "Seq Scan" not in plan, plan
    assert re.search(r"(?<!Incremental )Sort\b", plan) is None, plan

    ids = list(
        AuditEvent.objects.filter(action="START_MIGRATION", outcome="SUCCEEDED")
        .exclude(migration_id="")
        .values_list("migration_id", flat=True)[:50]
    )
    assert len(ids) == 50
    assert timed(lambda: audit_started_by(migration_type="VISITS", migration_ids=ids)) < 0.2
    started = audit_started_by(migration_type="VISITS", migration_ids=ids)
    assert set(started) == set(ids)
    assert {event.outcome for event in started.values()} == {"REQUESTED"}
    assert "Seq Scan" not in explain_started_by(ids)

    timeline = audit_timeline(migration_type="VISITS", migration_id=ids[0])
    assert [event.outcome for event in timeline] == ["REQUESTED", "SUCCEEDED"]
    assert timed(lambda: audit_timeline(migration_type="VISITS", migration_id=ids[0])) < 0.2


def explain_started_by(ids: list[str]) -> str:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        audit_started_by(migration_type="VISITS", migration_ids=ids)
    # The read itself, not the statement timeout set around it (selectors.audit.optional_read).
    read = next(
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT")
        and "migrations_ui_auditevent" in query["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {read}")
        return "\n".join(row[0] for row in cursor.fetchall())
