"""Access rules for class-based views."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin as DjangoPermissionRequiredMixin
from django.http import HttpRequest

from accounts.permissions import MissingRole, role_needed_for
from accounts.refused import changes_something, refuse_until_signed_in


class PermissionRequiredMixin(DjangoPermissionRequiredMixin):
    """Anonymous users go to sign-in (and come back); signed-in users without it get a 403.

    A form sent once the session has ended is refused, and explained after sign-in, rather than
    becoming a GET of its address after sign-in.

    The 403 page names the role needed, so the user knows what to ask for. There is never a
    redirect for a signed-in user, so no sign-in loop is possible.
    """

    request: HttpRequest

    def handle_no_permission(self) -> Any:
        if self.request.user.is_authenticated:
            permissions = self.get_permission_required()
            missing = [p for p in permissions if not self.request.user.has_perm(p)]
            raise MissingRole(role_needed_for(missing[0]) if missing else None)
        if changes_something(self.request):
            return refuse_until_signed_in(self.request)
        return super().handle_no_permission()
