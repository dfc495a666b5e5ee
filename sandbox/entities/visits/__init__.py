"""Visits (``VISITS``): the fully specified type of upstream-api.md (§3.2 start, §5.4 per visit).

Start: M1 ``POST /migrate/visits`` with a ``VisitsMigrationFilter``. NOMIS has 10,000 visits at
five prisons; the entity body is ``{"visitId"}``; the "migrated" count is ``GET
/mapping/visits/migration-id/{id}``. It also serves the visit room mappings and the room usage
pre-check (N17, M11); a second mapping of a mapped room gets the mapping service's 400
"Validation failure: Visit room mapping for prison MDI and nomis room = … already exists".

Failures to play with: visits of the future without a mapped room (e.g. ``MDI-VISITS-FAMILY ROOM``)
are retried and then dead-lettered. Mapped visits are skipped ("Will not migrate visit since it is
migrated already, NOMIS id is …"). The ``large`` scenario adds a 250,000-visit prison; ``history``
adds earlier runs and leftover DLQ messages.

Its own calls, which sandbox faults affect, include ``/visits/ids``, ``/mapping/visits``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sandbox.entities.base import DownstreamError, Entity, RecordFailed, StartRequest
from sandbox.entities.visits import scenario
from sandbox.entities.visits.data import VisitMapping, VisitsData
from sandbox.entities.visits.store import VisitFilter
from sandbox.util import BadRequest, dumps, format_dt, now_local, parse_local_dt, read_json

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

FILTER_ORDER = ("prisonIds", "visitTypes", "fromDateTime", "toDateTime", "ignoreMissingRoom")


def visits_data(state: State) -> VisitsData:
    data: VisitsData = state.stores["VISITS"]
    return data


def to_visit_filter(flt: dict[str, Any]) -> VisitFilter:
    """The store's filter for a stored ``VisitsMigrationFilter``."""
    return VisitFilter(
        prison_ids=tuple(flt.get("prisonIds") or ()),
        visit_types=tuple(flt.get("visitTypes") or ()),
        from_dt=parse_local_dt(flt["fromDateTime"], "fromDateTime")
        if flt.get("fromDateTime")
        else None,
        to_dt=parse_local_dt(flt["toDateTime"], "toDateTime") if flt.get("toDateTime") else None,
    )


def _string_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"Validation failure: {name} must be a list of strings")
    return value


def filter_from_body(raw: Any) -> dict[str, Any]:
    """Validate a ``VisitsMigrationFilter``, fill in its defaults and order it (§3.2)."""
    if not isinstance(raw, dict):
        raise BadRequest("Validation failure: JSON parse error: expected an object")
    flt: dict[str, Any] = {"prisonIds": _string_list(raw.get("prisonIds"), "prisonIds")}
    flt["visitTypes"] = (
        ["SCON"] if raw.get("visitTypes") is None else _string_list(raw["visitTypes"], "visitTypes")
    )
    for name in ("fromDateTime", "toDateTime"):
        # Jackson reads "" as null for a LocalDateTime: the existing dashboard sends
        # `"toDateTime": ""` when the field is left blank, and the real service takes it as absent.
        if raw.get(name) not in (None, ""):
            flt[name] = format_dt(parse_local_dt(raw[name], name))
    ignore = raw.get("ignoreMissingRoom", False)
    if ignore is None:
        ignore = False
    if not isinstance(ignore, bool):
        raise BadRequest("Validation failure: ignoreMissingRoom must be a boolean")
    flt["ignoreMissingRoom"] = ignore
    return {k: flt[k] for k in FILTER_ORDER if flt.get(k) is not None}


class Visits(Entity):
    migration_type = "VISITS"
    slug = "visits"
    event_prefix = "visits"
    queue_id = "migrationvisits"
    urls_module = "sandbox.entities.visits.urls"

    # -- Data

    def populate(
        self, state: State, scenario_name: str, *, now: datetime, history_size: int | None
    ) -> None:
        state.stores[self.migration_type] = scenario.build(
            state, scenario_name, now=now, history_size=history_size
        )

    def summary(self, state: State) -> dict[str, int]:
        data = visits_data(state)
        return {
            "visits": len(data.visits),
            "visitMappings": len(data.mappings.by_nomis),
            "roomMappings": len(data.mappings.rooms),
        }

    def migrated_count(self, state: State, migration_id: str) -> int:
        return visits_data(state).mappings.migrated_count(migration_id)

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        flt = filter_from_body(read_json(raw))
        return StartRequest(body=flt, filter_json=dumps(flt))

    def estimate(self, job: Job, body: Any) -> int:
        job.downstream("nomisPrisonerApi", "/visits/ids")
        return visits_data(job.state).visits.count(to_visit_filter(body))

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        job.downstream("nomisPrisonerApi", "/visits/ids")
        ids, _total = visits_data(job.state).visits.page_ids(
            to_visit_filter(body), page_number, size
        )
        # Bare ints on the queue: a 250,000-visit run holds that many messages at once.
        return ids

    def entity_body(self, payload: Any) -> Any:
        return {"visitId": payload} if isinstance(payload, int) else payload

    def migrate(self, job: Job, body: Any) -> None:
        """Stage 4 (§5.4)."""
        data = visits_data(job.state)
        visit_id = body.get("visitId") if isinstance(body, dict) else None
        migration_id = job.migration_id
        job.downstream("mappingApi", f"/mapping/visits/nomisId/{visit_id}")
        with job.lock:
            already = visit_id in data.mappings.by_nomis
        if already:
            job.log(
                "INFO",
                f"Will not migrate visit since it is migrated already, NOMIS id is {visit_id}",
            )
            return
        job.work()
        job.downstream("nomisPrisonerApi", f"/visits/{visit_id}")
        today = date.today()
        visit = data.visits.visit(visit_id, today=today) if isinstance(visit_id, int) else None
        if visit is None or not isinstance(visit_id, int):
            raise RecordFailed(f"NOMIS visit {visit_id} not found")
        vtype = visit["visitType"]["code"]
        if vtype not in ("SCON", "OFFI"):
            raise RecordFailed(f"Unknown visit type {vtype}")
        start_day = date.fromisoformat(visit["startDateTime"][:10])
        room = (visit.get("agencyInternalLocation") or {}).get("description")
        prison_id = visit["prisonId"]
        if today <= start_day <= today + timedelta(days=365):
            # Future visits need a mapped DPS room (from today: quirk §13.10).
            mapping = None
            if room:
                job.downstream(
                    "mappingApi", f"/prison/{prison_id}/room/nomis-room-id/{quote(room)}"
                )
                with job.lock:
                    mapping = data.mappings.rooms.get((prison_id, room))
            if mapping is None:
                job.event(
                    "nomis-migration-visit-no-room-mapping",
                    {
                        "migrationId": migration_id,
                        "prisonId": prison_id,
                        "offenderNo": visit["offenderNo"],
                        "visitId": str(visit_id),
                        "startDateTime": visit["startDateTime"],
                        "agencyInternalLocation": room or "",
                    },
                )
                raise RecordFailed(f"No room mapping for {prison_id} {room}")
            room_name = mapping.vsip_id
        else:
            room_name = room or "UNKNOWN"
        with job.lock:
            vsip_id = data.next_vsip_reference()
        try:
            job.downstream("mappingApi", "/mapping/visits")
        except DownstreamError:
            # Only the mapping is retried, so the DPS visit is never created twice.
            retry = {
                "nomisId": visit_id,
                "vsipId": vsip_id,
                "label": migration_id,
                "mappingType": "MIGRATED",
            }
            job.send("RETRY_MIGRATION_MAPPING", retry)
            return
        self._create_mapping(job, visit_id, vsip_id, visit, room_name)

    def retry_mapping(self, job: Job, body: Any) -> None:
        job.downstream("mappingApi", "/mapping/visits")
        self._create_mapping(job, body["nomisId"], body["vsipId"], None, "")

    def _create_mapping(
        self, job: Job, visit_id: int, vsip_id: str, visit: dict[str, Any] | None, room: str
    ) -> None:
        mappings = visits_data(job.state).mappings
        migration_id = job.migration_id
        with job.lock:
            existing = mappings.by_nomis.get(visit_id)
            if existing is not None:
                job.event(
                    "nomis-migration-visit-duplicate",
                    {
                        "migrationId": migration_id,
                        "duplicateVsipId": vsip_id,
                        "duplicateNomisId": str(visit_id),
                        "existingVsipId": existing.vsip_id,
                        "existingNomisId": str(existing.nomis_id),
                        "durationMinutes": "0",
                    },
                )
                return
            mappings.add(VisitMapping(visit_id, vsip_id, migration_id, "MIGRATED", now_local()))
            job.event(
                "visits-migration-entity-migrated",
                {
                    "migrationId": migration_id,
                    "prisonId": visit["prisonId"] if visit else "",
                    "offenderNo": visit["offenderNo"] if visit else "",
                    "visitId": str(visit_id),
                    "vsipVisitId": vsip_id,
                    "startDateTime": visit["startDateTime"] if visit else "",
                    "room": room,
                },
            )


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = Visits()
