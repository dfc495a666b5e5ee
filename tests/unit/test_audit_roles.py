"""The audit log is append-only for the application's own database role (PostgreSQL)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from migrations_ui.models import AuditEvent
from migrations_ui.roles import grant_application_role
from tests.conftest import run_manage
from tests.unit.test_audit_review import make_event
from tests.unit.test_settings import PRODUCTION

pytestmark = pytest.mark.django_db

TABLE = "migrations_ui_auditevent"


@pytest.fixture
def app_role(postgres_url: str) -> Iterator[str]:
    """A role of its own for this test, granted as `manage.py migrate` grants the app's role."""
    role = f"nsd_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    grant_application_role(role=role)
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def as_role(role: str, statement: str, params: list[Any] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(statement, params)


def an_event(**fields: Any) -> AuditEvent:
    return make_event(**{"message": "original", **fields})


@pytest.mark.needs_postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE migrations_ui_auditevent SET message = 'rewritten' WHERE id = %s",
        "DELETE FROM migrations_ui_auditevent WHERE id = %s",
        f"TRUNCATE {TABLE}",
        f"ALTER TABLE {TABLE} DISABLE TRIGGER migrations_ui_auditevent_no_change",
        f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL",
        f"DROP TABLE {TABLE}",
    ],
    ids=["update", "delete", "truncate", "disable trigger", "disable all triggers", "drop"],
)
def test_the_application_role_cannot_change_remove_or_unprotect_audit_events(
    app_role: str, statement: str
) -> None:
    event = an_event()
    params = [event.pk] if "%s" in statement else None
    with pytest.raises(DatabaseError, match=r"permission denied|must be owner"):
        as_role(app_role, statement, params)
    assert AuditEvent.objects.get(pk=event.pk).message == "original"


@pytest.mark.needs_postgres
def test_the_application_role_can_add_and_read_audit_events_and_use_other_tables(
    app_role: str, visits_user
) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {app_role}")
        # What the application itself does: record an event, read the log, sign a user in.
        an_event(message="added")
        assert AuditEvent.objects.filter(message="added").count() == 1
        visits_user.display_name = "Vera V"
        visits_user.save()


@pytest.mark.needs_postgres
def test_migrate_connects_with_the_migrate_url_and_the_app_with_database_url(
    postgres_url: str,
) -> None:
    name = connection.settings_dict["NAME"]
    env = {
        **PRODUCTION,
        # A role that does not exist: only `migrate` must not use it.
        "DATABASE_URL": f"postgres://nsd_no_such_role@127.0.0.1:5432/{name}",
        "DATABASE_MIGRATE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
    }
    script = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['USER'], s.DATABASE_APP_ROLE)"
    )
    result = run_manage("shell", "-c", script, env=env)
    assert result.stdout.strip().splitlines()[-1] == "nsd_no_such_role nsd_no_such_role"
    result = run_manage("migrate", "--plan", env=env)
    assert result.returncode == 0, result.stderr
    assert "No planned migration operations" in result.stdout


def test_every_migrate_grants_the_application_role_afresh() -> None:
    from django.db.models.signals import post_migrate

    from migrations_ui.roles import grant_after_migrate

    assert any(
        receiver() is grant_after_migrate
        for _key, receiver, *_rest in post_migrate.receivers
        if callable(receiver)
    )
