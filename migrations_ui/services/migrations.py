"""Starting, cancelling and recounting migrations of any registered type, audited."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

import upstream
from migrations_ui import wizard
from migrations_ui.clients.migration_api import MigrationApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.services.audit import AuditContext, Subject, audited
from migrations_ui.types.base import MigrationType


class AlreadyRunning(Exception):
    """The migration service refused a start (409): a migration of the type is in progress."""

    def __init__(self, migration_id: str | None) -> None:
        super().__init__(migration_id or "unknown")
        self.migration_id = migration_id


@dataclass(frozen=True)
class Started:
    migration_id: str
    estimate: int


def _client(context: AuditContext) -> MigrationApiClient:
    return MigrationApiClient(username=getattr(context.user, "username", None) or None)


def migration_start(
    *,
    context: AuditContext,
    migration_type: MigrationType,
    filter: Mapping[str, Any],
    estimate: int | None = None,
) -> Started:
    """`POST /migrate/<type>` with the type's body; 409 becomes `AlreadyRunning` with the id.

    A type without a filter (visit slots) is started with no body, as its endpoint expects.
    """
    client = _client(context)
    body = dict(filter) if migration_type.has_filter else None
    try:
        with audited(
            context=context,
            action=AuditEvent.Action.START_MIGRATION,
            subject=Subject.migration(migration_type.upstream_type),
            filter=filter,
            estimate=estimate,
        ) as attempt:
            started = client.start(migration_type.start_path, body)
            attempt.subject = Subject.migration(migration_type.upstream_type, started.migration_id)
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
    context: AuditContext,
    action: str,
    subject: Subject,
    call: Callable[[MigrationApiClient], None],
) -> None:
    """One upstream action with its "requested" and outcome audit events."""
    with audited(context=context, action=action, subject=subject):
        call(_client(context))


def migration_cancel(
    *, context: AuditContext, migration_type: MigrationType, migration_id: str
) -> None:
    """M6. Views offer it only while STARTED: the upstream itself does not check (§13.2)."""
    _audited_call(
        context=context,
        action=AuditEvent.Action.CANCEL_MIGRATION,
        subject=Subject.migration(migration_type.upstream_type, migration_id),
        call=lambda client: client.cancel(migration_id),
    )


def migration_refresh_counts(
    *, context: AuditContext, migration_type: MigrationType, migration_id: str
) -> None:
    """M7: recount a COMPLETED migration's migrated and failed records."""
    _audited_call(
        context=context,
        action=AuditEvent.Action.REFRESH_COUNTS,
        subject=Subject.migration(migration_type.upstream_type, migration_id),
        call=lambda client: client.refresh(migration_id),
    )


def dead_letters_purge(*, context: AuditContext, migration_type: MigrationType) -> None:
    """M10: delete every message on the type's dead letter queue."""
    _audited_call(
        context=context,
        action=AuditEvent.Action.PURGE_DEAD_LETTERS,
        subject=Subject.dead_letter_queue(migration_type.upstream_type),
        call=lambda client: client.purge_dead_letters(migration_type.upstream_type),
    )


# -- Starting from a preview: the preview token's whole life (migrations_ui.wizard keeps it)


@dataclass(frozen=True)
class PreviewStart:
    """What pressing "Start migration" on a preview led to.

    `outcome`: "started"; "already_running" (409: `migration_id` is the one in progress, if
    known); or, for a preview already used (double click, back button, refresh), what its first
    use led to: "repeat_started", "repeat_unknown" (its answer was lost) or "repeat_nothing".
    """

    outcome: str
    migration_id: str | None = None
    estimate: int | None = None


def preview_token_issue(
    *, session: SessionBase, migration_type: MigrationType, filter: Any, estimate: int | None
) -> str:
    """The one-time token the preview page carries, for the filter and estimate it shows."""
    return wizard.issue_token(session, migration_type.slug, estimate=estimate, filter=filter)


def migration_start_from_preview(
    *, context: AuditContext, session: SessionBase, migration_type: MigrationType, token: str
) -> PreviewStart:
    """Start what the preview showed, once: a token is used up by its first submit.

    A repeat waits briefly for the first submit's result and reports it, never starting again.
    The result is recorded whatever happens, so a repeat never waits out a failed first one,
    and a lost answer stays "we do not know" for it too.
    """
    slug = migration_type.slug
    data = wizard.consume_token(slug, token)
    if data is None:
        return _repeated_start(session=session, slug=slug, token=token)
    migration_id: str | None = None
    unknown = False
    try:
        started = migration_start(
            context=context,
            migration_type=migration_type,
            filter=data["filter"],
            estimate=data.get("estimate"),
        )
        migration_id = started.migration_id
    except AlreadyRunning as running:
        return PreviewStart("already_running", migration_id=running.migration_id)
    except upstream.OutcomeUnknown:
        unknown = True
        raise
    finally:
        wizard.record_result(token, migration_id, unknown=unknown)
    wizard.save(
        session,
        slug,
        preview_token=None,
        started={"migration_id": started.migration_id, "estimate": started.estimate},
    )
    return PreviewStart("started", started.migration_id, started.estimate)


def _repeated_start(*, session: SessionBase, slug: str, token: str) -> PreviewStart:
    result = wizard.wait_for_result(session, token)
    if result and result.get("unknown"):
        return PreviewStart("repeat_unknown")
    if result and result.get("migration_id"):
        wizard.save(
            session, slug, started={"migration_id": result["migration_id"], "estimate": None}
        )
        return PreviewStart("repeat_started", migration_id=result["migration_id"])
    return PreviewStart("repeat_nothing")
