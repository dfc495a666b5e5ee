"""Existing audit rows get a subject when migration 0003 runs (on PostgreSQL, past the trigger)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("migrations_ui", "0002_audit_review")]
AFTER = [("migrations_ui", "0003_audit_subject")]


def migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_existing_rows_name_their_migration_or_dead_letter_queue_as_subject() -> None:
    migrate(BEFORE)
    try:
        rows = [
            ("START_MIGRATION", "VISITS", ""),
            ("START_MIGRATION", "VISITS", "2024-01-01T10:00:00"),
            ("CANCEL_MIGRATION", "VISITS", "2024-01-01T10:00:00"),
            ("PURGE_DEAD_LETTERS", "VISITS", ""),
        ]
        with connection.cursor() as cursor:
            for action, migration_type, migration_id in rows:
                cursor.execute(
                    "INSERT INTO migrations_ui_auditevent (occurred_at, attempt_id, username, "
                    "display_name, auth_source, action, migration_type, migration_id, outcome, "
                    "message, request_id) VALUES (CURRENT_TIMESTAMP, %s, 'U', '', '', %s, %s, "
                    "%s, 'REQUESTED', '', '')",
                    [str(uuid.uuid4()).replace("-", ""), action, migration_type, migration_id],
                )
    finally:
        migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT action, subject_kind, subject_id FROM migrations_ui_auditevent ORDER BY id"
        )
        migrated = cursor.fetchall()
    assert migrated == [
        ("START_MIGRATION", "MIGRATION", "VISITS"),
        ("START_MIGRATION", "MIGRATION", "VISITS 2024-01-01T10:00:00"),
        ("CANCEL_MIGRATION", "MIGRATION", "VISITS 2024-01-01T10:00:00"),
        ("PURGE_DEAD_LETTERS", "DEAD_LETTER_QUEUE", "VISITS"),
    ]
