"""The dashboard's user, mirrored from HMPPS Auth at every sign-in."""

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

    def __str__(self) -> str:
        return self.display_name or self.username
