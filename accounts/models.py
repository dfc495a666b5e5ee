"""The dashboard's user, mirrored from HMPPS Auth at every sign-in."""

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signed in through HMPPS Auth.

    HMPPS Auth is the source of truth: these fields are overwritten from the access token at every
    sign-in and session refresh, so nothing stale survives a change there.
    """

    display_name = models.CharField(max_length=255, blank=True)
    auth_source = models.CharField(max_length=20, blank=True)
    hmpps_user_id = models.CharField(max_length=100, blank=True)
    # The token's `authorities` (["ROLE_MIGRATE_NOMIS_SYSCON"]); permissions are derived from them.
    roles = models.JSONField(default=list, blank=True)

    @property
    def short_name(self) -> str:
        """The header's form of the name: "Jane Smith" -> "J. Smith"."""
        parts = (self.display_name or self.username).split()
        if len(parts) < 2:
            return " ".join(parts)
        return f"{parts[0][0].upper()}. {parts[-1]}"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """From the user's roles, as accounts.permissions.RolePermissionBackend answers it.

        Django's own asks every authentication backend in turn, making a new one of each for every
        check: with 13 tiles on home, that was a tenth of its worker time (bench.profile). Roles
        are the only source of permissions here (the HMPPS Auth backend grants none), so the
        answer is the same.
        """
        from accounts.permissions import permissions_for_roles

        if not self.is_active or obj is not None:
            return False
        return self.is_superuser or perm in permissions_for_roles(self.roles or ())

    def __str__(self) -> str:
        return self.display_name or self.username
