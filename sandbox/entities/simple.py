"""What the one-message-per-record types share: a mapping store and the migrate steps.

Core person, official visits, both balances and TAPs (upstream-api-types §5) migrate a record
the same way: maybe skip it when already mapped, read NOMIS, write DPS, write the mapping (a
failed mapping write is retried alone with ``RETRY_MIGRATION_MAPPING``). :class:`SimpleEntity`
does that once; each plug-in says how to name, check and describe its records.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import DownstreamError, Entity, RecordFailed
from sandbox.util import BadRequest, format_ts, now_local, read_json

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

PRISONS = ("MDI", "LEI", "BXI", "HEI")


@dataclass(slots=True)
class Mapping:
    """One mapping-service row; ``fields`` are its NOMIS-side properties."""

    fields: dict[str, Any]
    dps_id: str
    label: str | None
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            **self.fields,
            "dpsId": self.dps_id,
            "label": self.label,
            "mappingType": "MIGRATED",
            "whenCreated": format_ts(self.when_created),
        }


@dataclass
class MappingStore:
    """Mappings by record key, and the keys each migration wrote (what P-counts read)."""

    mappings: dict[Hashable, Mapping] = field(default_factory=dict)
    by_label: dict[str, list[Hashable]] = field(default_factory=dict)
    next_dps_id: int = 1

    def put(self, key: Hashable, mapping: Mapping) -> None:
        """Add or replace ``key``'s mapping (a replaced one leaves its old migration's rows)."""
        old = self.mappings.get(key)
        if old is not None and old.label is not None:
            self.by_label[old.label].remove(key)
        self.mappings[key] = mapping
        if mapping.label is not None:
            self.by_label.setdefault(mapping.label, []).append(key)

    def count(self, label: str) -> int:
        return len(self.by_label.get(label, ()))


class Ignored(Exception):
    """The record has nothing to migrate: ``-entity-ignored``, neither migrated nor failed."""


class SimpleEntity(Entity):
    """An entity whose record is migrated by :meth:`migrate` below; subclasses fill the hooks.

    ``skip_log`` is the upstream's log line for an already-mapped record (``{key}`` is replaced),
    or None for types that never skip. ``replaces`` makes the mapping write a PUT that replaces
    the record's mapping; otherwise an existing mapping gives a ``duplicate_event``.
    ``failed_event`` sends ``<prefix>-migration-entity-failed`` (with ``reason``) on failure.
    """

    skip_log: str | None = None
    replaces: bool = False
    failed_event: bool = False
    duplicate_event: str = ""

    def mapping_store(self, state: State) -> MappingStore:
        store: MappingStore = state.stores[self.migration_type].mapping_store
        return store

    def migrated_count(self, state: State, migration_id: str) -> int:
        return self.mapping_store(state).count(migration_id)

    # -- Hooks

    @abstractmethod
    def record_key(self, body: Any) -> Any:
        """The record's key from its ``MIGRATE_ENTITY`` body; RecordFailed if malformed."""

    def key_text(self, key: Any) -> str:
        return str(key)

    @abstractmethod
    def describe(self, key: Any) -> dict[str, Any]:
        """The record's mapping fields, also its telemetry properties."""

    def mapping_check_path(self, key: Any) -> str | None:
        """The mapping service's "already mapped?" lookup, for fault injection; None for a type
        that never skips (``skip_log`` is None), which never looks."""
        return None

    @abstractmethod
    def nomis_path(self, key: Any) -> str:
        """The NOMIS read of one record, for fault injection."""

    @abstractmethod
    def mapping_write_path(self, key: Any) -> str:
        """The mapping write of one record, for fault injection."""

    @abstractmethod
    def check(self, job: Job, key: Any) -> None:
        """NOMIS read and DPS write: raise RecordFailed to fail, Ignored to ignore."""

    def dps_id(self, job: Job, key: Any) -> str:
        """The id DPS gave the record (a counter unless the type's DPS id is a NOMIS value)."""
        store = self.mapping_store(job.state)
        with job.lock:
            value = store.next_dps_id
            store.next_dps_id += 1
        return str(value)

    # -- Lifecycle steps

    def migrate(self, job: Job, body: Any) -> None:
        key = self.record_key(body)
        try:
            self._migrate(job, body, key)
        except (RecordFailed, DownstreamError) as exc:
            if self.failed_event:
                job.event(
                    f"{self.event_prefix}-migration-entity-failed",
                    {"migrationId": job.migration_id, **self._props(key), "reason": str(exc)},
                )
            raise

    def _migrate(self, job: Job, body: Any, key: Any) -> None:
        store = self.mapping_store(job.state)
        if self.skip_log is not None:
            check_path = self.mapping_check_path(key)
            if check_path is not None:
                job.downstream("mappingApi", check_path)
            with job.lock:
                already = key in store.mappings
            if already:
                job.log("INFO", self.skip_log.format(key=self.key_text(key)))
                return
        job.work()
        job.downstream("nomisPrisonerApi", self.nomis_path(key))
        try:
            self.check(job, key)
        except Ignored:
            job.event(
                f"{self.event_prefix}-migration-entity-ignored",
                {"migrationId": job.migration_id, **self._props(key)},
            )
            return
        dps_id = self.dps_id(job, key)
        try:
            job.downstream("mappingApi", self.mapping_write_path(key))
        except DownstreamError:
            # The DPS record exists now: only the mapping is retried, so it is not created twice.
            job.send("RETRY_MIGRATION_MAPPING", {"entity": body, "dpsId": dps_id})
            return
        self._create_mapping(job, key, dps_id)

    def retry_mapping(self, job: Job, body: Any) -> None:
        key = self.record_key(body.get("entity"))
        job.downstream("mappingApi", self.mapping_write_path(key))
        self._create_mapping(job, key, str(body.get("dpsId")))

    def _create_mapping(self, job: Job, key: Any, dps_id: str) -> None:
        store = self.mapping_store(job.state)
        with job.lock:
            existing = store.mappings.get(key)
            if existing is not None and not self.replaces:
                job.event(
                    self.duplicate_event,
                    {
                        "migrationId": job.migration_id,
                        **self._props(key),
                        "duplicateDpsId": dps_id,
                        "existingDpsId": existing.dps_id,
                    },
                )
                return
            store.put(key, Mapping(self.describe(key), dps_id, job.migration_id, now_local()))
        job.event(
            f"{self.event_prefix}-migration-entity-migrated",
            {"migrationId": job.migration_id, **self._props(key), "dpsId": dps_id},
        )

    def _props(self, key: Any) -> dict[str, str]:
        return {k: str(v) for k, v in self.describe(key).items()}


def parse_date(raw: Any, name: str) -> str | None:
    """An optional ISO date of a start body or query ("" and null are absent, like Jackson)."""
    if raw is None or raw == "":
        return None
    message = f"Validation failure: {name} must be a date like 2020-03-23, was {raw!r}"
    if not isinstance(raw, str):
        raise BadRequest(message)
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError as exc:
        raise BadRequest(message) from exc


def optional_string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"Validation failure: {name} must be a string")
    return value


def non_blank(values: list[str]) -> list[str]:
    """Filter values that count: blank entries are ignored, the rest kept untrimmed."""
    return [v for v in values if v.strip()]


def prison_filter(raw: bytes) -> dict[str, Any]:
    """The balances' start body ``{"prisonId"?}``; other fields (the dashboard's whole session
    form) are ignored, a null ``prisonId`` is omitted and ``""`` kept, as the upstream stores it."""
    data = read_json(raw)
    if not isinstance(data, dict):
        raise BadRequest("Validation failure: JSON parse error: expected an object")
    prison_id = optional_string(data, "prisonId")
    return {} if prison_id is None else {"prisonId": prison_id}


def chosen_prison(body: Any) -> str | None:
    """The run's prison, or None (absent or blank) for every prison."""
    value = body.get("prisonId") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value.strip() else None
