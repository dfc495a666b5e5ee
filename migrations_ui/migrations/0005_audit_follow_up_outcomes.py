"""The follow-up outcomes of an attempt whose answer was lost, once upstream has been asked."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("migrations_ui", "0004_audit_actions_and_unknown_outcome"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("REQUESTED", "Requested"),
                    ("SUCCEEDED", "Succeeded"),
                    ("FAILED", "Failed"),
                    ("UNKNOWN", "Unknown"),
                    ("CONFIRMED_DONE", "Confirmed done"),
                    ("CONFIRMED_NOT_DONE", "Confirmed not done"),
                    ("STILL_UNKNOWN", "Still unknown"),
                ],
                max_length=20,
            ),
        ),
    ]
