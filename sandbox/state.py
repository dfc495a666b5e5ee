"""Migration history, per-type data and queues: everything a scenario resets.

One :class:`State` object holds a scenario's data. A reset builds a new one and swaps it in under
the engine lock, so workers still busy with the old state can finish harmlessly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.queues import DeadLetterQueue, MainQueue
from sandbox.util import format_ts, now_local

# The migration service's other ``MigrationType`` values: accepted by M3-M10 (empty history, zero
# counts, empty DLQs) but not simulated. The simulated ones are the entities' (sandbox.entities).
# Not the old dashboard's CORE_PERSON_RELIGION (generalised to CORE_PERSON on 2026-08-21) nor
# INCIDENTS (removed on 2026-05-05): the upstream refuses both as unknown types (400), as here
# (upstream-api-types.md §7, §8).
UNSIMULATED_TYPES = (
    "AGENCY_REGISTERS",
    "COURT_SCHEDULER",
    "CSRA",
    "PROPERTY",
    "STAFF",
    "TRANSFER_MOVEMENTS",
)


def migration_types() -> frozenset[str]:
    """Every ``MigrationType`` the migration service knows: the simulated ones and the others."""
    # Imported here: the entities' scenario builders import this module.
    from sandbox import entities

    return frozenset((*entities.types(), *UNSIMULATED_TYPES))


IN_PROGRESS = ("STARTED", "CANCELLED_REQUESTED")


@dataclass
class Migration:
    migration_id: str
    migration_type: str
    when_started: datetime
    estimated: int
    filter_json: str | None
    filter: dict[str, Any]
    status: str = "STARTED"
    when_ended: datetime | None = None
    records_migrated: int = 0
    records_failed: int = 0

    def as_json(self) -> dict[str, Any]:
        """``MigrationHistory`` (upstream-api §4.2)."""
        return {
            "migrationId": self.migration_id,
            "id": self.migration_id,
            "isNew": False,
            "whenStarted": format_ts(self.when_started),
            "whenEnded": format_ts(self.when_ended) if self.when_ended else None,
            "estimatedRecordCount": self.estimated,
            "filter": self.filter_json,
            "recordsMigrated": self.records_migrated,
            "recordsFailed": self.records_failed,
            "migrationType": self.migration_type,
            "status": self.status,
        }


class State:
    """All data of one scenario run."""

    def __init__(self, scenario: str, migration_types: Iterable[str]) -> None:
        self.scenario = scenario
        # Each simulated type's NOMIS data and mappings, keyed by MigrationType; the type's
        # plug-in (sandbox.entities) knows the object's class.
        self.stores: dict[str, Any] = {}
        # History, newest ``whenStarted`` first.
        self.history: list[Migration] = []
        self.by_id: dict[str, Migration] = {}
        # The migration service has one SQS queue and one DLQ per type (upstream-api-types §5).
        self.queues: dict[str, MainQueue] = {t: MainQueue() for t in migration_types}
        self.dlqs: dict[str, DeadLetterQueue] = {t: DeadLetterQueue() for t in self.queues}
        # What the real service would send to Application Insights, for tests and demos.
        self.telemetry: deque[dict[str, Any]] = deque(maxlen=20_000)
        self.logs: deque[dict[str, Any]] = deque(maxlen=20_000)
        self.created = now_local()

    def add_history(self, migration: Migration) -> None:
        self.by_id[migration.migration_id] = migration
        self.history.append(migration)
        self.history.sort(key=lambda m: m.when_started, reverse=True)

    def latest(self, migration_type: str) -> Migration | None:
        for migration in self.history:
            if migration.migration_type == migration_type:
                return migration
        return None

    def event(self, name: str, properties: dict[str, Any]) -> None:
        self.telemetry.append(
            {"name": name, "time": format_ts(now_local()), "properties": properties}
        )

    def log(self, level: str, message: str) -> None:
        self.logs.append({"level": level, "time": format_ts(now_local()), "message": message})
