"""Audit actions for activities and room mappings, and the "unknown" outcome of a lost answer."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("migrations_ui", "0003_audit_subject"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("START_MIGRATION", "Start migration"),
                    ("CANCEL_MIGRATION", "Cancel migration"),
                    ("PURGE_DEAD_LETTERS", "Delete failure messages"),
                    ("REFRESH_COUNTS", "Refresh counts"),
                    ("ACTIVATE_PRISON", "Activate prison"),
                    ("END_ACTIVITIES", "End NOMIS activities"),
                    ("MOVE_START_DATE", "Move activity start date"),
                    ("ADD_ROOM_MAPPING", "Add room mapping"),
                    ("DELETE_ROOM_MAPPING", "Delete room mapping"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("REQUESTED", "Requested"),
                    ("SUCCEEDED", "Succeeded"),
                    ("FAILED", "Failed"),
                    ("UNKNOWN", "Unknown"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="subject_kind",
            field=models.CharField(
                choices=[
                    ("MIGRATION", "Migration"),
                    ("DEAD_LETTER_QUEUE", "Dead letter queue"),
                    ("ROOM_MAPPING", "Room mapping"),
                    ("AGENCY_SWITCH", "NOMIS agency switch"),
                ],
                max_length=40,
            ),
        ),
    ]
