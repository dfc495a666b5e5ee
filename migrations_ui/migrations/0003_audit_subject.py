"""Audit events name a subject (what was acted on), not only a migration type.

Existing rows migrate: a purge's subject is its type's dead letter queue, anything else is the
migration ("VISITS 2024-01-01T10:00:00", or the type alone for a start that got no id). On
PostgreSQL the append-only trigger refuses UPDATE, so it is switched off for this one statement,
inside the migration's transaction, and on again.
"""

from django.db import migrations, models

TABLE = "migrations_ui_auditevent"
TRIGGER = "migrations_ui_auditevent_no_change"


def fill_subjects(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    schema_editor.execute(
        f"UPDATE {TABLE} SET "  # noqa: S608 (constant table name, no input)
        "subject_kind = CASE WHEN action = 'PURGE_DEAD_LETTERS' "
        "THEN 'DEAD_LETTER_QUEUE' ELSE 'MIGRATION' END, "
        "subject_id = CASE WHEN action = 'PURGE_DEAD_LETTERS' OR migration_id = '' "
        "THEN migration_type ELSE migration_type || ' ' || migration_id END"
    )
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("migrations_ui", "0002_audit_review"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="subject_kind",
            field=models.CharField(
                choices=[
                    ("MIGRATION", "Migration"),
                    ("DEAD_LETTER_QUEUE", "Dead letter queue"),
                    ("ROOM_MAPPING", "Room mapping"),
                ],
                default="MIGRATION",
                max_length=40,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="subject_id",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="details",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="migration_type",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(fill_subjects, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["subject_kind", "subject_id"], name="audit_subject_idx"),
        ),
    ]
