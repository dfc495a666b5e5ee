"""Migration service (``/nomis-migration-api``): upstream-api §3, lifecycle in sandbox.lifecycle."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox import lifecycle
from sandbox.engine import get_engine
from sandbox.state import MIGRATION_TYPES
from sandbox.util import (
    BadRequest,
    empty_response,
    error_response,
    format_dt,
    format_ts,
    json_response,
    parse_bool,
    parse_local_dt,
    read_json,
)
from sandbox.views.common import claims_of, principal, require_role, visit_filter

ROLE = "ROLE_PRISONER_FROM_NOMIS__MIGRATION__RW"


def _migration_type(value: str) -> str:
    if value not in MIGRATION_TYPES:
        raise BadRequest(f"Bad Request: unknown migration type {value}")
    return value


def _string_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"Validation failure: {name} must be a list of strings")
    return value


def _filter_from_body(raw: Any) -> dict[str, Any]:
    """Validate a ``VisitsMigrationFilter`` and fill in its defaults (§3.2)."""
    if not isinstance(raw, dict):
        raise BadRequest("Validation failure: JSON parse error: expected an object")
    flt: dict[str, Any] = {"prisonIds": _string_list(raw.get("prisonIds"), "prisonIds")}
    flt["visitTypes"] = (
        ["SCON"] if raw.get("visitTypes") is None else _string_list(raw["visitTypes"], "visitTypes")
    )
    for name in ("fromDateTime", "toDateTime"):
        if raw.get(name) is not None:
            flt[name] = format_dt(parse_local_dt(raw[name], name))
    ignore = raw.get("ignoreMissingRoom", False)
    if ignore is None:
        ignore = False
    if not isinstance(ignore, bool):
        raise BadRequest("Validation failure: ignoreMissingRoom must be a boolean")
    flt["ignoreMissingRoom"] = ignore
    return flt


@require_role(ROLE)
def start_visits(request: HttpRequest) -> HttpResponse:
    """M1 ``POST /migrate/visits``."""
    flt = _filter_from_body(read_json(request.body))
    try:
        context = lifecycle.start_migration(get_engine(), flt, principal(claims_of(request)))
    except lifecycle.Conflict as exc:
        return error_response(
            409, f"Migration already in progress: VISITS migration {exc} is still in progress"
        )
    except lifecycle.DownstreamError as exc:
        return error_response(500, f"Unexpected error: {exc}")
    return json_response(context, 202)


@require_role(ROLE)
def rooms_usage(request: HttpRequest) -> HttpResponse:
    """M2 ``GET /migrate/visits/rooms/usage``: future visits per room, with the mapped DPS room."""
    from datetime import date
    from urllib.parse import quote

    engine = get_engine()
    flt = visit_filter(request)
    try:
        lifecycle.downstream(engine, "nomisPrisonerApi", "/visits/rooms/usage-count")
        rows = engine.state.visits.room_usage(flt, today=date.today(), future_only=True)
        out = []
        for row in rows:
            prison, description = row["prisonId"], row["agencyInternalLocationDescription"]
            lifecycle.downstream(
                engine, "mappingApi", f"/prison/{prison}/room/nomis-room-id/{quote(description)}"
            )
            mapping = engine.state.mappings.rooms.get((prison, description))
            item = {
                "agencyInternalLocationDescription": description,
                "count": row["count"],
                "prisonId": prison,
            }
            if mapping is not None:
                item["vsipRoom"] = mapping.vsip_id
            out.append(item)
    except lifecycle.DownstreamError as exc:
        return error_response(500, f"Unexpected error: {exc}")
    out.sort(key=lambda r: (r["prisonId"], r["agencyInternalLocationDescription"]))
    return json_response(out)


@require_role(ROLE)
def history_all(request: HttpRequest, migration_type: str) -> HttpResponse:
    """M3: newest first, not paged; ``prisonId`` is a literal match on the stored filter (§13.1)."""
    migration_type = _migration_type(migration_type)
    get = request.GET
    from_dt = (
        parse_local_dt(get["fromDateTime"], "fromDateTime") if get.get("fromDateTime") else None
    )
    to_dt = parse_local_dt(get["toDateTime"], "toDateTime") if get.get("toDateTime") else None
    only_failures = parse_bool(get.get("includeOnlyFailures"), "includeOnlyFailures", False)
    prison = get.get("prisonId")
    needle = f'"prisonIds":["{prison}"]' if prison else None
    engine = get_engine()
    with engine.lock:
        rows = [
            m.as_json()
            for m in engine.state.history
            if m.migration_type == migration_type
            and (from_dt is None or m.when_started >= from_dt)
            and (to_dt is None or m.when_started <= to_dt)
            and (not only_failures or m.records_failed > 0)
            and (needle is None or (m.filter_json is not None and needle in m.filter_json))
        ]
    return json_response(rows)


@require_role(ROLE)
def history_one(request: HttpRequest, migration_id: str) -> HttpResponse:
    """M4."""
    engine = get_engine()
    with engine.lock:
        migration = engine.state.by_id.get(migration_id)
        body = migration.as_json() if migration else None
    if body is None:
        return error_response(404, f"Not Found: {migration_id}")
    return json_response(body)


@require_role(ROLE)
def active(request: HttpRequest, migration_type: str) -> HttpResponse:
    """M5: the latest row of the type plus live queue and mapping counts; never 404 (§13.7)."""
    migration_type = _migration_type(migration_type)
    engine = get_engine()
    body: dict[str, Any] = {
        "recordsMigrated": None,
        "toBeProcessedCount": 0,
        "beingProcessedCount": 0,
        "recordsFailed": 0,
        "migrationId": None,
        "whenStarted": None,
        "estimatedRecordCount": None,
        "migrationType": None,
        "status": None,
    }
    with engine.lock:
        state = engine.state
        latest = state.latest(migration_type)
        if migration_type == "VISITS":
            now = engine.now()
            body["toBeProcessedCount"] = state.queue.visible(now)
            body["beingProcessedCount"] = state.queue.in_flight()
            body["recordsFailed"] = state.dlq.visible(now)
        if latest is not None:
            body.update(
                recordsMigrated=state.mappings.migrated_count(latest.migration_id)
                if migration_type == "VISITS"
                else 0,
                migrationId=latest.migration_id,
                whenStarted=format_ts(latest.when_started),
                estimatedRecordCount=latest.estimated,
                migrationType=latest.migration_type,
                status=latest.status,
            )
    return json_response(body)


@require_role(ROLE)
def cancel(request: HttpRequest, migration_id: str) -> HttpResponse:
    """M6."""
    try:
        lifecycle.cancel_migration(get_engine(), migration_id, principal(claims_of(request)))
    except lifecycle.NotFound:
        return error_response(404, f"Not Found: {migration_id}")
    return empty_response(202)


@require_role(ROLE)
def refresh(request: HttpRequest, migration_id: str) -> HttpResponse:
    """M7: COMPLETED only."""
    try:
        lifecycle.refresh_migration(get_engine(), migration_id)
    except lifecycle.NotFound:
        return error_response(404, f"Not Found: {migration_id}")
    except lifecycle.NotCompleted:
        return error_response(400, f"Bad Request: Migration {migration_id} is not completed")
    return empty_response(204)


@require_role(ROLE)
def dlq_get(request: HttpRequest, migration_type: str) -> HttpResponse:
    """M8: up to 100 messages, hidden for a while after the read (§13.4)."""
    migration_type = _migration_type(migration_type)
    engine = get_engine()
    found, messages = 0, []
    if migration_type == "VISITS":
        with engine.lock:
            found, chosen = engine.state.dlq.read(
                engine.now(), limit=100, hide_for=engine.settings.dlq_visibility_s
            )
            messages = [{"messageId": m.message_id, "body": m.body} for m in chosen]
    return json_response(
        {"messagesFoundCount": found, "messagesReturnedCount": len(messages), "messages": messages}
    )


@require_role(ROLE)
def dlq_count(request: HttpRequest, migration_type: str) -> HttpResponse:
    """M9: a bare integer."""
    migration_type = _migration_type(migration_type)
    engine = get_engine()
    with engine.lock:
        count = engine.state.dlq.visible(engine.now()) if migration_type == "VISITS" else 0
    return json_response(count)


@require_role(ROLE)
def dlq_delete(request: HttpRequest, migration_type: str) -> HttpResponse:
    """M10: purge, empty 204."""
    migration_type = _migration_type(migration_type)
    engine = get_engine()
    if migration_type == "VISITS":
        with engine.lock:
            engine.state.dlq.purge()
    return empty_response(204)


def service_health(_request: HttpRequest) -> HttpResponse:
    """``GET /health``: overall status plus the visits queue component (string-valued details)."""
    engine = get_engine()
    with engine.lock:
        now = engine.now()
        state = engine.state
        details = {
            "queueName": "migration_visits_queue",
            "messagesOnQueue": str(state.queue.visible(now)),
            "messagesInFlight": str(state.queue.in_flight()),
            "dlqStatus": "UP",
            "dlqName": "migration_visits_dlq",
            "messagesOnDlq": str(state.dlq.visible(now)),
        }
    return json_response(
        {
            "status": "UP",
            "components": {"migrationvisits-health": {"status": "UP", "details": details}},
        }
    )


def info(_request: HttpRequest) -> HttpResponse:
    return json_response(
        {"build": {"name": "hmpps-prisoner-from-nomis-migration", "version": "sandbox"}}
    )


# -- Queue admin (§3.10; not called by the dashboard)

QUEUE_ADMIN_ROLE = "ROLE_SYSCON__QUEUE_ADMIN"
MAIN_QUEUE = "migration_visits_queue"
DLQ = "migration_visits_dlq"


def _unknown_queue(name: str) -> HttpResponse:
    return error_response(404, f"Not Found: queue {name}")


@require_role(QUEUE_ADMIN_ROLE)
def queue_retry_dlq(request: HttpRequest, dlq_name: str) -> HttpResponse:
    if dlq_name != DLQ:
        return _unknown_queue(dlq_name)
    return json_response({"messagesFoundCount": lifecycle.retry_dlq(get_engine())})


@require_role(QUEUE_ADMIN_ROLE)
def queue_retry_all(request: HttpRequest) -> HttpResponse:
    return json_response([{"messagesFoundCount": lifecycle.retry_dlq(get_engine())}])


@require_role(QUEUE_ADMIN_ROLE)
def queue_purge(request: HttpRequest, queue_name: str) -> HttpResponse:
    engine = get_engine()
    with engine.lock:
        if queue_name == MAIN_QUEUE:
            count = engine.state.queue.purge()
        elif queue_name == DLQ:
            count = engine.state.dlq.purge()
        else:
            return _unknown_queue(queue_name)
    return json_response({"messagesFoundCount": count})


@require_role(QUEUE_ADMIN_ROLE)
def queue_dlq_messages(request: HttpRequest, dlq_name: str) -> HttpResponse:
    if dlq_name != DLQ:
        return _unknown_queue(dlq_name)
    from sandbox.util import parse_int

    limit = parse_int(request.GET.get("maxMessages"), "maxMessages", 100)
    engine = get_engine()
    with engine.lock:
        found, chosen = engine.state.dlq.read(
            engine.now(), limit=limit, hide_for=engine.settings.dlq_visibility_s
        )
        messages = [{"messageId": m.message_id, "body": m.body} for m in chosen]
    return json_response(
        {"messagesFoundCount": found, "messagesReturnedCount": len(messages), "messages": messages}
    )
