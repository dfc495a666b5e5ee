"""Migration history, mappings and queues: everything a scenario resets.

One :class:`State` object holds a scenario's data. A reset builds a new one and swaps it in under
the engine lock, so workers still busy with the old state can finish harmlessly.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.queues import DeadLetterQueue, MainQueue
from sandbox.util import format_ts, now_local
from sandbox.visits import VisitStore

MIGRATION_TYPES = (
    "ACTIVITIES",
    "AGENCY_REGISTERS",
    "ALLOCATIONS",
    "APPOINTMENTS",
    "CORE_PERSON",
    "CSRA",
    "COURT_SCHEDULER",
    "COURT_SENTENCING",
    "EXTERNAL_MOVEMENTS",
    "OFFICIAL_VISITS",
    "PRISON_BALANCE",
    "PRISONER_BALANCE",
    "PROPERTY",
    "STAFF",
    "TRANSFER_MOVEMENTS",
    "VISITS",
    "VISIT_SLOTS",
    # Names the existing dashboard also uses (upstream-api §4.6).
    "CORE_PERSON_RELIGION",
    "INCIDENTS",
)
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


@dataclass(slots=True)
class VisitMapping:
    nomis_id: int
    vsip_id: str
    label: str | None
    mapping_type: str
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"nomisId": self.nomis_id, "vsipId": self.vsip_id}
        if self.label is not None:
            out["label"] = self.label
        out["mappingType"] = self.mapping_type
        out["whenCreated"] = format_ts(self.when_created)
        return out


@dataclass(slots=True)
class RoomMapping:
    prison_id: str
    description: str
    vsip_id: str
    is_open: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "vsipId": self.vsip_id,
            "nomisRoomDescription": self.description,
            "prisonId": self.prison_id,
            "isOpen": self.is_open,
        }


class MappingStore:
    """Visit and room mappings of the mapping service (upstream-api §7)."""

    def __init__(self) -> None:
        self.by_nomis: dict[int, VisitMapping] = {}
        self.by_vsip: dict[str, int] = {}
        self.by_label: dict[str, list[int]] = {}
        self.latest_migrated: int | None = None
        self.rooms: dict[tuple[str, str], RoomMapping] = {}

    def add(self, mapping: VisitMapping) -> None:
        self.by_nomis[mapping.nomis_id] = mapping
        self.by_vsip[mapping.vsip_id] = mapping.nomis_id
        if mapping.mapping_type == "MIGRATED":
            self.latest_migrated = mapping.nomis_id
            if mapping.label is not None:
                self.by_label.setdefault(mapping.label, []).append(mapping.nomis_id)

    def migrated_count(self, label: str) -> int:
        return len(self.by_label.get(label, ()))

    def delete_where(self, predicate: Any) -> None:
        """Delete mappings matching ``predicate`` and rebuild the indexes (rare, admin only)."""
        kept = [m for m in self.by_nomis.values() if not predicate(m)]
        self.by_nomis, self.by_vsip, self.by_label, self.latest_migrated = {}, {}, {}, None
        for mapping in sorted(kept, key=lambda m: m.when_created):
            self.add(mapping)


class State:
    """All data of one scenario run."""

    def __init__(self, scenario: str, visits: VisitStore) -> None:
        self.scenario = scenario
        self.visits = visits
        self.mappings = MappingStore()
        # History, newest ``whenStarted`` first.
        self.history: list[Migration] = []
        self.by_id: dict[str, Migration] = {}
        self.queue = MainQueue()
        self.dlq = DeadLetterQueue()
        self.vsip_seq = itertools.count(1)
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

    def next_vsip_reference(self) -> str:
        """A DPS visit reference like ``ab-cd-ef-gh`` (unique within the run)."""
        n = next(self.vsip_seq)
        letters = "abcdefghijklmnopqrstuvwxyz"
        parts = []
        for _ in range(4):
            parts.append(letters[n % 26] + letters[(n // 26) % 26])
            n //= 676
        return "-".join(parts) + "-s"
