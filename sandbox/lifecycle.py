"""The migration lifecycle of upstream-api §5 for every simulated type, run by worker threads.

Everything here is generic: start (conflict check, estimate, history row), paging, one
``MIGRATE_ENTITY`` per record, retries and the dead-letter queue, cancel, completion and the
counters. Each type's own steps come from its plug-in in sandbox.entities, looked up by the
``type`` of the message's migration context. Each type has its own queue and DLQ in the state.

Handlers take the engine lock only for short, non-blocking steps; simulated work, delays and
injected downstream latency happen outside it. The engine does not import this module: the
sandbox command calls :func:`run`, which hands the worker and scheduler loops to the engine.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sandbox import entities
from sandbox.entities.base import DownstreamError, Entity, RecordFailed
from sandbox.queues import Message
from sandbox.state import IN_PROGRESS, Migration, State
from sandbox.util import now_local

if TYPE_CHECKING:
    from sandbox.config import SandboxSettings
    from sandbox.engine import Engine

logger = logging.getLogger("sandbox.lifecycle")

__all__ = ["DownstreamError", "RecordFailed"]  # re-exported: plug-ins and views raise/catch them

CANCELLING = ("CANCELLED_REQUESTED", "CANCELLED")


class Conflict(Exception):
    pass


class NotFound(Exception):
    pass


class NotCompleted(Exception):
    pass


def run(engine: Engine) -> None:
    """Start the worker pool and the DLQ-retry scheduler on ``engine``."""
    engine.start(worker=worker_loop, scheduler=scheduler_loop)


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


def send(
    engine: Engine, state: State, kind: str, context: dict[str, Any], payload: Any, delay: float = 0
) -> None:
    """Send one message to the queue of the context's type (caller holds the lock).

    ``context`` is the MigrationContext without its body, shared by every message of a run.
    """
    state.queues[context["type"]].send(
        Message(kind, context, payload), now=engine.now(), delay=delay
    )
    engine.cond.notify()


@dataclass
class Job:
    """What a plug-in may use while the lifecycle runs one of its steps."""

    engine: Engine
    state: State
    context: dict[str, Any]

    @property
    def migration_id(self) -> str:
        return str(self.context["migrationId"])

    @property
    def settings(self) -> SandboxSettings:
        return self.engine.settings

    @property
    def lock(self) -> threading.Lock:
        return self.engine.lock

    def downstream(self, service: str, path: str) -> None:
        downstream(self.engine, service, path)

    def send(self, kind: str, payload: Any) -> None:
        with self.engine.cond:
            send(self.engine, self.state, kind, self.context, payload)

    def log(self, level: str, line: str) -> None:
        logger.log(logging.getLevelName(level), line)
        self.state.log(level, line)

    def event(self, name: str, properties: dict[str, Any]) -> None:
        self.state.event(name, properties)

    def work(self) -> None:
        """The simulated work of one record (NOMIS read, DPS create, mapping write)."""
        delay = self.engine.settings.visit_delay_ms
        if delay > 0:
            time.sleep(delay / 1000)


def _entity(migration_type: str) -> Entity:
    entity = entities.get(migration_type)
    if entity is None:
        raise RecordFailed(f"No migration of type {migration_type}")
    return entity


def _property_text(value: Any) -> str:
    """A start-event property as the real service's telemetry shows it (Kotlin toString)."""
    if isinstance(value, list):
        return f"[{', '.join(str(v) for v in value)}]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


# -- M1, M6, M7


def start_migration(engine: Engine, entity: Entity, raw: bytes, who: str | None) -> dict[str, Any]:
    """Conflict check → estimate → enqueue → history row (upstream-api §3.2).

    Raises ``BadRequest`` for an invalid body, :class:`Conflict` when a migration of the same type
    is still in progress and :class:`DownstreamError` when the estimate fails.
    """
    request = entity.start_request(raw)
    migration_type = entity.migration_type
    with engine.lock:
        state = engine.state
        latest = state.latest(migration_type)
        if latest is not None and latest.status in IN_PROGRESS:
            raise Conflict(latest.migration_id)
    estimate = entity.estimate(Job(engine, state, {"type": migration_type}), request.body)
    with engine.cond:
        latest = state.latest(migration_type)
        if latest is not None and latest.status in IN_PROGRESS:
            raise Conflict(latest.migration_id)
        started = now_local()
        when = started.replace(microsecond=0)
        # Ids have second precision (§2.2). Two runs in one second only happen in fast tests or
        # when two types start together; move the id on a second rather than overwrite history.
        while when.strftime("%Y-%m-%dT%H:%M:%S") in state.by_id:
            when += timedelta(seconds=1)
        migration = Migration(
            migration_id=when.strftime("%Y-%m-%dT%H:%M:%S"),
            migration_type=migration_type,
            when_started=started,
            estimated=estimate,
            filter_json=request.filter_json,
            filter=request.body if isinstance(request.body, dict) else {},
        )
        context = {
            "type": migration_type,
            "migrationId": migration.migration_id,
            "estimatedCount": estimate,
            "properties": request.properties,
        }
        send(engine, state, "MIGRATE_ENTITIES", context, request.body)
        extra = request.body.items() if isinstance(request.body, dict) else ()
        state.event(
            f"{entity.event_prefix}-migration-started",
            {
                "migrationId": migration.migration_id,
                "estimatedCount": str(estimate),
                **{k: _property_text(v) for k, v in extra},
            },
        )
        state.add_history(migration)
        state.log("INFO", f"Audit MIGRATION_STARTED who={who} migrationId={migration.migration_id}")
    return {**context, "body": request.body, "properties": request.properties}


def cancel_migration(engine: Engine, migration_id: str, who: str | None) -> None:
    """M6: no status check (quirk §13.2); purge now, purge in a loop, then cancel checks.

    Only the migration's own type's queue is purged: other types run on.
    """
    with engine.lock:
        state = engine.state
        migration = state.by_id.get(migration_id)
        if migration is None:
            raise NotFound(migration_id)
        entity = entities.get(migration.migration_type)
        prefix = entity.event_prefix if entity else migration.migration_type.lower()
        state.event(f"{prefix}-migration-cancel-requested", {"migrationId": migration_id})
        migration.status = "CANCELLED_REQUESTED"
        state.log("INFO", f"Audit MIGRATION_CANCEL_REQUESTED who={who} migrationId={migration_id}")
        queue = state.queues.get(migration.migration_type)
        if queue is None:
            # A type the sandbox only lists (no queue): nothing runs, so it is cancelled at once.
            migration.status = "CANCELLED"
            migration.when_ended = now_local()
            return
        queue.purge()
    threading.Thread(
        target=_purge_loop,
        args=(engine, state, migration),
        name="sandbox-cancel-purge",
        daemon=True,
    ).start()


def _purge_loop(engine: Engine, state: State, migration: Migration) -> None:
    queue = state.queues[migration.migration_type]
    deadline = time.monotonic() + engine.settings.cancel_purge_total_s
    while time.monotonic() < deadline:
        time.sleep(max(0.001, engine.settings.cancel_purge_interval_s))
        with engine.lock:
            if engine.state is not state:
                return
            queue.purge()
    with engine.cond:
        send(engine, state, "CANCEL_MIGRATION", _context(migration), {"checkCount": 0})


def _context(migration: Migration) -> dict[str, Any]:
    return {
        "type": migration.migration_type,
        "migrationId": migration.migration_id,
        "estimatedCount": migration.estimated,
        "properties": {},
    }


def refresh_migration(engine: Engine, migration_id: str) -> None:
    with engine.lock:
        state = engine.state
        migration = state.by_id.get(migration_id)
        if migration is None:
            raise NotFound(migration_id)
        if migration.status != "COMPLETED":
            raise NotCompleted(migration_id)
        write_counts(engine, state, migration)


def write_counts(engine: Engine, state: State, migration: Migration) -> None:
    """The end-of-run figures: DLQ depth of the type and the mapping service's migrated count."""
    migration.when_ended = now_local()
    dlq = state.dlqs.get(migration.migration_type)
    entity = entities.get(migration.migration_type)
    migration.records_failed = dlq.visible(engine.now()) if dlq else 0
    migration.records_migrated = (
        entity.migrated_count(state, migration.migration_id) if entity else 0
    )


def _duration_minutes(migration: Migration) -> str:
    return f"{(now_local() - migration.when_started).total_seconds() / 60:.1f}"


# -- Workers


def _receive(engine: Engine, state: State, turn: int) -> tuple[str, Message | None, float | None]:
    """The next visible message of any type's queue (with its type), or how long until one is due.

    Workers start at a different queue each time so one busy type cannot starve the others.
    """
    now = engine.now()
    types = list(state.queues)
    due: float | None = None
    for n in range(len(types)):
        migration_type = types[(turn + n) % len(types)]
        queue = state.queues[migration_type]
        message = queue.receive(now)
        if message is not None:
            return migration_type, message, None
        wait = queue.next_due_in(now)
        if wait is not None and (due is None or wait < due):
            due = wait
    return "", None, due


def worker_loop(engine: Engine, index: int) -> None:
    turn = index
    while True:
        with engine.cond:
            if index >= engine.settings.workers:
                engine.cond.wait(1.0)
                continue
            state = engine.state
            migration_type, message, due = _receive(engine, state, turn)
            turn += 1
            if message is None:
                engine.cond.wait(0.5 if due is None else min(0.5, max(due, 0.001)))
                continue
        ok = False
        try:
            handle(engine, state, migration_type, message)
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
            queue = state.queues[migration_type]
            queue.ack(message)
            if ok:
                continue
            if message.receive_count < engine.settings.max_deliveries:
                queue.send(message, now=engine.now(), delay=engine.settings.retry_delay_s)
                continue
            entity = _entity(migration_type)
            state.dlqs[migration_type].add(message.id, message.body)
            message.context = {}  # drop the reference; the DLQ keeps its own copy
            state.event(
                entity.dlq_event,
                {
                    "queueName": entity.queue_name,
                    "dlqName": entity.dlq_name,
                    "timeouts": str(message.receive_count),
                    "maxReceiveCount": str(engine.settings.max_deliveries),
                },
            )


def handle(engine: Engine, state: State, migration_type: str, message: Message) -> None:
    """Run one message taken from ``migration_type``'s queue."""
    kind = message.kind
    context = message.context
    if "migrationId" not in context or context.get("type") != migration_type:
        raise RecordFailed(f"Malformed {kind} message")
    entity = _entity(migration_type)
    job = Job(engine, state, context)
    payload = message.payload_json
    if kind == "MIGRATE_ENTITIES":
        _paging(job, payload)
    elif kind == "MIGRATE_BY_PAGE":
        _page(job, entity, _dict(kind, payload))
    elif kind == "MIGRATE_ENTITY":
        entity.migrate(job, payload)
    elif kind == "MIGRATE_STATUS_CHECK":
        _status_check(job, entity, _dict(kind, payload))
    elif kind == "CANCEL_MIGRATION":
        _cancel_check(job, entity, _dict(kind, payload))
    elif kind == "RETRY_MIGRATION_MAPPING":
        entity.retry_mapping(job, _dict(kind, payload))
    else:
        raise RecordFailed(f"Unknown message type {kind}")


def _dict(kind: str, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise RecordFailed(f"Malformed {kind} message")
    return payload


def _paging(job: Job, flt: Any) -> None:
    """Stage 2: one MIGRATE_BY_PAGE per page, then the first status check."""
    engine, state, context = job.engine, job.state, job.context
    size = max(1, engine.settings.page_size)
    pages = math.ceil(context["estimatedCount"] / size)
    with engine.cond:
        for n in range(pages):
            body = {
                "filter": flt,
                "pageKey": {"@type": "ByPageNumber", "pageNumber": n},
                "pageSize": size,
            }
            send(engine, state, "MIGRATE_BY_PAGE", context, body)
        send(
            engine,
            state,
            "MIGRATE_STATUS_CHECK",
            context,
            {"checkCount": 0},
            engine.settings.first_check_delay_s,
        )
        engine.cond.notify_all()


def _page(job: Job, entity: Entity, body: dict[str, Any]) -> None:
    """Stage 3: one MIGRATE_ENTITY per record on the page, unless cancelling."""
    engine, state, context = job.engine, job.state, job.context
    with engine.lock:
        migration = state.by_id.get(context["migrationId"])
        if migration is None or migration.status in CANCELLING:
            return
    try:
        number = int(body["pageKey"]["pageNumber"])
        size = int(body["pageSize"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordFailed("Malformed MIGRATE_BY_PAGE message") from exc
    payloads = entity.page(job, body.get("filter"), number, size)
    with engine.cond:
        now = engine.now()
        queue = state.queues[entity.migration_type]
        for payload in payloads:
            queue.send(Message("MIGRATE_ENTITY", context, payload), now=now)
        engine.cond.notify_all()


def _status_check(job: Job, entity: Entity, body: dict[str, Any]) -> None:
    """Stage 5 (§5.5): complete after ``empty_readings`` consecutive empty readings."""
    _end_when_drained(
        job,
        body,
        waiting="STARTED",
        message="MIGRATE_STATUS_CHECK",
        final="COMPLETED",
        event=f"{entity.event_prefix}-migration-completed",
        event_extra={"properties": "{}"},
        purge=False,
    )


def _cancel_check(job: Job, entity: Entity, body: dict[str, Any]) -> None:
    """§5.7 step 4: as stage 5, but purging the queue at every reading."""
    _end_when_drained(
        job,
        body,
        waiting="CANCELLED_REQUESTED",
        message="CANCEL_MIGRATION",
        final="CANCELLED",
        event=f"{entity.event_prefix}-migration-cancelled",
        event_extra={},
        purge=True,
    )


def _end_when_drained(
    job: Job,
    body: dict[str, Any],
    *,
    waiting: str,
    message: str,
    final: str,
    event: str,
    event_extra: dict[str, str],
    purge: bool,
) -> None:
    """Read the type's queue: once it has been empty ``empty_readings`` times in a row, the
    migration (still ``waiting``) becomes ``final``; until then ``message`` is sent again."""
    engine, state, context = job.engine, job.state, job.context
    settings = engine.settings
    check = int(body.get("checkCount", 0))
    queue = state.queues[context["type"]]
    with engine.cond:
        migration = state.by_id.get(context["migrationId"])
        if migration is None or migration.status != waiting:
            return
        busy = queue.visible(engine.now()) > 0
        if not busy and check >= settings.empty_readings - 1:
            migration.status = final
            write_counts(engine, state, migration)
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
            queue.purge()
        if busy:
            send(engine, state, message, context, {"checkCount": 0}, settings.recheck_delay_s)
        else:
            send(
                engine,
                state,
                message,
                context,
                {"checkCount": check + 1},
                settings.empty_check_interval_s,
            )


# -- DLQ retry


def retry_dlq(engine: Engine, migration_type: str) -> int:
    """Move every message of one type's DLQ back to its main queue (queue-admin retry)."""
    with engine.cond:
        state = engine.state
        moved = state.dlqs[migration_type].drain()
        now = engine.now()
        for old in moved:
            state.queues[migration_type].send(Message.from_body(old.body, old.message_id), now=now)
        engine.cond.notify_all()
    return len(moved)


def retry_all_dlqs(engine: Engine) -> dict[str, int]:
    """The scheduled retry (§5.6) and ``retry-all-dlqs``: messages moved, per type."""
    with engine.lock:
        types = list(engine.state.dlqs)
    return {t: retry_dlq(engine, t) for t in types}


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
            retry_all_dlqs(engine)
