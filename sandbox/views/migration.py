"""Migration service (``/nomis-migration-api``): upstream-api §3 for every registered type.

The lifecycle is sandbox.lifecycle; types the sandbox only lists (not in sandbox.entities) have
empty history, zero counts and empty dead-letter queues.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from sandbox import entities, lifecycle
from sandbox.engine import get_engine
from sandbox.entities.base import Entity
from sandbox.state import migration_types
from sandbox.util import (
    BadRequest,
    empty_response,
    error_response,
    format_ts,
    json_response,
    parse_bool,
    parse_int,
    parse_local_dt,
)
from sandbox.views.common import claims_of, principal, require_role

ROLE = "ROLE_PRISONER_FROM_NOMIS__MIGRATION__RW"


def _migration_type(value: str) -> str:
    if value not in migration_types():
        raise BadRequest(f"Bad Request: unknown migration type {value}")
    return value


def start_view(entity: Entity) -> Any:
    """M1 and its kin (S4, S6): ``POST /migrate/<slug>`` for one registered type."""

    @require_role(ROLE)
    def start(request: HttpRequest) -> HttpResponse:
        try:
            context = lifecycle.start_migration(
                get_engine(), entity, request.body, principal(claims_of(request))
            )
        except lifecycle.Conflict as exc:
            return error_response(
                409,
                f"Migration already in progress: {entity.migration_type} migration {exc} "
                "is still in progress",
            )
        except lifecycle.DownstreamError as exc:
            return error_response(500, f"Unexpected error: {exc}")
        return json_response(context, 202)

    start.__name__ = f"start_{entity.slug.replace('-', '_')}"
    return start


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
        entity = entities.get(migration_type)
        if entity is not None:
            now = engine.now()
            queue = state.queues[migration_type]
            body["toBeProcessedCount"] = queue.visible(now)
            body["beingProcessedCount"] = queue.in_flight()
            body["recordsFailed"] = state.dlqs[migration_type].visible(now)
        if latest is not None:
            body.update(
                recordsMigrated=entity.migrated_count(state, latest.migration_id)
                if entity is not None
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
    with engine.lock:
        dlq = engine.state.dlqs.get(migration_type)
        if dlq is not None:
            found, chosen = dlq.read(
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
        dlq = engine.state.dlqs.get(migration_type)
        count = dlq.visible(engine.now()) if dlq is not None else 0
    return json_response(count)


@require_role(ROLE)
def dlq_delete(request: HttpRequest, migration_type: str) -> HttpResponse:
    """M10: purge, empty 204."""
    migration_type = _migration_type(migration_type)
    engine = get_engine()
    with engine.lock:
        dlq = engine.state.dlqs.get(migration_type)
        if dlq is not None:
            dlq.purge()
    return empty_response(204)


def service_health(_request: HttpRequest) -> HttpResponse:
    """``GET /health``: overall status plus one component per queue (string-valued details)."""
    engine = get_engine()
    components: dict[str, Any] = {}
    with engine.lock:
        now = engine.now()
        state = engine.state
        for entity in entities.every():
            queue = state.queues[entity.migration_type]
            details = {
                "queueName": entity.queue_name,
                "messagesOnQueue": str(queue.visible(now)),
                "messagesInFlight": str(queue.in_flight()),
                "dlqStatus": "UP",
                "dlqName": entity.dlq_name,
                "messagesOnDlq": str(state.dlqs[entity.migration_type].visible(now)),
            }
            components[f"{entity.queue_id}-health"] = {"status": "UP", "details": details}
    return json_response({"status": "UP", "components": components})


def info(_request: HttpRequest) -> HttpResponse:
    return json_response(
        {"build": {"name": "hmpps-prisoner-from-nomis-migration", "version": "sandbox"}}
    )


# -- Queue admin (§3.10; not called by the dashboard)

QUEUE_ADMIN_ROLE = "ROLE_SYSCON__QUEUE_ADMIN"


def _queue_type(name: str, *, dlq: bool) -> str | None:
    """The migration type whose main queue (or DLQ) is called ``name``."""
    for entity in entities.every():
        if name == (entity.dlq_name if dlq else entity.queue_name):
            return entity.migration_type
    return None


def _unknown_queue(name: str) -> HttpResponse:
    return error_response(404, f"Not Found: queue {name}")


@require_role(QUEUE_ADMIN_ROLE)
def queue_retry_dlq(request: HttpRequest, dlq_name: str) -> HttpResponse:
    migration_type = _queue_type(dlq_name, dlq=True)
    if migration_type is None:
        return _unknown_queue(dlq_name)
    return json_response({"messagesFoundCount": lifecycle.retry_dlq(get_engine(), migration_type)})


@require_role(QUEUE_ADMIN_ROLE)
def queue_retry_all(request: HttpRequest) -> HttpResponse:
    moved = lifecycle.retry_all_dlqs(get_engine())
    return json_response([{"messagesFoundCount": n} for n in moved.values()])


@require_role(QUEUE_ADMIN_ROLE)
def queue_purge(request: HttpRequest, queue_name: str) -> HttpResponse:
    engine = get_engine()
    main, dead = _queue_type(queue_name, dlq=False), _queue_type(queue_name, dlq=True)
    with engine.lock:
        if main is not None:
            count = engine.state.queues[main].purge()
        elif dead is not None:
            count = engine.state.dlqs[dead].purge()
        else:
            return _unknown_queue(queue_name)
    return json_response({"messagesFoundCount": count})


@require_role(QUEUE_ADMIN_ROLE)
def queue_dlq_messages(request: HttpRequest, dlq_name: str) -> HttpResponse:
    migration_type = _queue_type(dlq_name, dlq=True)
    if migration_type is None:
        return _unknown_queue(dlq_name)
    limit = parse_int(request.GET.get("maxMessages"), "maxMessages", 100)
    engine = get_engine()
    with engine.lock:
        found, chosen = engine.state.dlqs[migration_type].read(
            engine.now(), limit=limit, hide_for=engine.settings.dlq_visibility_s
        )
        messages = [{"messageId": m.message_id, "body": m.body} for m in chosen]
    return json_response(
        {"messagesFoundCount": found, "messagesReturnedCount": len(messages), "messages": messages}
    )
