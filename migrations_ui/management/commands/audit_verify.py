"""Report "requested" audit events whose outcome was never recorded.

Each is an action that may have reached upstream without its result being written (the process
stopped mid-call, or the database refused the outcome row). Exits non-zero when any is found, so
a scheduled job or an operator notices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from migrations_ui.selectors.audit import audit_unresolved
from nomis_sync.formatting import datetime_display


class Command(BaseCommand):
    help = 'Check that every "requested" audit event older than N minutes has an outcome.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=15,
            help="Only report attempts at least this old (default 15); younger ones may still run.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes: int = options["older_than_minutes"]
        if minutes < 0:
            raise CommandError("--older-than-minutes must be 0 or more")
        unresolved = list(audit_unresolved(older_than=dt.timedelta(minutes=minutes)))
        if not unresolved:
            self.stdout.write(f"No unresolved audit events older than {minutes} minutes.")
            return
        for event in unresolved:
            who = (
                f"{event.display_name} ({event.username})" if event.display_name else event.username
            )
            self.stdout.write(
                f"{datetime_display(event.occurred_at)}  {who}  {event.action}  "
                f"migration {event.migration_id or '-'}  request {event.request_id or '-'}  "
                f"attempt {event.attempt_id}"
            )
        raise CommandError(
            f"{len(unresolved)} requested audit event(s) older than {minutes} minutes have no "
            "outcome: check upstream for what happened."
        )
