"""Settling actions whose answer was lost: ask upstream what happened, then append what it says.

An attempt audited UNKNOWN (sent, the answer lost) gets a follow-up event with the same
`attempt_id`: CONFIRMED_DONE, CONFIRMED_NOT_DONE or STILL_UNKNOWN, its evidence as the message,
and who checked. The attempt's earlier rows are never changed (the audit log is append-only).
Run from `manage.py audit_verify --reconcile` and the audit event page's "Check what happened".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from kernel.caching import upstream_changed
from kernel.formatting import LONDON
from migrations_ui.models import AuditEvent
from migrations_ui.selectors import username_of
from migrations_ui.selectors.audit import SETTLED
from migrations_ui.selectors.reconcile import Attempt, Finding, attempt_finding, still_unknown
from migrations_ui.services.audit import AuditContext, Subject, audit_event_record

Outcome = AuditEvent.Outcome


@dataclass(frozen=True)
class Checker:
    """Who checks when no person does: the scheduled `audit_verify --reconcile`."""

    username: str
    display_name: str = ""
    auth_source: str = "system"


COMMAND_CHECKER = Checker("audit_verify", "manage.py audit_verify --reconcile")


class NotUnknown(Exception):
    """The event's attempt has no lost answer to settle (or it is settled already)."""


def _too_soon(finding: Finding, unknown: AuditEvent) -> Finding:
    """ "Not done" only once the upstream cannot still be working on the request.

    Within AUDIT_RECONCILE_GRACE_SECONDS of the lost answer, a request that timed out at the
    dashboard may still be running upstream (a start's estimate, say): no trace yet is no proof.
    """
    if finding.outcome != Outcome.CONFIRMED_NOT_DONE:
        return finding
    sure_after = unknown.occurred_at + dt.timedelta(seconds=settings.AUDIT_RECONCILE_GRACE_SECONDS)
    if timezone.now() >= sure_after:
        return finding
    return still_unknown(
        f"{finding.evidence} It is too soon to be sure: check again after "
        f"{sure_after.astimezone(LONDON):%H:%M:%S}."
    )


def audit_outcome_reconcile(*, context: AuditContext, event: AuditEvent) -> AuditEvent:
    """Ask upstream what became of `event`'s attempt, and append the follow-up event.

    `NotUnknown` when the attempt has no UNKNOWN outcome, or one already settled.
    """
    rows = list(
        AuditEvent.objects.filter(attempt_id=event.attempt_id).order_by("occurred_at", "id")
    )
    unknown = next((row for row in rows if row.outcome == Outcome.UNKNOWN), None)
    if unknown is None or any(row.outcome in SETTLED for row in rows):
        raise NotUnknown(str(event.attempt_id))
    requested = next((row for row in rows if row.outcome == Outcome.REQUESTED), unknown)
    finding = _too_soon(
        attempt_finding(Attempt(requested, unknown, username_of(context.user))), unknown
    )
    if finding.migration_id:
        subject = Subject.migration(unknown.migration_type, finding.migration_id)
    else:
        subject = Subject(
            kind=unknown.subject_kind,
            id=unknown.subject_id,
            migration_type=unknown.migration_type,
            migration_id=unknown.migration_id,
        )
    follow_up = audit_event_record(
        context=context,
        attempt_id=unknown.attempt_id,
        action=unknown.action,
        outcome=finding.outcome,
        subject=subject,
        filter=unknown.filter,
        estimate=unknown.estimate,
        details={**(unknown.details or {}), "followUpOf": unknown.pk},
        message=finding.evidence,
    )
    # Pages keep what depends on the audit log until the dashboard acts (who started each
    # migration, a migration's timeline): a confirmed start must show there.
    upstream_changed()
    return follow_up
