"""factory-boy factories: audit events, and the migration service's payloads for any type.

Payload factories build the JSON the upstream sends (upstream-api.md §4, upstream-api-types.md
§4.1), so tests mock the HTTP boundary with realistic bodies:

    HistoryRowFactory(migrationType="COURT_SENTENCING", status="STARTED")
    InProgressFactory(migrationId="2024-01-01T10:00:00", recordsMigrated=10)
    DlqMessageFactory(type="COURT_SENTENCING", entity={"offenderNo": "A1234BC"})
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import factory

from migrations_ui.models import AuditEvent

_START = dt.datetime(2024, 1, 1, 10, 0, 0)


def _migration_id(n: int) -> str:
    """Second-precision local times, one minute apart (upstream-api.md §2.2)."""
    return (_START + dt.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S")


class HistoryRowFactory(factory.DictFactory):
    """One `MigrationHistory` (M3 list item, M4). `filter` is the stored JSON text."""

    migrationId = factory.Sequence(_migration_id)
    id = factory.SelfAttribute("migrationId")
    isNew = False
    whenStarted = factory.LazyAttribute(lambda o: f"{o.migrationId}.123456")
    whenEnded = factory.LazyAttribute(
        lambda o: None if o.status in ("STARTED", "CANCELLED_REQUESTED") else f"{o.migrationId}.9"
    )
    estimatedRecordCount = 100
    filter = factory.LazyAttribute(lambda o: json.dumps(o.stored_filter))
    recordsMigrated = 0
    recordsFailed = 0
    migrationType = "VISITS"
    status = "COMPLETED"

    class Params:
        # The filter as a mapping; serialised into `filter` as the service stores it.
        stored_filter: dict[str, Any] = {}


class InProgressFactory(factory.DictFactory):
    """M5's live figures for the latest migration of a type (`InProgressMigration`)."""

    recordsMigrated = 40
    toBeProcessedCount = 50
    beingProcessedCount = 10
    recordsFailed = 0
    migrationId = factory.Sequence(_migration_id)
    whenStarted = factory.LazyAttribute(lambda o: f"{o.migrationId}.11")
    estimatedRecordCount = 100
    migrationType = "VISITS"
    status = "STARTED"


class DlqMessageFactory(factory.DictFactory):
    """One dead-letter message (M8) whose `context.body` is a type's entity body."""

    messageId = factory.LazyFunction(lambda: str(uuid.uuid4()))
    body = factory.LazyAttribute(
        lambda o: {
            "type": o.message_type,
            "context": {
                "type": o.type,
                "migrationId": o.migration_id,
                "estimatedCount": 10,
                "properties": {},
                "body": o.entity,
            },
        }
    )

    class Params:
        type = "VISITS"
        migration_id = "2024-01-01T10:00:00"
        message_type = "MIGRATE_ENTITY"
        entity: Any = {"visitId": 1}


def dead_letters(*messages: dict[str, Any]) -> dict[str, Any]:
    """M8's answer around some messages."""
    return {
        "messagesFoundCount": len(messages),
        "messagesReturnedCount": len(messages),
        "messages": list(messages),
    }


class AuditEventFactory(factory.django.DjangoModelFactory):
    """An audit event as the services write them (a migration as the subject by default)."""

    class Meta:
        model = AuditEvent

    attempt_id = factory.LazyFunction(uuid.uuid4)
    username = "VISITS_USER"
    display_name = "Vera Visits"
    auth_source = "nomis"
    action = AuditEvent.Action.START_MIGRATION
    migration_type = "VISITS"
    migration_id = "2024-01-01T10:00:00"
    subject_kind = AuditEvent.SubjectKind.MIGRATION
    subject_id = factory.LazyAttribute(lambda o: f"{o.migration_type} {o.migration_id}".strip())
    outcome = AuditEvent.Outcome.SUCCEEDED
    request_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
