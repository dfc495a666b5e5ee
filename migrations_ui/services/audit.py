"""The audit log's writer: "requested" before an upstream call, its outcome after it.

Every action that changes upstream state goes through `audited` (design.md §5). An event names
its **subject**: what was acted on (a migration, a type's dead letter queue, a room mapping), so
actions that are not about one migration can be recorded too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError

import telemetry
import upstream
from kernel.caching import upstream_changed
from migrations_ui.models import AuditEvent

logger = logging.getLogger(__name__)


class AuditUnavailable(Exception):
    """The "requested" audit event could not be written, so the action was not sent."""


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where: the parts of an audit event that come from the request."""

    user: Any
    request_id: str = ""
    client_ip: str | None = None


@dataclass(frozen=True)
class Subject:
    """What an action is done to: a kind (`AuditEvent.SubjectKind`) and an identifier.

    `migration_type` and `migration_id` are filled in when the subject belongs to a migration
    type, so the history and details pages can find their events.
    """

    kind: str
    id: str
    migration_type: str = ""
    migration_id: str = ""

    @classmethod
    def migration(cls, migration_type: str, migration_id: str = "") -> Subject:
        """A migration, or the type itself before a start has given the migration an id."""
        return cls(
            kind=AuditEvent.SubjectKind.MIGRATION,
            id=f"{migration_type} {migration_id}".strip(),
            migration_type=migration_type,
            migration_id=migration_id,
        )

    @classmethod
    def dead_letter_queue(cls, migration_type: str) -> Subject:
        return cls(
            kind=AuditEvent.SubjectKind.DEAD_LETTER_QUEUE,
            id=migration_type,
            migration_type=migration_type,
        )


def audit_event_record(
    *,
    context: AuditContext,
    attempt_id: Any,
    action: str,
    outcome: str,
    subject: Subject,
    filter: Mapping[str, Any] | None = None,
    estimate: int | None = None,
    details: Mapping[str, Any] | None = None,
    upstream_status: int | None = None,
    message: str = "",
) -> AuditEvent:
    """Write one audit event. The only code that writes them."""
    user = context.user
    return AuditEvent.objects.create(
        attempt_id=attempt_id,
        username=getattr(user, "username", "") or "",
        display_name=getattr(user, "display_name", "") or "",
        auth_source=getattr(user, "auth_source", "") or "",
        action=action,
        subject_kind=subject.kind,
        subject_id=subject.id[:200],
        migration_type=subject.migration_type,
        migration_id=subject.migration_id,
        filter=dict(filter) if filter is not None else None,
        estimate=estimate,
        details=dict(details) if details is not None else None,
        outcome=outcome,
        upstream_status=upstream_status,
        message=message[:2000],
        request_id=context.request_id[:64],
        client_ip=context.client_ip,
    )


@dataclass
class Attempt:
    """Filled in by the audited block: what the outcome event should say."""

    subject: Subject
    estimate: int | None = None
    message: str = ""


@contextmanager
def audited(
    *,
    context: AuditContext,
    action: str,
    subject: Subject,
    filter: Mapping[str, Any] | None = None,
    estimate: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> Iterator[Attempt]:
    """Record "requested", run the block (the upstream call), then record the outcome.

    The outcome is SUCCEEDED, FAILED (upstream refused, or the request never left), or UNKNOWN
    (`upstream.OutcomeUnknown`: sent, and the answer lost); upstream errors are re-raised.

    If "requested" cannot be written the block never runs: the action is refused rather than
    performed unrecorded (style.md §10). An outcome that cannot be written is logged; the
    "requested" row already shows the attempt. The block may set `attempt.subject` (a start
    learns its migration id) and `attempt.estimate`.
    """
    common: dict[str, Any] = {
        "context": context,
        "attempt_id": uuid.uuid4(),
        "action": action,
        "filter": filter,
        "details": details,
    }
    try:
        audit_event_record(
            **common, outcome=AuditEvent.Outcome.REQUESTED, subject=subject, estimate=estimate
        )
    except DatabaseError as exc:
        logger.exception("Could not write the audit event for %s; action refused", action)
        raise AuditUnavailable(action) from exc
    attempt = Attempt(subject=subject, estimate=estimate)
    try:
        yield attempt
    except upstream.ApiError as error:
        # Sent but unanswered (or answered unreadably): upstream may have done it, so "failed"
        # would be a guess. UNKNOWN is what the page says too, with where to check.
        unknown = isinstance(error, upstream.OutcomeUnknown)
        _record_outcome(
            common,
            outcome=AuditEvent.Outcome.UNKNOWN if unknown else AuditEvent.Outcome.FAILED,
            subject=attempt.subject,
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
        subject=attempt.subject,
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
    # Every outcome (succeeded or failed), once written, is also an Application Insights event.
    telemetry.track_action(context=common["context"], action=common["action"], **outcome)
