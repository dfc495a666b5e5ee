"""Visit Slots (``VISIT_SLOTS``): NOMIS visit time slots (upstream-api-types §2.6, §5).

NOMIS has 84 time slots: four prisons (MDI, LEI, BXI, HEI), seven days (``MON``…``SUN``), three
slots a day, listed by N6 ``GET /visits/configuration/time-slots/ids`` (a PagedModel). The start
``POST /migrate/visitslots`` has no body; its ``body`` and stored filter are ``""``. Each slot is
one ``MIGRATE_ENTITY`` ``{"prisonId", "dayOfWeek", "timeSlotSequence"}``; a slot that already has a
mapping is skipped with the upstream's log line ("Will not migrate the nomis visit time slot=…").
The "migrated" count is P6 ``GET /mapping/visit-slots/migration-id/{id}``.

Its own calls, which sandbox faults affect, include ``/visits/configuration/time-slots/ids``,
``/mapping/visit-slots``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.entities.base import DownstreamError, Entity, RecordFailed, StartRequest
from sandbox.util import format_ts, now_local

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

PRISONS = ("MDI", "LEI", "BXI", "HEI")
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
SLOTS_PER_DAY = 3

SlotKey = tuple[str, str, int]  # (prisonId, dayOfWeek, timeSlotSequence)


def slot_json(key: SlotKey) -> dict[str, Any]:
    return {"prisonId": key[0], "dayOfWeek": key[1], "timeSlotSequence": key[2]}


@dataclass(slots=True)
class SlotMapping:
    key: SlotKey
    dps_id: str
    label: str | None
    mapping_type: str
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "dpsId": self.dps_id,
            "nomisPrisonId": self.key[0],
            "nomisDayOfWeek": self.key[1],
            "nomisSlotSequence": self.key[2],
            "label": self.label,
            "mappingType": self.mapping_type,
            "whenCreated": format_ts(self.when_created),
        }


@dataclass
class SlotsData:
    """NOMIS time slots in NOMIS id order, and the mapping service's time-slot mappings."""

    slots: list[SlotKey]
    mappings: dict[SlotKey, SlotMapping] = field(default_factory=dict)
    by_label: dict[str, list[SlotKey]] = field(default_factory=dict)
    next_dps_id: int = 1

    def add(self, mapping: SlotMapping) -> None:
        self.mappings[mapping.key] = mapping
        if mapping.label is not None:
            self.by_label.setdefault(mapping.label, []).append(mapping.key)


def slots_data(state: State) -> SlotsData:
    data: SlotsData = state.stores["VISIT_SLOTS"]
    return data


def _slot_key(body: Any) -> SlotKey:
    if not isinstance(body, dict):
        raise RecordFailed("Malformed visit slot message")
    try:
        return (str(body["prisonId"]), str(body["dayOfWeek"]), int(body["timeSlotSequence"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordFailed(f"Malformed visit slot message {body}") from exc


class VisitSlots(Entity):
    migration_type = "VISIT_SLOTS"
    slug = "visitslots"
    event_prefix = "visitslots"
    queue_id = "migrationvisitslots"
    urls_module = "sandbox.entities.visit_slots.urls"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        slots = (
            []
            if scenario == "empty"
            else [
                (prison, day, sequence)
                for prison in PRISONS
                for day in DAYS
                for sequence in range(1, SLOTS_PER_DAY + 1)
            ]
        )
        state.stores[self.migration_type] = SlotsData(slots)

    def summary(self, state: State) -> dict[str, int]:
        data = slots_data(state)
        return {"timeSlots": len(data.slots), "visitSlotMappings": len(data.mappings)}

    def migrated_count(self, state: State, migration_id: str) -> int:
        return len(slots_data(state).by_label.get(migration_id, ()))

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        # S6 takes no body (anything sent is ignored); the context body and stored filter are "".
        return StartRequest(body="", filter_json='""')

    def estimate(self, job: Job, body: Any) -> int:
        job.downstream("nomisPrisonerApi", "/visits/configuration/time-slots/ids")
        return len(slots_data(job.state).slots)

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        job.downstream("nomisPrisonerApi", "/visits/configuration/time-slots/ids")
        chosen = slots_data(job.state).slots[page_number * size : (page_number + 1) * size]
        return [slot_json(key) for key in chosen]

    def migrate(self, job: Job, body: Any) -> None:
        data = slots_data(job.state)
        key = _slot_key(body)
        prison, day, sequence = key
        job.downstream(
            "mappingApi",
            f"/mapping/visit-slots/time-slots/nomis-prison-id/{prison}"
            f"/nomis-day-of-week/{day}/nomis-slot-sequence/{sequence}",
        )
        with job.lock:
            already = key in data.mappings
        if already:
            job.log(
                "INFO",
                f"Will not migrate the nomis visit time slot={prison}/{day}/{sequence} "
                "since it is migrated already",
            )
            return
        job.work()
        job.downstream(
            "nomisPrisonerApi",
            f"/visits/configuration/time-slots/prison-id/{prison}"
            f"/day-of-week/{day}/time-slot-sequence/{sequence}",
        )
        with job.lock:
            if key not in data.slots:
                raise RecordFailed(f"NOMIS time slot {prison}/{day}/{sequence} not found")
            dps_id = str(data.next_dps_id)
            data.next_dps_id += 1
        try:
            job.downstream("mappingApi", "/mapping/visit-slots")
        except DownstreamError:
            # The DPS slot exists now: only the mapping is retried, so it is not created twice.
            job.send("RETRY_MIGRATION_MAPPING", {**slot_json(key), "dpsId": dps_id})
            return
        self._create_mapping(job, key, dps_id)

    def retry_mapping(self, job: Job, body: Any) -> None:
        job.downstream("mappingApi", "/mapping/visit-slots")
        self._create_mapping(job, _slot_key(body), str(body.get("dpsId")))

    def _create_mapping(self, job: Job, key: SlotKey, dps_id: str) -> None:
        data = slots_data(job.state)
        with job.lock:
            existing = data.mappings.get(key)
            if existing is not None:
                job.event(
                    "visitslots-nomis-migration-duplicate",
                    {
                        "migrationId": job.migration_id,
                        **{k: str(v) for k, v in slot_json(key).items()},
                        "duplicateDpsId": dps_id,
                        "existingDpsId": existing.dps_id,
                    },
                )
                return
            data.add(SlotMapping(key, dps_id, job.migration_id, "MIGRATED", now_local()))
        job.event(
            f"{self.event_prefix}-migration-entity-migrated",
            {
                "migrationId": job.migration_id,
                **{k: str(v) for k, v in slot_json(key).items()},
                "dpsId": dps_id,
            },
        )


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = VisitSlots()
