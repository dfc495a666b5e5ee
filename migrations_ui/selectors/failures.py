"""A type's dead letter queue (M8), as its failures page lists it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrations_ui import insights
from migrations_ui.clients.migration_api import DlqMessage, MigrationApiClient
from migrations_ui.selectors import username_of
from migrations_ui.types.base import MigrationType

# What each kind of queue message was doing when it failed (upstream-api.md §5.2). A dead
# letter carries only the message, never the error: that is logged in Application Insights,
# under the message's id (query B).
MESSAGE_KINDS = {
    "MIGRATE_ENTITY": "A record could not be migrated",
    "MIGRATE_BY_PAGE": "A page of ids could not be read from NOMIS, so its records were not queued",
    "MIGRATE_ENTITIES": "The migration could not split its records into pages",
    "MIGRATE_STATUS_CHECK": "A check of whether the migration had finished failed",
    "CANCEL_MIGRATION": "A check of whether the cancel had finished failed",
    "RETRY_MIGRATION_MAPPING": "A record was migrated, but its mapping could not be saved",
}


def message_summary(message_type: str) -> str:
    """What the failed message was doing, in words ("A record could not be migrated")."""
    if message_type in MESSAGE_KINDS:
        return MESSAGE_KINDS[message_type]
    return f"A {message_type} message failed" if message_type else "A message of no type failed"


@dataclass(frozen=True)
class Failure:
    message: DlqMessage
    # The failed record's id as the type names it (visit id, prisoner number, time slot).
    entity_id: str
    insights_url: str

    @property
    def summary(self) -> str:
        return message_summary(self.message.message_type)


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
    result = MigrationApiClient(username=username_of(user)).dead_letters(
        migration_type.upstream_type
    )
    messages = result.messages
    if migration_id:
        messages = [m for m in messages if m.migration_id == migration_id]
    return Failures(
        found=result.messages_found,
        returned=len(result.messages),
        failures=[
            Failure(
                message=m,
                entity_id=migration_type.entity_id(m.entity),
                insights_url=insights.dead_letter_url(m.message_id),
            )
            for m in messages
        ],
    )
