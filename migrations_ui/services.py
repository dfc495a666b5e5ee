"""What the migration pages do: keyword-only functions over the upstream clients.

Views call one function each; functions return typed results. Every action that changes upstream
state (start, cancel, purge dead letters, refresh counts) goes through `_audited`, which writes a
"requested" audit event before the upstream call and the outcome after it (design.md §5).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from migrations_ui import appinsights
from migrations_ui.caching import StaleWhileRevalidate, cache_key, upstream_changed
from migrations_ui.clients.migration_api import (
    ENDED_STATUSES,
    IN_PROGRESS_STATUSES,
    DlqMessage,
    InProgressMigration,
    MigrationApiClient,
    MigrationHistory,
    RoomUsage,
)
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.models import AuditEvent
from nomis_sync import upstream
from nomis_sync.formatting import LONDON
from nomis_sync.lazy import LazyMap

if TYPE_CHECKING:
    from migrations_ui.registry import MigrationType

logger = logging.getLogger(__name__)

T = TypeVar("T")


class AuditUnavailable(Exception):
    """The "requested" audit event could not be written, so the action was not sent."""


class AlreadyRunning(Exception):
    """The migration service refused a start (409): a migration of the type is in progress."""

    def __init__(self, migration_id: str | None) -> None:
        super().__init__(migration_id or "unknown")
        self.migration_id = migration_id


def _username(user: Any) -> str | None:
    return getattr(user, "username", None) or None


def _migrations(user: Any) -> MigrationApiClient:
    return MigrationApiClient(username=_username(user))


def london_now() -> dt.datetime:
    """Now as the upstream's naive local time (upstream-api.md §2.2)."""
    return timezone.now().astimezone(LONDON).replace(tzinfo=None)


# -- History list


@dataclass(frozen=True)
class HistoryRow:
    migration: MigrationHistory
    # Links the row offers (reference-dashboard.md §4.1).
    show_progress: bool
    show_failures: bool
    already_migrated_url: str | None


def _history_row(migration: MigrationHistory, *, insights_links: bool) -> HistoryRow:
    """A history row's links (reference-dashboard.md §4.1), worked out only for rows shown.

    A history can hold thousands of migrations while a page shows 50; building an App Insights
    link (gzip + base64) for every row would dominate the page's time.
    """
    unaccounted = (
        migration.records_migrated + migration.records_failed < migration.estimated_record_count
    )
    return HistoryRow(
        migration=migration,
        show_progress=migration.in_progress,
        show_failures=migration.records_failed > 0,
        already_migrated_url=appinsights.already_migrated_url(
            migration.when_started, migration.when_ended
        )
        if unaccounted and insights_links
        else None,
    )


HistoryRows = LazyMap[MigrationHistory, HistoryRow]


@dataclass(frozen=True)
class History:
    rows: HistoryRows
    # When this copy of the list was fetched from the migration service (epoch seconds).
    fetched_at: float


_history_cache: StaleWhileRevalidate[HistoryRows] = StaleWhileRevalidate(
    fresh_seconds=settings.MIGRATION_HISTORY_FRESH_SECONDS,
    max_stale_seconds=settings.MIGRATION_HISTORY_MAX_STALE_SECONDS,
)


def migration_history(
    *, user: Any, migration_type: MigrationType, params: Mapping[str, Any]
) -> History:
    """M3 for the type, newest first, served from a short-lived per-process copy (see caching)."""
    username = _username(user)

    def fetch() -> HistoryRows:
        migrations = MigrationApiClient(username=username).history(
            migration_type.upstream_type, params
        )
        links = "already_migrated" in migration_type.insights_links
        return LazyMap(migrations, lambda m: _history_row(m, insights_links=links))

    cached = _history_cache.get(cache_key(migration_type.upstream_type, dict(params)), fetch)
    return History(rows=cached.value, fetched_at=cached.fetched_wall)


# -- Preview


@dataclass
class CheckResult(Generic[T]):
    """One pre-flight check's value, or the failure that stopped it."""

    value: T | None = None
    error: upstream.ApiError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def timed_out(self) -> bool:
        return isinstance(self.error, upstream.Timeout)

    @property
    def problem(self) -> str:
        """A sentence naming the service and what went wrong, for the preview page."""
        return describe_failure(self.error) if self.error else ""


def describe_failure(error: upstream.ApiError) -> str:
    """What went wrong in plain words, naming the service ("the NOMIS prisoner API ...")."""
    service = f"the {error.service}"
    if isinstance(error, upstream.Timeout):
        return f"{service} did not respond in time"
    if isinstance(error, upstream.Unavailable):
        return f"{service} could not be reached"
    if isinstance(error, (upstream.Unauthorised, upstream.Forbidden)):
        return f"{service} refused the dashboard's request"
    if isinstance(error, upstream.MalformedResponse):
        return f"{service} sent a response the dashboard could not read"
    return (
        f"{service} had a problem (HTTP {error.status})"
        if error.status
        else f"{service} had a problem"
    )


@dataclass
class Preview:
    filter: dict[str, Any]
    estimate: CheckResult[int] = field(default_factory=CheckResult)
    unmapped_rooms: CheckResult[list[RoomUsage]] = field(default_factory=CheckResult)
    dead_letters: CheckResult[int] = field(default_factory=CheckResult)
    active: CheckResult[InProgressMigration] = field(default_factory=CheckResult)
    # Seconds the checks took together (the slowest, as they run side by side).
    seconds: float = 0.0

    @property
    def running_migration_id(self) -> str | None:
        active = self.active.value
        return active.migration_id if active is not None and active.in_progress else None

    @property
    def can_start(self) -> bool:
        """Starting needs an estimate and no migration of the type in progress."""
        return self.estimate.ok and self.running_migration_id is None


def visits_estimate(*, username: str | None, filter: Mapping[str, Any]) -> int:
    """NOMIS `/visits/ids?size=1` for the filter, with the estimate's own timeout and no retry.

    The count is a heavy query (upstream-api.md §6.1): the user is told to try again rather than
    being kept waiting through retries.
    """
    connect, _read = settings.UPSTREAM_TIMEOUTS["nomisPrisonerApi"]
    client = NomisPrisonerApiClient(
        username=username, timeout=(connect, settings.VISITS_ESTIMATE_TIMEOUT_SECONDS)
    )
    client.retries = 0
    return client.visit_count(_query_of(filter))


def _query_of(filter: Mapping[str, Any]) -> dict[str, Any]:
    """A start filter as query parameters (lists repeat; `ignoreMissingRoom` is not a filter)."""
    return {key: value for key, value in filter.items() if key != "ignoreMissingRoom"}


def _check_estimate(migration_type: MigrationType, username: str | None, flt: Any) -> int:
    return migration_type.estimate(username=username, filter=flt)


def _check_unmapped_rooms(
    migration_type: MigrationType, username: str | None, flt: Any
) -> list[RoomUsage]:
    rooms = MigrationApiClient(username=username).visit_rooms_usage(_query_of(flt))
    return [room for room in rooms if not room.vsip_room]


def _check_dead_letters(migration_type: MigrationType, username: str | None, flt: Any) -> int:
    return MigrationApiClient(username=username).dead_letter_count(migration_type.upstream_type)


def _check_active(
    migration_type: MigrationType, username: str | None, flt: Any
) -> InProgressMigration:
    return MigrationApiClient(username=username).active(migration_type.upstream_type)


PREFLIGHT_CHECKS: dict[str, Callable[[MigrationType, str | None, Any], Any]] = {
    "estimate": _check_estimate,
    "unmapped_rooms": _check_unmapped_rooms,
    "dead_letters": _check_dead_letters,
    "active": _check_active,
}


def migration_preview(
    *, user: Any, migration_type: MigrationType, filter: Mapping[str, Any]
) -> Preview:
    """Run the type's pre-flight checks side by side; each failure is kept, not raised.

    Each check has its own client (a `requests.Session` is not shared between threads), so the
    page takes as long as the slowest check rather than the sum (reference-dashboard.md §13.11).
    """
    started = timezone.now()
    preview = Preview(filter=dict(filter))
    username = _username(user)
    names = migration_type.preflight_checks
    pool = upstream.executor()
    futures = {
        name: pool.submit(PREFLIGHT_CHECKS[name], migration_type, username, dict(filter))
        for name in names
    }
    for name, future in futures.items():
        result: CheckResult[Any] = getattr(preview, name)
        try:
            result.value = future.result()
        except upstream.ApiError as error:
            logger.warning("Pre-flight check %s failed: %s", name, error)
            result.error = error
    preview.seconds = (timezone.now() - started).total_seconds()
    return preview


def visits_preview(*, user: Any, filter: Mapping[str, Any]) -> Preview:
    from migrations_ui.registry import VISITS

    return migration_preview(user=user, migration_type=VISITS, filter=filter)


# -- Audit


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where: the parts of an audit event that come from the request."""

    user: Any
    request_id: str = ""
    client_ip: str | None = None


def audit_event_record(
    *,
    context: AuditContext,
    attempt_id: Any,
    action: str,
    outcome: str,
    migration_type: MigrationType,
    migration_id: str = "",
    filter: Mapping[str, Any] | None = None,
    estimate: int | None = None,
    upstream_status: int | None = None,
    message: str = "",
) -> AuditEvent:
    """Write one audit event. The only code that writes them."""
    user = context.user
    return AuditEvent.objects.create(
        attempt_id=attempt_id,
        username=_username(user) or "",
        display_name=getattr(user, "display_name", "") or "",
        auth_source=getattr(user, "auth_source", "") or "",
        action=action,
        migration_type=migration_type.upstream_type,
        migration_id=migration_id or "",
        filter=dict(filter) if filter is not None else None,
        estimate=estimate,
        outcome=outcome,
        upstream_status=upstream_status,
        message=message[:2000],
        request_id=context.request_id[:64],
        client_ip=context.client_ip,
    )


@dataclass
class _Attempt:
    """Filled in by the audited block: what the outcome event should say."""

    migration_id: str = ""
    estimate: int | None = None
    message: str = ""


@contextmanager
def _audited(
    *,
    context: AuditContext,
    action: str,
    migration_type: MigrationType,
    migration_id: str = "",
    filter: Mapping[str, Any] | None = None,
    estimate: int | None = None,
) -> Iterator[_Attempt]:
    """Record "requested", run the block (the upstream call), then record the outcome.

    If "requested" cannot be written the block never runs: the action is refused rather than
    performed unrecorded (style.md §10). An outcome that cannot be written is logged; the
    "requested" row already shows the attempt.
    """
    import uuid

    attempt_id = uuid.uuid4()
    common: dict[str, Any] = {
        "context": context,
        "attempt_id": attempt_id,
        "action": action,
        "migration_type": migration_type,
        "filter": filter,
    }
    try:
        audit_event_record(
            **common,
            outcome=AuditEvent.Outcome.REQUESTED,
            migration_id=migration_id,
            estimate=estimate,
        )
    except DatabaseError as exc:
        logger.exception("Could not write the audit event for %s; action refused", action)
        raise AuditUnavailable(action) from exc
    attempt = _Attempt(migration_id=migration_id, estimate=estimate)
    try:
        yield attempt
    except upstream.ApiError as error:
        _record_outcome(
            common,
            outcome=AuditEvent.Outcome.FAILED,
            migration_id=attempt.migration_id,
            estimate=attempt.estimate,
            upstream_status=error.status,
            message=f"{error.service}: {error.message}"
            + (f" - {error.user_message}" if error.user_message else ""),
        )
        upstream_changed()
        raise
    _record_outcome(
        common,
        outcome=AuditEvent.Outcome.SUCCEEDED,
        migration_id=attempt.migration_id,
        estimate=attempt.estimate,
        upstream_status=None,
        message=attempt.message,
    )
    # After the outcome is recorded: lists cached from before the action (the history, and who
    # started each migration) must not be shown after it.
    upstream_changed()


def _record_outcome(common: dict[str, Any], **outcome: Any) -> None:
    try:
        audit_event_record(**common, **outcome)
    except DatabaseError:
        logger.exception("Could not write the outcome audit event for %s", common["action"])


# -- Start, cancel, refresh, purge


@dataclass(frozen=True)
class Started:
    migration_id: str
    estimate: int


def migration_start(
    *,
    user: Any,
    migration_type: MigrationType,
    filter: Mapping[str, Any],
    estimate: int | None = None,
    request_id: str = "",
    client_ip: str | None = None,
) -> Started:
    """Start a migration (M1 for visits). 409 becomes `AlreadyRunning` with the running id."""
    context = AuditContext(user=user, request_id=request_id, client_ip=client_ip)
    client = _migrations(user)
    try:
        with _audited(
            context=context,
            action=AuditEvent.Action.START_MIGRATION,
            migration_type=migration_type,
            filter=filter,
            estimate=estimate,
        ) as attempt:
            started = migration_type.start(client, filter)
            attempt.migration_id = started.migration_id
            attempt.estimate = started.estimated_count
    except upstream.Conflict as conflict:
        raise AlreadyRunning(_running_migration_id(client, migration_type)) from conflict
    return Started(migration_id=started.migration_id, estimate=started.estimated_count)


def _running_migration_id(client: MigrationApiClient, migration_type: MigrationType) -> str | None:
    """The migration that blocked a start, for the "already running" link (best effort)."""
    try:
        active = client.active(migration_type.upstream_type)
    except upstream.ApiError:
        return None
    return active.migration_id if active.in_progress else None


def _audited_call(
    *,
    user: Any,
    action: str,
    migration_type: MigrationType,
    migration_id: str,
    request_id: str,
    client_ip: str | None,
    call: Callable[[MigrationApiClient], None],
) -> None:
    """One upstream action with its "requested" and outcome audit events."""
    context = AuditContext(user=user, request_id=request_id, client_ip=client_ip)
    with _audited(
        context=context, action=action, migration_type=migration_type, migration_id=migration_id
    ):
        call(_migrations(user))


def migration_cancel(
    *,
    user: Any,
    migration_type: MigrationType,
    migration_id: str,
    request_id: str = "",
    client_ip: str | None = None,
) -> None:
    """M6. Views offer it only while STARTED: the upstream itself does not check (§13.2)."""
    _audited_call(
        user=user,
        action=AuditEvent.Action.CANCEL_MIGRATION,
        migration_type=migration_type,
        migration_id=migration_id,
        request_id=request_id,
        client_ip=client_ip,
        call=lambda client: client.cancel(migration_id),
    )


def migration_refresh_counts(
    *,
    user: Any,
    migration_type: MigrationType,
    migration_id: str,
    request_id: str = "",
    client_ip: str | None = None,
) -> None:
    """M7: recount a COMPLETED migration's migrated and failed records."""
    _audited_call(
        user=user,
        action=AuditEvent.Action.REFRESH_COUNTS,
        migration_type=migration_type,
        migration_id=migration_id,
        request_id=request_id,
        client_ip=client_ip,
        call=lambda client: client.refresh(migration_id),
    )


def dead_letters_purge(
    *,
    user: Any,
    migration_type: MigrationType,
    request_id: str = "",
    client_ip: str | None = None,
) -> None:
    """M10: delete every message on the type's dead letter queue."""
    _audited_call(
        user=user,
        action=AuditEvent.Action.PURGE_DEAD_LETTERS,
        migration_type=migration_type,
        migration_id="",
        request_id=request_id,
        client_ip=client_ip,
        call=lambda client: client.purge_dead_letters(migration_type.upstream_type),
    )


# -- Details and progress


def migration_get(*, user: Any, migration_id: str) -> MigrationHistory:
    """M4: one migration; `NotFound` for an unknown id."""
    return _migrations(user).migration(migration_id)


@dataclass(frozen=True)
class Progress:
    """A migration's figures as the details page shows them (reference-dashboard.md §4.7)."""

    migration: MigrationHistory
    running: bool
    migrated: int
    failed: int
    still_to_be_processed: int | None
    being_processed: int | None
    # Records a minute, and when the rest should be done; only while STARTED and moving.
    rate_per_minute: float | None
    estimated_finish: dt.datetime | None

    @property
    def status(self) -> str:
        return self.migration.status

    @property
    def ended(self) -> dt.datetime | None:
        """Shown for every ended status (the existing dashboard showed COMPLETED only)."""
        return self.migration.when_ended if self.migration.status in ENDED_STATUSES else None

    @property
    def can_cancel(self) -> bool:
        return self.migration.status == "STARTED"

    @property
    def can_refresh_counts(self) -> bool:
        return self.migration.status == "COMPLETED"


# The last history row seen of each migration that was in progress. A running migration's id,
# filter, start time and estimate never change, and M5 carries its live status and figures, so
# while it runs (the progress fragment is polled every few seconds) M5 alone is enough.
_running_rows: OrderedDict[str, MigrationHistory] = OrderedDict()
_running_rows_lock = threading.Lock()
_RUNNING_ROWS_KEPT = 64


def _remember_running(migration: MigrationHistory) -> None:
    with _running_rows_lock:
        if migration.in_progress:
            _running_rows[migration.migration_id] = migration
            _running_rows.move_to_end(migration.migration_id)
            while len(_running_rows) > _RUNNING_ROWS_KEPT:
                _running_rows.popitem(last=False)
        else:
            _running_rows.pop(migration.migration_id, None)


def _forget_running(migration_id: str) -> None:
    with _running_rows_lock:
        _running_rows.pop(migration_id, None)


def migration_progress(*, user: Any, migration_type: MigrationType, migration_id: str) -> Progress:
    """M4, plus M5's live figures while the migration is in progress.

    Live figures describe the latest migration of the type only (upstream-api.md §13.6), so they
    are used only when M5 names this migration.
    """
    username = _username(user)
    known = _running_rows.get(migration_id)
    if known is not None:
        live = MigrationApiClient(username=username).active(migration_type.upstream_type)
        if live.migration_id == migration_id and live.status in IN_PROGRESS_STATUSES:
            # M5 reads this migration's own history row: its status is the row's status.
            return _running_progress(replace(known, status=live.status), live)
        # It has ended, or another migration has started since: read its row again.
        _forget_running(migration_id)
    # M5 does not depend on M4's answer, so both are asked at once: the page waits for one round
    # trip, not two. M5's answer is simply not used when the migration has ended.
    live_future = upstream.executor().submit(
        lambda: MigrationApiClient(username=username).active(migration_type.upstream_type)
    )
    migration = MigrationApiClient(username=username).migration(migration_id)
    _remember_running(migration)
    if migration.status in ENDED_STATUSES or not migration.in_progress:
        return Progress(
            migration=migration,
            running=False,
            migrated=migration.records_migrated,
            failed=migration.records_failed,
            still_to_be_processed=None,
            being_processed=None,
            rate_per_minute=None,
            estimated_finish=None,
        )
    return _running_progress(migration, live_future.result())


def _running_progress(migration: MigrationHistory, live: InProgressMigration) -> Progress:
    same = live.migration_id == migration.migration_id
    migrated = (live.records_migrated or 0) if same else 0
    failed = live.records_failed
    rate, finish = _rate_and_finish(migration, migrated, failed)
    return Progress(
        migration=migration,
        running=True,
        migrated=migrated,
        failed=failed,
        still_to_be_processed=live.to_be_processed if same else 0,
        being_processed=live.being_processed if same else 0,
        rate_per_minute=rate,
        estimated_finish=finish,
    )


def _rate_and_finish(
    migration: MigrationHistory, migrated: int, failed: int
) -> tuple[float | None, dt.datetime | None]:
    if migration.status != "STARTED" or migration.when_started is None or migrated <= 0:
        return None, None
    now = london_now()
    minutes = (now - migration.when_started).total_seconds() / 60
    if minutes <= 0:
        return None, None
    rate = migrated / minutes
    remaining = max(migration.estimated_record_count - migrated - failed, 0)
    finish = now + dt.timedelta(minutes=math.ceil(remaining / rate)) if remaining else now
    return rate, finish


# -- Failures


@dataclass(frozen=True)
class Failure:
    message: DlqMessage
    insights_url: str | None


@dataclass(frozen=True)
class Failures:
    found: int
    failures: list[Failure]
    # How many the queue read returned before filtering by migration.
    returned: int


def dead_letters_list(
    *, user: Any, migration_type: MigrationType, migration_id: str | None = None
) -> Failures:
    """M8 (up to 100 messages), optionally only those of one migration."""
    result = _migrations(user).dead_letters(migration_type.upstream_type)
    messages = result.messages
    if migration_id:
        messages = [m for m in messages if m.migration_id == migration_id]
    with_links = "dead_letter" in migration_type.insights_links
    return Failures(
        found=result.messages_found,
        returned=len(result.messages),
        failures=[
            Failure(m, appinsights.dead_letter_url(m.message_id) if with_links else None)
            for m in messages
        ],
    )
