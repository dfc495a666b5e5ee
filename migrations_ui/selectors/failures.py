"""A type's dead letter queue (M8), as its failures page lists it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrations_ui import insights
from migrations_ui.clients.migration_api import DlqMessage, MigrationApiClient
from migrations_ui.selectors import username_of
from migrations_ui.types.base import MigrationType


@dataclass(frozen=True)
class Failure:
    message: DlqMessage
    # The failed record's id as the type names it (visit id, prisoner number, time slot).
    entity_id: str
    insights_url: str


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
