"""Reads of the audit log: the review page and export, "Started by", timelines, unresolved attempts.

Writes live in `migrations_ui.services.audit.audit_event_record`; nothing here changes a row.

A start is written as two rows sharing `attempt_id`: "requested" *before* the upstream call, so
without a migration id (upstream assigns it), and the outcome after it, carrying the id. Selectors
that look a migration up by id therefore follow `attempt_id` from the outcome row back to the
"requested" row.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from kernel import caching
from kernel.formatting import LONDON
from migrations_ui.models import AuditEvent

logger = logging.getLogger(__name__)

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


@dataclass(frozen=True)
class AuditFilters:
    """The review page's filters, already validated; empty values filter nothing.

    Dates are London calendar days, both ends inclusive.
    """

    user: str = ""
    action: str = ""
    outcome: str = ""
    migration_type: str = ""
    migration_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _london_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


def audit_event_list(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events matching the filters, newest first (ties broken by id, so pages never overlap)."""
    events = AuditEvent.objects.all()
    if filters.user:
        events = events.filter(username__icontains=filters.user)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.migration_type:
        events = events.filter(migration_type=filters.migration_type)
    if filters.migration_id:
        events = events.filter(migration_id=filters.migration_id)
    if filters.date_from:
        events = events.filter(occurred_at__gte=_london_midnight(filters.date_from))
    if filters.date_to:
        # Inclusive of the whole last day, whatever its length in London (clock changes).
        next_day = filters.date_to + dt.timedelta(days=1)
        events = events.filter(occurred_at__lt=_london_midnight(next_day))
    return events.order_by("-occurred_at", "-id")


def _start_outcomes(*, migration_type: str, migration_ids: Iterable[str]) -> QuerySet[AuditEvent]:
    """Outcome rows of starts that produced one of these migration ids."""
    return AuditEvent.objects.filter(
        action=Action.START_MIGRATION,
        migration_type=migration_type,
        migration_id__in=list(migration_ids),
    ).exclude(outcome=Outcome.REQUESTED)


@contextmanager
def optional_read() -> Iterator[None]:
    """A read the page can do without (deadline.UpstreamCalls), cut off past the optional budget.

    On PostgreSQL the statements in the block are cancelled (a DatabaseError, which the page
    shows as "Status unavailable") once they have run for OPTIONAL_CALL_BUDGET_SECONDS: the
    timeout is local to the block's transaction. SQLite, on a laptop, has no such limit.
    """
    if connection.vendor != "postgresql":
        yield
        return
    milliseconds = max(1, round(settings.OPTIONAL_CALL_BUDGET_SECONDS * 1000))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(milliseconds)])
        yield


def audit_started_by(*, migration_type: str, migration_ids: list[str]) -> dict[str, AuditEvent]:
    """The start event of each migration that has one, by migration id, in one query.

    The value is the attempt's earliest "requested" row (who pressed Start, and when); a row
    that names the id itself counts too, and if an attempt somehow has no "requested" row its
    outcome row stands in. Each returned event carries `started_migration_id`. An optional read.
    """
    ids = [migration_id for migration_id in dict.fromkeys(migration_ids) if migration_id]
    if not ids:
        return {}
    outcomes = _start_outcomes(migration_type=migration_type, migration_ids=ids)
    events = (
        # Every row naming one of the ids, and its attempt's other rows (the "requested" one):
        # a semi-join on attempt_id, which the attempt and migration indexes serve.
        AuditEvent.objects.filter(
            action=Action.START_MIGRATION,
            migration_type=migration_type,
            attempt_id__in=AuditEvent.objects.filter(
                action=Action.START_MIGRATION,
                migration_type=migration_type,
                migration_id__in=ids,
            ).values("attempt_id"),
        )
        .annotate(
            started_migration_id=Coalesce(
                NullIf("migration_id", Value("")),
                Subquery(
                    outcomes.filter(attempt_id=OuterRef("attempt_id")).values("migration_id")[:1]
                ),
            )
        )
        .order_by("occurred_at", "id")
    )
    started: dict[str, AuditEvent] = {}
    with optional_read():
        rows = list(events)
    for event in rows:
        key = event.started_migration_id  # type: ignore[attr-defined]  # from annotate()
        current = started.get(key)
        if current is None or (
            current.outcome != Outcome.REQUESTED and event.outcome == Outcome.REQUESTED
        ):
            started[key] = event
    return started


def audit_timeline(*, migration_type: str, migration_id: str) -> list[AuditEvent]:
    """Every event of one migration, oldest first, in one query.

    Includes the start's "requested" row, which has no migration id: it is found through the
    `attempt_id` of the rows that do. An optional read.
    """
    if not migration_id:
        return []
    named = AuditEvent.objects.filter(migration_type=migration_type, migration_id=migration_id)
    with optional_read():
        return list(
            AuditEvent.objects.filter(
                migration_type=migration_type, attempt_id__in=named.values("attempt_id")
            ).order_by("occurred_at", "id")
        )


def migration_timeline(*, migration_type: str, migration_id: str) -> list[AuditEvent] | None:
    """What people did to one migration through the dashboard, for its details page.

    Only dashboard actions add to it, so it is read again only after one (kernel.caching). None
    when the audit log cannot be read in time: the page still shows the migration, with a note.
    """
    try:
        return caching.timelines.get(
            (migration_type, migration_id),
            lambda: audit_timeline(migration_type=migration_type, migration_id=migration_id),
        )
    except DatabaseError:
        logger.exception("Audit log unreadable: details shown without the dashboard actions")
        return None


# A "requested" event younger than this may still be waiting for its upstream call.
UNRESOLVED_AFTER = dt.timedelta(minutes=15)


def audit_unresolved(
    *, older_than: dt.timedelta, now: dt.datetime | None = None
) -> QuerySet[AuditEvent]:
    """ "Requested" events older than `older_than` whose attempt has no outcome row, oldest first.

    Each is an action that may have reached upstream without its result being recorded.
    """
    cutoff = (now or timezone.now()) - older_than
    outcome = AuditEvent.objects.filter(attempt_id=OuterRef("attempt_id")).exclude(
        outcome=Outcome.REQUESTED
    )
    return (
        AuditEvent.objects.filter(outcome=Outcome.REQUESTED, occurred_at__lt=cutoff)
        .filter(~Exists(outcome))
        .order_by("occurred_at", "id")
    )


# Follow-ups that settle an UNKNOWN attempt; STILL_UNKNOWN leaves it to be checked again.
SETTLED = (Outcome.CONFIRMED_DONE, Outcome.CONFIRMED_NOT_DONE)
FOLLOW_UPS = (*SETTLED, Outcome.STILL_UNKNOWN)


def audit_outcome_unknown() -> QuerySet[AuditEvent]:
    """UNKNOWN outcome rows not yet settled, oldest first: sent upstream, the answer lost.

    Unlike an unresolved attempt, the dashboard saw these happen; upstream may or may not have
    carried them out. An attempt is settled by a CONFIRMED_DONE or CONFIRMED_NOT_DONE follow-up
    (services.reconcile), and is then no longer listed.
    """
    settled = AuditEvent.objects.filter(attempt_id=OuterRef("attempt_id"), outcome__in=SETTLED)
    return (
        AuditEvent.objects.filter(outcome=Outcome.UNKNOWN)
        .filter(~Exists(settled))
        .order_by("occurred_at", "id")
    )


def audit_left_unknown_counts(
    *, window: dt.timedelta, now: dt.datetime | None = None
) -> dict[str, int]:
    """How many attempts of the last `window` nobody knows the result of, by kind.

    "unknown": UNKNOWN outcome rows; "missing": requested, and still no outcome 15 minutes on
    (as `audit_verify` reports them). Counted over a window rather than for ever, so an alert
    on them clears once someone has had a day to check upstream; an UNKNOWN attempt settled by a
    follow-up (CONFIRMED_DONE or CONFIRMED_NOT_DONE) stops counting at once.
    """
    now = now or timezone.now()
    since = now - window
    unknown = audit_outcome_unknown().filter(occurred_at__gte=since)
    missing = audit_unresolved(older_than=UNRESOLVED_AFTER, now=now).filter(occurred_at__gte=since)
    return {"unknown": unknown.count(), "missing": missing.count()}


def audit_follow_ups(*, attempt_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AuditEvent]:
    """The latest follow-up of each of these attempts that has one, in one query."""
    ids = list(dict.fromkeys(attempt_ids))
    if not ids:
        return {}
    latest: dict[uuid.UUID, AuditEvent] = {}
    for event in AuditEvent.objects.filter(attempt_id__in=ids, outcome__in=FOLLOW_UPS).order_by(
        "occurred_at", "id"
    ):
        latest[event.attempt_id] = event
    return latest


def audit_attempt(*, event_id: int) -> tuple[AuditEvent, list[AuditEvent]]:
    """One event and every row of its attempt, oldest first; `AuditEvent.DoesNotExist` if none."""
    event = AuditEvent.objects.get(pk=event_id)
    rows = list(
        AuditEvent.objects.filter(attempt_id=event.attempt_id).order_by("occurred_at", "id")
    )
    return event, rows


def audit_claimed_migration_ids(*, migration_type: str, other_than: uuid.UUID) -> set[str]:
    """Migrations of the type that other attempts' starts are known to have started."""
    return set(
        AuditEvent.objects.filter(
            action=Action.START_MIGRATION,
            migration_type=migration_type,
            outcome__in=(Outcome.SUCCEEDED, Outcome.CONFIRMED_DONE),
        )
        .exclude(attempt_id=other_than)
        .exclude(migration_id="")
        .values_list("migration_id", flat=True)
    )
