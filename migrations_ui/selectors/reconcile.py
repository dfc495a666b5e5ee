"""What became of an action whose answer was lost: upstream's current state, read for evidence.

Each audited action has one check (`attempt_finding`), reading only (GETs) what that action would
have changed:

- start: a migration of the type started between the attempt and its lost answer (give or take
  START_WINDOW), with the filter it was sent (M3), and claimed by no other audit event;
- cancel: the migration's status (M4);
- delete failure messages: the dead letter count (M9), and whether a migration of the type has
  run since (M3), which could have put new messages there;
- room mapping added / deleted: whether the mapping exists, with that DPS room (R1);
- activate prison: the NOMIS agency switch (N11);
- end activities / move start date: the run's stored filter (M4): `nomisActivityEndDate`, or the
  new `activityStartDate`;
- refresh counts: a recount leaves no trace, so it stays unknown (and is safe to repeat).

The evidence is what upstream says now: a change made since by someone else can make a finding
wrong, which is why each finding keeps its evidence in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import upstream
from kernel.formatting import LONDON
from migrations_ui.clients.mapping_api import MappingApiClient
from migrations_ui.clients.migration_api import (
    IN_PROGRESS_STATUSES,
    MigrationApiClient,
    MigrationHistory,
)
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.selectors.audit import audit_claimed_migration_ids

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome

# A start is looked for from this long before it was asked for to this long after its answer was
# lost: the two clocks (ours, the migration service's local time in migration ids) may differ.
START_WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Attempt:
    """The rows of the attempt being checked: when it was asked for and when its answer was lost."""

    requested: AuditEvent
    unknown: AuditEvent
    username: str | None

    @property
    def event(self) -> AuditEvent:
        return self.unknown


@dataclass(frozen=True)
class Finding:
    outcome: str
    evidence: str
    # A start's migration, once found.
    migration_id: str = ""


def done(evidence: str, migration_id: str = "") -> Finding:
    return Finding(Outcome.CONFIRMED_DONE, evidence, migration_id)


def not_done(evidence: str) -> Finding:
    return Finding(Outcome.CONFIRMED_NOT_DONE, evidence)


def still_unknown(evidence: str) -> Finding:
    return Finding(Outcome.STILL_UNKNOWN, evidence)


def _local(moment: dt.datetime) -> dt.datetime:
    """An audit time as the migration service's naive local time (upstream-api.md §2.2)."""
    return moment.astimezone(LONDON).replace(tzinfo=None)


def _matches(sent: Any, stored: dict[str, Any]) -> bool:
    """Every value the start sent (empty ones aside) is in the migration's stored filter."""
    if not isinstance(sent, dict):
        return True
    return all(stored.get(key) == value for key, value in sent.items() if value not in (None, ""))


def _start(attempt: Attempt) -> Finding:
    event = attempt.event
    client = MigrationApiClient(username=attempt.username)
    earliest = _local(attempt.requested.occurred_at - START_WINDOW)
    latest = _local(event.occurred_at + START_WINDOW)
    params = {
        "fromDateTime": earliest.isoformat(timespec="seconds"),
        "toDateTime": latest.isoformat(timespec="seconds"),
    }
    claimed = audit_claimed_migration_ids(
        migration_type=event.migration_type, other_than=event.attempt_id
    )
    found = [
        migration.migration_id
        for migration in client.history(event.migration_type, params)
        if migration.when_started is not None
        and earliest <= migration.when_started <= latest
        and _matches(event.filter, migration.filter)
        and migration.migration_id not in claimed
    ]
    window = f"between {earliest:%H:%M:%S} and {latest:%H:%M:%S}"
    if len(found) == 1:
        return done(
            f"The migration service has migration {found[0]}, started {window} with this filter.",
            found[0],
        )
    if found:
        return still_unknown(
            f"The migration service has {len(found)} migrations started {window} with this "
            f"filter ({', '.join(sorted(found))}): which one this was cannot be told."
        )
    return not_done(f"The migration service has no migration started {window} with this filter.")


def _migration(attempt: Attempt) -> MigrationHistory | None:
    try:
        return MigrationApiClient(username=attempt.username).migration(attempt.event.migration_id)
    except upstream.NotFound:
        return None


def _cancel(attempt: Attempt) -> Finding:
    migration = _migration(attempt)
    if migration is None:
        return still_unknown("The migration service no longer knows the migration.")
    status = migration.status
    if status in ("CANCELLED_REQUESTED", "CANCELLED"):
        return done(f"The migration is {status}.")
    if status == "STARTED":
        return not_done("The migration is still STARTED.")
    return not_done(f"The migration ended {status}, so it was not cancelled.")


def _purge(attempt: Attempt) -> Finding:
    client = MigrationApiClient(username=attempt.username)
    migration_type = attempt.event.migration_type
    count = client.dead_letter_count(migration_type)
    if count == 0:
        return done("The dead letter queue is empty.")
    # New messages come only from a migration of the type running after the purge was asked for.
    since = _local(attempt.requested.occurred_at)
    ran_since = [
        migration.migration_id
        for migration in client.history(migration_type)
        if migration.status in IN_PROGRESS_STATUSES
        or (migration.when_ended is not None and migration.when_ended >= since)
    ]
    if ran_since:
        return still_unknown(
            f"The dead letter queue holds {count} messages, but migration "
            f"{', '.join(ran_since)} has run since, which may have put them there."
        )
    return not_done(
        f"The dead letter queue still holds {count} messages and no migration has run since."
    )


def _room(attempt: Attempt) -> tuple[str, str, str | None]:
    """The room mapping's prison, NOMIS room, and the DPS room it maps to now (None: unmapped)."""
    prison_id, _, nomis_room = attempt.event.subject_id.partition(" / ")
    mappings = MappingApiClient(username=attempt.username).room_mappings(prison_id)
    current = next((m.dps_room for m in mappings if m.nomis_room == nomis_room), None)
    return prison_id, nomis_room, current


def _room_added(attempt: Attempt) -> Finding:
    prison_id, nomis_room, current = _room(attempt)
    wanted = (attempt.event.details or {}).get("dpsRoom")
    if current is None:
        return not_done(f"{nomis_room} at {prison_id} is not mapped.")
    if current == wanted:
        return done(f"{nomis_room} at {prison_id} is mapped to {current}.")
    return still_unknown(f"{nomis_room} at {prison_id} is mapped to {current}, not {wanted}.")


def _room_deleted(attempt: Attempt) -> Finding:
    prison_id, nomis_room, current = _room(attempt)
    if current is None:
        return done(f"{nomis_room} at {prison_id} is not mapped.")
    return not_done(f"{nomis_room} at {prison_id} is still mapped to {current}.")


def _prison_activated(attempt: Attempt) -> Finding:
    details = attempt.event.details or {}
    service, prison_id = str(details.get("serviceCode", "")), str(details.get("prisonId", ""))
    client = NomisPrisonerApiClient(username=attempt.username)
    if client.agency_switch_on(service, prison_id):
        return done(f"NOMIS's {service} switch is on for {prison_id}.")
    return not_done(f"NOMIS's {service} switch is off for {prison_id}.")


def _activities_ended(attempt: Attempt) -> Finding:
    migration = _migration(attempt)
    if migration is None:
        return still_unknown("The migration service no longer knows the run.")
    ended = migration.filter.get("nomisActivityEndDate")
    if ended:
        return done(f"The run's NOMIS activities end on {ended}.")
    return not_done("The run has no NOMIS activity end date.")


def _start_date_moved(attempt: Attempt) -> Finding:
    migration = _migration(attempt)
    if migration is None:
        return still_unknown("The migration service no longer knows the run.")
    details = attempt.event.details or {}
    now = migration.filter.get("activityStartDate")
    if now == details.get("newActivityStartDate"):
        return done(f"The run's activities start on {now}.")
    if now == details.get("activityStartDate"):
        return not_done(f"The run's activities still start on {now}.")
    return still_unknown(f"The run's activities start on {now}, which neither date asked for.")


def _recount(attempt: Attempt) -> Finding:
    return still_unknown(
        "A recount leaves no trace to check; it is safe to refresh the counts again."
    )


CHECKS: dict[str, Callable[[Attempt], Finding]] = {
    Action.START_MIGRATION: _start,
    Action.CANCEL_MIGRATION: _cancel,
    Action.PURGE_DEAD_LETTERS: _purge,
    Action.REFRESH_COUNTS: _recount,
    Action.ADD_ROOM_MAPPING: _room_added,
    Action.DELETE_ROOM_MAPPING: _room_deleted,
    Action.ACTIVATE_PRISON: _prison_activated,
    Action.END_ACTIVITIES: _activities_ended,
    Action.MOVE_START_DATE: _start_date_moved,
}


def attempt_finding(attempt: Attempt) -> Finding:
    """Ask upstream what became of the attempt; a failure to ask is itself "still unknown"."""
    try:
        return CHECKS[attempt.event.action](attempt)
    except upstream.ApiError as error:
        return still_unknown(f"The {error.service} could not be asked: {error.message}.")
