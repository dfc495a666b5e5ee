"""Visits endpoints: NOMIS (upstream-api §6), mapping service (§7) and migration service M2."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse

from sandbox.engine import get_engine
from sandbox.entities.base import DownstreamError
from sandbox.entities.visits import visits_data
from sandbox.entities.visits.data import RoomMapping, VisitMapping
from sandbox.entities.visits.store import VisitFilter
from sandbox.lifecycle import downstream
from sandbox.util import (
    BadRequest,
    empty_response,
    error_response,
    json_response,
    now_local,
    parse_bool,
    parse_local_dt,
    read_json,
)
from sandbox.views.common import page_json, paging, require_role

MIGRATION_ROLE = "ROLE_PRISONER_FROM_NOMIS__MIGRATION__RW"
NOMIS_ROLE = "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW"
SYNC_ROLE = "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW"
ROOMS_ROLE = "ROLE_NOMIS_DPS_MAPPING__VISITS__RW"


def visit_filter(request: HttpRequest) -> VisitFilter:
    """The visits filter of a query string (NOMIS `/visits/ids` and the migration service's M2)."""
    get = request.GET
    return VisitFilter(
        prison_ids=tuple(get.getlist("prisonIds")),
        visit_types=tuple(get.getlist("visitTypes")),
        from_dt=parse_local_dt(get["fromDateTime"], "fromDateTime")
        if get.get("fromDateTime")
        else None,
        to_dt=parse_local_dt(get["toDateTime"], "toDateTime") if get.get("toDateTime") else None,
    )


# -- Migration service (M2)


@require_role(MIGRATION_ROLE)
def rooms_usage(request: HttpRequest) -> HttpResponse:
    """M2 ``GET /migrate/visits/rooms/usage``: future visits per room, with the mapped DPS room."""
    engine = get_engine()
    flt = visit_filter(request)
    data = visits_data(engine.state)
    try:
        downstream(engine, "nomisPrisonerApi", "/visits/rooms/usage-count")
        rows = data.visits.room_usage(flt, today=date.today(), future_only=True)
        out = []
        for row in rows:
            prison, description = row["prisonId"], row["agencyInternalLocationDescription"]
            downstream(
                engine, "mappingApi", f"/prison/{prison}/room/nomis-room-id/{quote(description)}"
            )
            mapping = data.mappings.rooms.get((prison, description))
            item = {
                "agencyInternalLocationDescription": description,
                "count": row["count"],
                "prisonId": prison,
            }
            if mapping is not None:
                item["vsipRoom"] = mapping.vsip_id
            out.append(item)
    except DownstreamError as exc:
        return error_response(500, f"Unexpected error: {exc}")
    out.sort(key=lambda r: (r["prisonId"], r["agencyInternalLocationDescription"]))
    return json_response(out)


# -- NOMIS prisoner API (§6)


@require_role(NOMIS_ROLE)
def visit_ids(request: HttpRequest) -> HttpResponse:
    """``GET /visits/ids``: creation order ascending; ``size=1`` is the counting idiom."""
    flt = visit_filter(request)
    page, size = paging(request)
    ids, total = visits_data(get_engine().state).visits.page_ids(flt, page, size)
    return json_response(
        page_json([{"visitId": i} for i in ids], page=page, size=size, total=total)
    )


@require_role(NOMIS_ROLE)
def rooms_usage_count(request: HttpRequest) -> HttpResponse:
    """``GET /visits/rooms/usage-count``: future visits only unless ``futureVisitsOnly=false``."""
    flt = visit_filter(request)
    future_only = parse_bool(request.GET.get("futureVisitsOnly"), "futureVisitsOnly", True)
    rows = visits_data(get_engine().state).visits.room_usage(
        flt, today=date.today(), future_only=future_only
    )
    return json_response(rows)


@require_role(NOMIS_ROLE)
def visit(request: HttpRequest, visit_id: str) -> HttpResponse:
    """``GET /visits/{visitId}``."""
    try:
        number = int(visit_id)
    except ValueError as exc:
        raise BadRequest(f"Bad Request: visitId must be a number, was {visit_id}") from exc
    body = visits_data(get_engine().state).visits.visit(number, today=date.today())
    if body is None:
        return error_response(404, f"Not Found: visit id {number}")
    return json_response(body)


# -- Mapping service (§7)


def _conflict(duplicate: dict[str, Any], existing: dict[str, Any]) -> HttpResponse:
    """The mapping service's own 409 variant: string status, object moreInfo (§7.1, §13.15)."""
    body = {
        "status": "CONFLICT",
        "errorCode": 1409,
        "userMessage": "Conflict: Visit mapping already exists",
        "developerMessage": "Visit mapping already exists",
        "moreInfo": {"duplicate": duplicate, "existing": existing},
    }
    return json_response(body, 409)


@require_role(SYNC_ROLE)
def create_visit_mapping(request: HttpRequest) -> HttpResponse:
    """``POST /mapping/visits``: 201; the same pair again is idempotent; a clash is 409."""
    raw = read_json(request.body)
    if not isinstance(raw, dict):
        raise BadRequest("Validation failure: expected an object")
    nomis_id, vsip_id = raw.get("nomisId"), raw.get("vsipId")
    label, mapping_type = raw.get("label"), raw.get("mappingType", "ONLINE")
    if isinstance(nomis_id, bool) or not isinstance(nomis_id, int):
        raise BadRequest("Validation failure: nomisId must be a number")
    if not isinstance(vsip_id, str) or not vsip_id or len(vsip_id) > 40:
        raise BadRequest("Validation failure: vsipId must be a string of at most 40 characters")
    if label is not None and (not isinstance(label, str) or len(label) > 20):
        raise BadRequest("Validation failure: label must be a string of at most 20 characters")
    if mapping_type not in ("MIGRATED", "ONLINE"):
        raise BadRequest("Validation failure: mappingType must be MIGRATED or ONLINE")
    engine = get_engine()
    with engine.lock:
        mappings = visits_data(engine.state).mappings
        existing = mappings.by_nomis.get(nomis_id)
        if existing is None and vsip_id in mappings.by_vsip:
            existing = mappings.by_nomis[mappings.by_vsip[vsip_id]]
        if existing is not None:
            if existing.nomis_id == nomis_id and existing.vsip_id == vsip_id:
                return empty_response(201)
            duplicate = {
                "nomisId": nomis_id,
                "vsipId": vsip_id,
                "label": label,
                "mappingType": mapping_type,
            }
            return _conflict(duplicate, existing.as_json())
        mappings.add(VisitMapping(nomis_id, vsip_id, label, mapping_type, now_local()))
    return empty_response(201)


@require_role(SYNC_ROLE)
def delete_visit_mappings(request: HttpRequest) -> HttpResponse:
    """``DELETE /mapping/visits?onlyMigrated=``."""
    only_migrated = parse_bool(request.GET.get("onlyMigrated"), "onlyMigrated", False)
    engine = get_engine()
    with engine.lock:
        visits_data(engine.state).mappings.delete_where(
            lambda m: not only_migrated or m.mapping_type == "MIGRATED"
        )
    return empty_response(204)


def _found(mapping: VisitMapping | None, what: str) -> HttpResponse:
    if mapping is None:
        return error_response(404, f"Not Found: No mapping found for {what}")
    return json_response(mapping.as_json())


@require_role(SYNC_ROLE)
def by_nomis_id(request: HttpRequest, nomis_id: int) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        return _found(
            visits_data(engine.state).mappings.by_nomis.get(nomis_id), f"nomisId={nomis_id}"
        )


@require_role(SYNC_ROLE)
def by_vsip_id(request: HttpRequest, vsip_id: str) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        mappings = visits_data(engine.state).mappings
        nomis_id = mappings.by_vsip.get(vsip_id)
        return _found(
            mappings.by_nomis.get(nomis_id) if nomis_id is not None else None, f"vsipId={vsip_id}"
        )


@require_role(SYNC_ROLE)
def latest_migrated(request: HttpRequest) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        mappings = visits_data(engine.state).mappings
        latest = mappings.latest_migrated
        return _found(
            mappings.by_nomis.get(latest) if latest is not None else None, "latest migrated"
        )


@require_role(SYNC_ROLE)
def by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    """``GET /mapping/visits/migration-id/{id}``: a Page; ``totalElements`` is records migrated."""
    page, size = paging(request)
    engine = get_engine()
    with engine.lock:
        mappings = visits_data(engine.state).mappings
        ids = mappings.by_label.get(migration_id, [])
        chosen = [mappings.by_nomis[i].as_json() for i in ids[page * size : page * size + size]]
        total = len(ids)
    return json_response(page_json(chosen, page=page, size=size, total=total))


@require_role(SYNC_ROLE)
def delete_by_migration_id(request: HttpRequest, migration_id: str) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        visits_data(engine.state).mappings.delete_where(lambda m: m.label == migration_id)
    return empty_response(204)


@require_role(SYNC_ROLE)
def room_lookup(request: HttpRequest, prison_id: str, description: str) -> HttpResponse:
    """``GET /prison/{prisonId}/room/nomis-room-id/{description}`` (spaces percent-encoded)."""
    engine = get_engine()
    with engine.lock:
        mapping = visits_data(engine.state).mappings.rooms.get((prison_id, description))
        body = mapping.as_json() if mapping else None
    if body is None:
        return error_response(404, f"Not Found: prison {prison_id} room {description}")
    return json_response(body)


@require_role(ROOMS_ROLE)
def room_list(request: HttpRequest, prison_id: str) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        rooms = [
            m for (p, _), m in visits_data(engine.state).mappings.rooms.items() if p == prison_id
        ]
        body = [m.as_json() for m in sorted(rooms, key=lambda m: m.description)]
    return json_response(body)


def _lenient_bool(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadRequest("Validation failure: isOpen must be a boolean")


@require_role(ROOMS_ROLE)
def room_create(request: HttpRequest, prison_id: str) -> HttpResponse:
    """``POST /prison/{prisonId}/room-mappings``: 201, or 400 if the room is mapped (§13.15)."""
    raw = read_json(request.body)
    if not isinstance(raw, dict):
        raise BadRequest("Validation failure: expected an object")
    vsip_id, description = raw.get("vsipId"), raw.get("nomisRoomDescription")
    if not isinstance(vsip_id, str) or not vsip_id.strip():
        raise BadRequest("Validation failure: vsipId is required")
    if not isinstance(description, str) or not description.strip():
        raise BadRequest("Validation failure: nomisRoomDescription is required")
    is_open = _lenient_bool(raw.get("isOpen"))
    engine = get_engine()
    with engine.lock:
        state = engine.state
        mappings = visits_data(state).mappings
        if (prison_id, description) in mappings.rooms:
            return error_response(
                400,
                # The mapping service's own words (upstream-api-types.md §3, R2).
                f"Validation failure: Visit room mapping for prison {prison_id} "
                f"and nomis room = {description} already exists",
            )
        mapping = RoomMapping(prison_id, description, vsip_id, is_open)
        mappings.rooms[(prison_id, description)] = mapping
        state.event("visit-room-mapping-created", mapping.as_json())
    return empty_response(201)


@require_role(ROOMS_ROLE)
def room_delete(request: HttpRequest, prison_id: str, description: str) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        visits_data(engine.state).mappings.rooms.pop((prison_id, description), None)
    return empty_response(204)
