"""The Django admin: behind HMPPS Auth sign-in, open to audit reviewers, and read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from migrations_ui.models import AuditEvent
from tests.unit.conftest_visits import sign_in

pytestmark = pytest.mark.django_db


def signed_in(roles: list[str]) -> Client:
    user = User.objects.create(username=f"USER_{len(roles)}_{roles[:1]}", roles=roles)
    return sign_in(Client(), user)


def test_the_admin_sends_anonymous_users_to_hmpps_auth_sign_in() -> None:
    response = Client().get("/admin/migrations_ui/auditevent/")
    assert response.status_code == 302
    # Through the admin's login, which hands over to our sign-in with the page asked for.
    follow = Client().get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith("/sign-in?next=")


def test_the_admin_login_never_returns_to_another_site() -> None:
    response = Client().get("/admin/login/?next=//evil.example/")
    assert response["Location"] == "/sign-in?next=%2Fadmin%2F"


def test_audit_reviewers_can_read_the_audit_log_in_the_admin() -> None:
    AuditEvent.objects.create(
        username="VISITS_USER",
        action=AuditEvent.Action.START_MIGRATION,
        migration_type="VISITS",
        outcome=AuditEvent.Outcome.REQUESTED,
    )
    client = signed_in(["ROLE_MIGRATE_NOMIS_SYSCON"])
    response = client.get("/admin/migrations_ui/auditevent/")
    assert response.status_code == 200
    assert "VISITS_USER" in response.content.decode()
    # Read-only: no add, change or delete.
    assert client.get("/admin/migrations_ui/auditevent/add/").status_code == 403
    event = AuditEvent.objects.get()
    page = client.get(f"/admin/migrations_ui/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/migrations_ui/auditevent/{event.pk}/delete/").status_code == 403


def test_users_without_the_audit_permission_get_a_403_naming_the_role_not_a_loop() -> None:
    client = signed_in(["ROLE_MIGRATE_VISITS"])
    response = client.get("/admin/migrations_ui/auditevent/", follow=True)
    assert response.status_code == 403
    assert "NOMIS_SYNC_DASHBOARD__AUDIT__RO" in response.content.decode()
    assert len(response.redirect_chain) <= 1
