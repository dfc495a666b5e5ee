"""A user's permissions come from their roles, worked out once per set of roles."""

from __future__ import annotations

import pytest
from django.contrib import auth

from accounts.models import User
from accounts.permissions import RolePermissionBackend, role_table
from migrations_ui import types

EVERY_PERMISSION = sorted({p for permissions in role_table().values() for p in permissions})
ROLES = [["ROLE_MIGRATE_NOMIS_SYSCON"], *([role] for role in role_table()), []]


@pytest.mark.parametrize("roles", ROLES, ids=lambda roles: roles[0] if roles else "none")
def test_a_user_has_exactly_the_permissions_the_role_backend_gives(roles) -> None:
    user = User(username="SOMEONE", roles=roles)
    by_backend = RolePermissionBackend().get_all_permissions(user)
    assert {p for p in EVERY_PERMISSION if user.has_perm(p)} == by_backend


def test_permission_checks_do_not_build_the_authentication_backends(monkeypatch) -> None:
    """Django's own has_perm makes a new object of every backend for every check."""
    monkeypatch.setattr(auth, "get_backends", lambda: pytest.fail("backends were built"))
    user = User(username="SYSCON_USER", roles=["ROLE_MIGRATE_NOMIS_SYSCON"])
    assert all(user.has_perm(t.view_permission) for t in types.REGISTERED)


def test_an_inactive_user_has_none_and_a_superuser_every_one() -> None:
    syscon = ["ROLE_MIGRATE_NOMIS_SYSCON"]
    assert not User(username="GONE", roles=syscon, is_active=False).has_perm(EVERY_PERMISSION[0])
    assert User(username="ADMIN", roles=[], is_superuser=True).has_perm("anything.at_all")


def test_a_role_granted_more_at_start_up_is_seen_at_once(settings) -> None:
    user = User(username="AUDITOR", roles=["ROLE_SOME_NEW_ROLE"])
    assert not user.has_perm("migrations_ui.view_audit_log")
    settings.ROLE_PERMISSIONS = {
        **settings.ROLE_PERMISSIONS,
        "SOME_NEW_ROLE": ["migrations_ui.view_audit_log"],
    }
    assert user.has_perm("migrations_ui.view_audit_log")
