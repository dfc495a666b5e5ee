"""Report the audit log's attempts whose result nobody knows, so someone checks upstream.

Two kinds, listed side by side:

- **missing**: a "requested" event with no outcome row at all (the process stopped mid-call, or
  the database refused the outcome row);
- **unknown**: an UNKNOWN outcome not yet settled (the request was sent, then it timed out or
  the connection dropped, so upstream may have carried it out).

With `--reconcile`, each unknown one is settled where upstream can tell: the dashboard asks it
what happened and appends a follow-up event (services.reconcile), printed beside it.

Exits non-zero when any is left, so a scheduled job or an operator notices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kernel.formatting import datetime_display
from migrations_ui.models import AuditEvent
from migrations_ui.selectors.audit import (
    UNRESOLVED_AFTER,
    audit_outcome_unknown,
    audit_unresolved,
)
from migrations_ui.services.audit import AuditContext
from migrations_ui.services.reconcile import COMMAND_CHECKER, audit_outcome_reconcile


class Command(BaseCommand):
    help = (
        'Check that every "requested" audit event older than N minutes has an outcome, and list '
        "the outcomes recorded as unknown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=int(UNRESOLVED_AFTER.total_seconds() // 60),
            help="Only report attempts at least this old (default 15); younger ones may still run.",
        )
        parser.add_argument(
            "--reconcile",
            action="store_true",
            help="Ask upstream what became of each unknown outcome and record what it says.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes: int = options["older_than_minutes"]
        if minutes < 0:
            raise CommandError("--older-than-minutes must be 0 or more")
        unresolved = list(audit_unresolved(older_than=dt.timedelta(minutes=minutes)))
        unknown = list(audit_outcome_unknown())
        if options["reconcile"]:
            unknown = self._reconcile(unknown)
        if not unresolved:
            self.stdout.write(f"No unresolved audit events older than {minutes} minutes.")
        else:
            self.stdout.write(f"Missing outcome (requested, nothing recorded after {minutes} min):")
            for event in unresolved:
                self.stdout.write(f"  missing  {self._line(event)}")
        if not unknown:
            self.stdout.write("No audit events with an unknown outcome.")
        else:
            self.stdout.write("Unknown outcome (sent, the answer lost: it may have been done):")
            for event in unknown:
                self.stdout.write(f"  unknown  {self._line(event)}  {event.message or '-'}")
        if unresolved or unknown:
            raise CommandError(
                f"{len(unresolved)} requested audit event(s) older than {minutes} minutes have no "
                f"outcome and {len(unknown)} have an unknown outcome: check upstream for what "
                "happened."
            )

    def _reconcile(self, unknown: list[AuditEvent]) -> list[AuditEvent]:
        """Settle what upstream can tell; return the ones still unknown."""
        context = AuditContext(user=COMMAND_CHECKER)
        left = []
        for event in unknown:
            follow_up = audit_outcome_reconcile(context=context, event=event)
            self.stdout.write(
                f"  {follow_up.get_outcome_display().lower():<18}  {self._line(event)}  "
                f"{follow_up.message}"
            )
            if follow_up.outcome == AuditEvent.Outcome.STILL_UNKNOWN:
                left.append(event)
        if unknown:
            self.stdout.write(
                f"Checked {len(unknown)} unknown outcome(s) with upstream: "
                f"{len(unknown) - len(left)} settled, {len(left)} still unknown."
            )
        return left

    @staticmethod
    def _line(event: AuditEvent) -> str:
        who = f"{event.display_name} ({event.username})" if event.display_name else event.username
        return (
            f"{datetime_display(event.occurred_at)}  {who}  {event.action}  "
            f"{event.subject_id or '-'}  migration {event.migration_id or '-'}  "
            f"request {event.request_id or '-'}  attempt {event.attempt_id}"
        )
