"""The visits migration lifecycle of upstream-api §5, run by worker threads over the fake queues.

Handlers take the engine lock only for short, non-blocking steps; simulated work, delays and
injected downstream latency happen outside it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from sandbox.engine import Engine
from sandbox.queues import Message
from sandbox.state import IN_PROGRESS, Migration, State, VisitMapping
from sandbox.util import dumps, now_local
from sandbox.visits import VisitFilter

logger = logging.getLogger("sandbox.lifecycle")

CANCELLING = ("CANCELLED_REQUESTED", "CANCELLED")
FILTER_ORDER = ("prisonIds", "visitTypes", "fromDateTime", "toDateTime", "ignoreMissingRoom")


class RecordFailed(Exception):
    """The message fails: it is retried and, after ``max_deliveries``, moved to the DLQ."""


class DownstreamError(Exception):
    """An (injected) failure of a service the migration service calls."""

    def __init__(self, service: str, path: str, detail: str) -> None:
        super().__init__(f"{service} {path}: {detail}")
        self.service = service
        self.path = path


class Conflict(Exception):
    pass


class NotFound(Exception):
    pass


class NotCompleted(Exception):
    pass


def downstream(engine: Engine, service: str, path: str) -> None:
    """Apply any fault set for an internal call the real migration service would make over HTTP."""
    if not engine.faults:
        return
    fault, _release = engine.take_fault(service, path)
    if fault is None:
        return
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault.hang:
        raise DownstreamError(service, path, "timed out")
    if fault.drop:
        raise DownstreamError(service, path, "connection reset")
    if fault.malformed:
        raise DownstreamError(service, path, "malformed response")
    if fault.status and fault.status >= 400:
        raise DownstreamError(service, path, f"status {fault.status}")


def to_visit_filter(flt: dict[str, Any]) -> VisitFilter:
    from sandbox.util import parse_local_dt

    return VisitFilter(
        prison_ids=tuple(flt.get("prisonIds") or ()),
        visit_types=tuple(flt.get("visitTypes") or ()),
        from_dt=parse_local_dt(flt["fromDateTime"], "fromDateTime")
        if flt.get("fromDateTime")
        else None,
        to_dt=parse_local_dt(flt["toDateTime"], "toDateTime") if flt.get("toDateTime") else None,
    )


def context_for(migration: Migration, body: Any) -> dict[str, Any]:
    return {
        "type": migration.migration_type,
        "migrationId": migration.migration_id,
        "estimatedCount": migration.estimated,
        "body": body,
        "properties": {},
    }


def _send(
    engine: Engine,
    state: State,
    kind: str,
    context: dict[str, Any],
    payload: Any,
    delay: float = 0.0,
) -> None:
    """Send one message (caller holds the lock); ``context`` is the MigrationContext sans body."""
    state.queue.send(Message(kind, context, payload), now=engine.now(), delay=delay)
    engine.cond.notify()


def base_context(migration: Migration) -> dict[str, Any]:
    context = context_for(migration, None)
    del context["body"]
    return context


# -- M1, M6, M7


def start_migration(engine: Engine, flt: dict[str, Any], who: str | None) -> dict[str, Any]:
    """Conflict check → estimate → enqueue → history row (upstream-api §3.2)."""
    with engine.lock:
        state = engine.state
        latest = state.latest("VISITS")
        if latest is not None and latest.status in IN_PROGRESS:
            raise Conflict(latest.migration_id)
    downstream(engine, "nomisPrisonerApi", "/visits/ids")
    estimate = state.visits.count(to_visit_filter(flt))
    ordered = {k: flt[k] for k in FILTER_ORDER if flt.get(k) is not None}
    with engine.cond:
        latest = state.latest("VISITS")
        if latest is not None and latest.status in IN_PROGRESS:
            raise Conflict(latest.migration_id)
        started = now_local()
        when = started.replace(microsecond=0)
        # Ids have second precision (§2.2). Two runs in one second only happen in fast tests;
        # move the id on a second rather than overwrite history.
        while when.strftime("%Y-%m-%dT%H:%M:%S") in state.by_id:
            when += timedelta(seconds=1)
        migration = Migration(
            migration_id=when.strftime("%Y-%m-%dT%H:%M:%S"),
            migration_type="VISITS",
            when_started=started,
            estimated=estimate,
            filter_json=dumps(ordered),
            filter=ordered,
        )
        context = context_for(migration, ordered)
        _send(engine, state, "MIGRATE_ENTITIES", base_context(migration), ordered)
        state.event(
            "visits-migration-started",
            {
                "migrationId": migration.migration_id,
                "estimatedCount": str(estimate),
                **{
                    k: (
                        f"[{', '.join(v)}]"
                        if isinstance(v, list)
                        else str(v).lower()
                        if isinstance(v, bool)
                        else str(v)
                    )
                    for k, v in ordered.items()
                },
            },
        )
        state.add_history(migration)
        state.log("INFO", f"Audit MIGRATION_STARTED who={who} migrationId={migration.migration_id}")
    return context


def cancel_migration(engine: Engine, migration_id: str, who: str | None) -> None:
    """M6: no status check (quirk §13.2); purge now, purge in a loop, then cancel checks."""
    with engine.lock:
        state = engine.state
        migration = state.by_id.get(migration_id)
        if migration is None:
            raise NotFound(migration_id)
        state.event(
            f"{migration.migration_type.lower()}-migration-cancel-requested",
            {"migrationId": migration_id},
        )
        migration.status = "CANCELLED_REQUESTED"
        state.log("INFO", f"Audit MIGRATION_CANCEL_REQUESTED who={who} migrationId={migration_id}")
        state.queue.purge()
    threading.Thread(
        target=_purge_loop,
        args=(engine, state, migration),
        name="sandbox-cancel-purge",
        daemon=True,
    ).start()


def _purge_loop(engine: Engine, state: State, migration: Migration) -> None:
    deadline = time.monotonic() + engine.settings.cancel_purge_total_s
    while time.monotonic() < deadline:
        time.sleep(max(0.001, engine.settings.cancel_purge_interval_s))
        with engine.lock:
            if engine.state is not state:
                return
            state.queue.purge()
    with engine.cond:
        _send(engine, state, "CANCEL_MIGRATION", base_context(migration), {"checkCount": 0})


def refresh_migration(engine: Engine, migration_id: str) -> None:
    with engine.lock:
        state = engine.state
        migration = state.by_id.get(migration_id)
        if migration is None:
            raise NotFound(migration_id)
        if migration.status != "COMPLETED":
            raise NotCompleted(migration_id)
        _write_counts(engine, state, migration)


def _write_counts(engine: Engine, state: State, migration: Migration) -> None:
    migration.when_ended = now_local()
    migration.records_failed = state.dlq.visible(engine.now())
    migration.records_migrated = state.mappings.migrated_count(migration.migration_id)


def _duration_minutes(migration: Migration) -> str:
    return f"{(now_local() - migration.when_started).total_seconds() / 60:.1f}"


# -- Workers


def worker_loop(engine: Engine, index: int) -> None:
    while True:
        with engine.cond:
            if index >= engine.settings.workers:
                engine.cond.wait(1.0)
                continue
            state = engine.state
            now = engine.now()
            message = state.queue.receive(now)
            if message is None:
                due = state.queue.next_due_in(now)
                engine.cond.wait(0.5 if due is None else min(0.5, max(due, 0.001)))
                continue
        ok = False
        try:
            handle(engine, state, message)
            ok = True
        except (RecordFailed, DownstreamError) as exc:
            # The real service logs the failure against the SQS message id (§12.1).
            state.log("ERROR", f"MessageID:{message.id} {exc}")
        except Exception:  # outermost guard: a bug must not kill the worker thread
            logger.exception("MessageID:%s", message.id)
            state.log("ERROR", f"MessageID:{message.id} unexpected error")
        with engine.cond:
            if message.deleted:
                continue
            state.queue.ack(message)
            if not ok:
                if message.receive_count >= engine.settings.max_deliveries:
                    state.dlq.add(message.id, message.body)
                    message.context = {}  # drop the reference; the DLQ keeps its own copy
                    state.event(
                        "prisoner-from-nomis-migration-visits-sent-to-dlq",
                        {
                            "queueName": "migration_visits_queue",
                            "dlqName": "migration_visits_dlq",
                            "timeouts": str(message.receive_count),
                            "maxReceiveCount": str(engine.settings.max_deliveries),
                        },
                    )
                else:
                    state.queue.send(message, now=engine.now(), delay=engine.settings.retry_delay_s)


def handle(engine: Engine, state: State, message: Message) -> None:
    kind = message.kind
    context = message.context
    payload = message.payload_json
    if not isinstance(payload, dict) or "migrationId" not in context:
        raise RecordFailed(f"Malformed {kind} message")
    if kind == "MIGRATE_ENTITIES":
        _paging(engine, state, context, payload)
    elif kind == "MIGRATE_BY_PAGE":
        _page(engine, state, context, payload)
    elif kind == "MIGRATE_ENTITY":
        _migrate_visit(engine, state, context, payload)
    elif kind == "MIGRATE_STATUS_CHECK":
        _status_check(engine, state, context, payload)
    elif kind == "CANCEL_MIGRATION":
        _cancel_check(engine, state, context, payload)
    elif kind == "RETRY_MIGRATION_MAPPING":
        _retry_mapping(engine, state, context, payload)
    else:
        raise RecordFailed(f"Unknown message type {kind}")


def _paging(engine: Engine, state: State, context: dict[str, Any], flt: dict[str, Any]) -> None:
    """Stage 2: one MIGRATE_BY_PAGE per page, then the first status check."""
    size = max(1, engine.settings.page_size)
    pages = math.ceil(context["estimatedCount"] / size)
    with engine.cond:
        for n in range(pages):
            body = {
                "filter": flt,
                "pageKey": {"@type": "ByPageNumber", "pageNumber": n},
                "pageSize": size,
            }
            _send(engine, state, "MIGRATE_BY_PAGE", context, body)
        _send(
            engine,
            state,
            "MIGRATE_STATUS_CHECK",
            context,
            {"checkCount": 0},
            engine.settings.first_check_delay_s,
        )
        engine.cond.notify_all()


def _page(engine: Engine, state: State, context: dict[str, Any], body: dict[str, Any]) -> None:
    """Stage 3: one MIGRATE_ENTITY per visit id on the page, unless cancelling."""
    with engine.lock:
        migration = state.by_id.get(context["migrationId"])
        if migration is None or migration.status in CANCELLING:
            return
    downstream(engine, "nomisPrisonerApi", "/visits/ids")
    ids, _total = state.visits.page_ids(
        to_visit_filter(body["filter"]), body["pageKey"]["pageNumber"], body["pageSize"]
    )
    with engine.cond:
        now = engine.now()
        for visit_id in ids:
            state.queue.send(
                Message("MIGRATE_ENTITY", context, visit_id),
                now=now,
            )
        engine.cond.notify_all()


def _migrate_visit(
    engine: Engine, state: State, context: dict[str, Any], body: dict[str, Any]
) -> None:
    """Stage 4 (§5.4)."""
    visit_id = body.get("visitId")
    migration_id = context["migrationId"]
    downstream(engine, "mappingApi", f"/mapping/visits/nomisId/{visit_id}")
    with engine.lock:
        already = visit_id in state.mappings.by_nomis
    if already:
        line = f"Will not migrate visit since it is migrated already, NOMIS id is {visit_id}"
        logger.info(line)
        state.log("INFO", line)
        return
    delay = engine.settings.visit_delay_ms
    if delay > 0:
        time.sleep(delay / 1000)
    downstream(engine, "nomisPrisonerApi", f"/visits/{visit_id}")
    today = date.today()
    visit = state.visits.visit(int(visit_id), today=today) if isinstance(visit_id, int) else None
    if visit is None:
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
            downstream(
                engine, "mappingApi", f"/prison/{prison_id}/room/nomis-room-id/{quote(room)}"
            )
            with engine.lock:
                mapping = state.mappings.rooms.get((prison_id, room))
        if mapping is None:
            with engine.lock:
                state.event(
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
    with engine.lock:
        vsip_id = state.next_vsip_reference()
    try:
        downstream(engine, "mappingApi", "/mapping/visits")
    except DownstreamError:
        # Only the mapping is retried, so the DPS visit is never created twice.
        retry = {
            "nomisId": visit_id,
            "vsipId": vsip_id,
            "label": migration_id,
            "mappingType": "MIGRATED",
        }
        with engine.cond:
            _send(engine, state, "RETRY_MIGRATION_MAPPING", context, retry)
        return
    _create_mapping(state, engine, visit_id, vsip_id, migration_id, visit, room_name)


def _create_mapping(
    state: State,
    engine: Engine,
    visit_id: int,
    vsip_id: str,
    migration_id: str,
    visit: dict[str, Any] | None,
    room: str,
) -> None:
    with engine.lock:
        existing = state.mappings.by_nomis.get(visit_id)
        if existing is not None:
            state.event(
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
        state.mappings.add(VisitMapping(visit_id, vsip_id, migration_id, "MIGRATED", now_local()))
        state.event(
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


def _retry_mapping(
    engine: Engine, state: State, context: dict[str, Any], body: dict[str, Any]
) -> None:
    downstream(engine, "mappingApi", "/mapping/visits")
    _create_mapping(state, engine, body["nomisId"], body["vsipId"], body["label"], None, "")


def _status_check(
    engine: Engine, state: State, context: dict[str, Any], body: dict[str, Any]
) -> None:
    """Stage 5 (§5.5): complete after ``empty_readings`` consecutive empty readings."""
    _end_when_drained(
        engine,
        state,
        context,
        body,
        waiting="STARTED",
        message="MIGRATE_STATUS_CHECK",
        final="COMPLETED",
        event="visits-migration-completed",
        event_extra={"properties": "{}"},
        purge=False,
    )


def _cancel_check(
    engine: Engine, state: State, context: dict[str, Any], body: dict[str, Any]
) -> None:
    """§5.7 step 4: as stage 5, but purging the queue at every reading."""
    _end_when_drained(
        engine,
        state,
        context,
        body,
        waiting="CANCELLED_REQUESTED",
        message="CANCEL_MIGRATION",
        final="CANCELLED",
        event="visits-migration-cancelled",
        event_extra={},
        purge=True,
    )


def _end_when_drained(
    engine: Engine,
    state: State,
    context: dict[str, Any],
    body: dict[str, Any],
    *,
    waiting: str,
    message: str,
    final: str,
    event: str,
    event_extra: dict[str, str],
    purge: bool,
) -> None:
    """Read the queue: once it has been empty ``empty_readings`` times in a row, the migration
    (still ``waiting``) becomes ``final``; until then ``message`` is sent again to read later."""
    settings = engine.settings
    check = int(body.get("checkCount", 0))
    with engine.cond:
        migration = state.by_id.get(context["migrationId"])
        if migration is None or migration.status != waiting:
            return
        busy = state.queue.visible(engine.now()) > 0
        if not busy and check >= settings.empty_readings - 1:
            migration.status = final
            _write_counts(engine, state, migration)
            state.event(
                event,
                {
                    "migrationId": migration.migration_id,
                    "estimatedCount": str(migration.estimated),
                    "durationMinutes": _duration_minutes(migration),
                    **event_extra,
                },
            )
            return
        if purge:
            state.queue.purge()
        if busy:
            _send(engine, state, message, context, {"checkCount": 0}, settings.recheck_delay_s)
        else:
            _send(
                engine,
                state,
                message,
                context,
                {"checkCount": check + 1},
                settings.empty_check_interval_s,
            )


# -- DLQ retry


def retry_dlq(engine: Engine) -> int:
    """Move every DLQ message back to the main queue (the scheduled retry / queue-admin retry)."""
    with engine.cond:
        state = engine.state
        moved = state.dlq.drain()
        now = engine.now()
        for old in moved:
            state.queue.send(Message.from_body(old.body, old.message_id), now=now)
        engine.cond.notify_all()
    return len(moved)


def scheduler_loop(engine: Engine) -> None:
    """Runs the optional scheduled DLQ retry (§5.6), off unless ``dlq_retry_interval_s`` > 0."""
    last = time.monotonic()
    while True:
        time.sleep(0.25)
        interval = engine.settings.dlq_retry_interval_s
        if interval <= 0:
            last = time.monotonic()
            continue
        if time.monotonic() - last >= interval:
            last = time.monotonic()
            retry_dlq(engine)
