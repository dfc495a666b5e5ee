"""HMPPS roles -> dashboard permissions: settings.ROLE_PERMISSIONS plus what apps grant at start.

The migration types' permissions come from their registry (`migrations_ui.types`), which grants
them here when the app starts; the rest (the audit log) are in settings.

A user's roles are the `authorities` of their HMPPS Auth token, stored on the user at every sign-in
and session refresh; permissions are derived from them on each check, so a role removed in HMPPS
Auth is gone at the next refresh and nothing is kept in Django's permission tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied
from django.core.signals import setting_changed
from django.dispatch import receiver

from kernel import caching


def normalise_role(role: str) -> str:
    """Roles may be written with or without the `ROLE_` prefix; compare them without it."""
    return role.removeprefix("ROLE_")


# Permissions granted by apps at start-up (role -> permissions), beside settings.ROLE_PERMISSIONS.
_GRANTED: dict[str, set[str]] = {}


def grant(role: str, permissions: Iterable[str]) -> None:
    """Give a role permissions (idempotent, so app reloads do not matter)."""
    _GRANTED.setdefault(normalise_role(role), set()).update(permissions)
    caching.role_permissions.clear()


@receiver(setting_changed)
def _forget_permissions(*, setting: str, **kwargs: Any) -> None:
    """Tests change the table in settings: the permissions worked out from it go too."""
    if setting in ("ROLE_PERMISSIONS", "AUDIT_ROLE"):
        caching.role_permissions.clear()


def role_table() -> dict[str, set[str]]:
    """The whole role -> permissions table: settings' entries merged with the granted ones."""
    table = {role: set(permissions) for role, permissions in _GRANTED.items()}
    for role, permissions in settings.ROLE_PERMISSIONS.items():
        table.setdefault(role, set()).update(permissions)
    return table


def permissions_for_roles(roles: Iterable[str]) -> frozenset[str]:
    """Every permission the roles give, worked out once per set of roles a process sees.

    Home alone checks a permission per tile (13 for SYSCON_USER): merging the role table for each
    check was a tenth of its worker time (bench.profile).
    """
    key = tuple(sorted(roles))
    granted = caching.role_permissions.get(key)
    if granted is None:
        table = role_table()
        granted = frozenset(p for role in key for p in table.get(normalise_role(role), ()))
        caching.role_permissions[key] = granted
    return granted


def role_needed_for(permission: str) -> str | None:
    """The role to ask an administrator for: the narrowest one granting the permission."""
    table = role_table()
    candidates = [role for role, permissions in table.items() if permission in permissions]
    return min(candidates, key=lambda role: len(table[role]), default=None)


class RolePermissionBackend(BaseBackend):
    """Answers `user.has_perm()` from the user's HMPPS roles; authenticates no one itself."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(permissions_for_roles(getattr(user_obj, "roles", None) or ()))


class MissingRole(PermissionDenied):
    """Signed in, but without a role this page needs; the 403 page names the role."""

    def __init__(self, role: str | None) -> None:
        super().__init__(f"Requires role {role}" if role else "Not authorised")
        self.role = role
