"""The application's database role: everything it needs, but the audit log only to add and read.

Run after every `manage.py migrate` (a post_migrate handler), by the owner of the tables
(DATABASE_MIGRATE_URL), for the role the application connects as (DATABASE_URL's user). The
grants are repeated each time, so tables added by later migrations are covered too. Without a
separate application role (no DATABASE_MIGRATE_URL, or SQLite) this does nothing: the trigger of
migration 0002 still refuses UPDATE and DELETE.

Without UPDATE, DELETE or TRUNCATE on the audit table and without owning it, the application
cannot change or remove an event, empty the table, or disable the trigger (which needs the owner).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections

AUDIT_TABLE = "migrations_ui_auditevent"


def grant_application_role(*, role: str, using: str = "default") -> None:
    """Grant `role` read and write on every table but the audit log, which it may only add to."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not role:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        current_user, schema = cursor.fetchone()
        if role == current_user:
            return
        app, schema = quote(role), quote(schema)
        for statement in (
            f"GRANT USAGE ON SCHEMA {schema} TO {app}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
            # The audit log: insert and select only.
            f"REVOKE ALL ON {quote(AUDIT_TABLE)} FROM {app}",
            f"GRANT SELECT, INSERT ON {quote(AUDIT_TABLE)} TO {app}",
        ):
            cursor.execute(statement)


def grant_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate handler: keep the application role's grants in step with the tables."""
    grant_application_role(role=settings.DATABASE_APP_ROLE, using=using)
