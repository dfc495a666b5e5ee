"""Audit review: indexes for the review page's filters, and a PostgreSQL append-only trigger.

Both are database-level only, so Django's model state (models.py, owned by the visits work) is
unchanged. The trigger is the last line of defence behind the model and queryset guards: it
refuses UPDATE and DELETE from any client, including a psql session or a raw query.
"""

from django.db import migrations

TABLE = "migrations_ui_auditevent"

# The page orders by (occurred_at, id) descending: this index serves the order and the LIMIT
# without a sort, with or without a date range. Action and outcome filters (alone they match too
# many rows to need one) get a combined index for the rarer pairs, such as failed cancels.
# Username is filtered with a case-insensitive "contains", which no b-tree index helps; at 100,000
# events its sequential scan takes about 55 ms (see the audit review note).
INDEXES = {
    "audit_occurred_id_idx": f"{TABLE} (occurred_at DESC, id DESC)",
    "audit_action_outcome_idx": f"{TABLE} (action, outcome, occurred_at DESC)",
}

TRIGGER_FUNCTION = "migrations_ui_auditevent_append_only"
TRIGGER = "migrations_ui_auditevent_no_change"


def create_indexes(apps, schema_editor):
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'audit events are append-only: % refused on %', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql
        """,
        params=None,  # the body's "%" are RAISE placeholders, not query parameters
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}()"
    )
    # TRUNCATE is deliberately left alone: it needs the table owner's privilege, never runs from
    # the app, and the test runner's database flush between transactional tests relies on it.


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER_FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("migrations_ui", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
