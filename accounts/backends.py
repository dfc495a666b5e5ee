"""mozilla-django-oidc adapted to HMPPS Auth (design.md §4).

HMPPS Auth is not a full OpenID Connect provider: it issues no id_token and has no userinfo
endpoint. So the backend exchanges the code itself (at the internal Auth address, client in HTTP
Basic), verifies the **access token** (accounts.tokens), and builds the user from its claims. An
id_token, should one ever arrive, is verified the same way before anything else happens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.clients.hmpps_auth import HmppsAuthClient
from accounts.models import User
from accounts.tokens import TokenRefused, verify_access_token
from kernel import caching
from upstream import ApiError, Unavailable

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/sign-in/callback"
# Signed-in users are read from the cache (Redis) rather than the database on every request,
# and each worker keeps the users it read for a few seconds more, saving the Redis round trip too.
USER_CACHE_SECONDS = 300


def callback_url() -> str:
    """The redirect URI registered with HMPPS Auth: on the public address, not the Host header."""
    return f"{settings.INGRESS_URL}{CALLBACK_PATH}"


@dataclass(frozen=True)
class SignedInToken:
    """What the session keeps about the user's own token (accounts.session)."""

    access_token: str
    expires_at: int


def title_case(name: str) -> str:
    """ "JOHN SMITH-JONES" -> "John Smith-Jones": NOMIS names arrive upper-cased."""
    return " ".join(
        "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        for word in name.split()
    )


def user_from_claims(claims: dict[str, Any], *, auth_source: str | None = None) -> User:
    """Create or update the user named by verified token claims; roles replace the old ones."""
    username = claims.get("user_name")
    if not isinstance(username, str) or not username:
        raise TokenRefused("the token names no user (user_name)")
    authorities = claims.get("authorities") or []
    if not isinstance(authorities, list) or not all(isinstance(a, str) for a in authorities):
        raise TokenRefused("authorities is not a list of roles")
    name = claims.get("name")
    user_model: type[User] = get_user_model()
    values = {
        "username": username,
        "display_name": title_case(name) if isinstance(name, str) and name.strip() else username,
        "auth_source": str(claims.get("auth_source") or auth_source or ""),
        "hmpps_user_id": str(claims.get("user_id") or ""),
    }
    _check_fits(user_model, values)
    user, created = user_model.objects.get_or_create(username=username)
    user.display_name = values["display_name"]
    user.auth_source = values["auth_source"]
    user.hmpps_user_id = values["hmpps_user_id"]
    user.roles = sorted(set(authorities))
    if created:
        user.set_unusable_password()
    user.save()
    return user


def _check_fits(user_model: type[User], values: dict[str, str]) -> None:
    """Refuse claims the user table cannot hold (too long, NUL characters, not a username).

    Without this, PostgreSQL rejects the row mid-sign-in and the user sees a 500; SQLite would
    store it silently. The field's own validators decide, so the rules live in one place.
    """
    for field_name, value in values.items():
        try:
            # Model fields, unlike form fields, leave NUL to the database (PostgreSQL refuses it).
            ProhibitNullCharactersValidator()(value)
            user_model._meta.get_field(field_name).run_validators(value)  # type: ignore[union-attr]
        except ValidationError as exc:
            raise TokenRefused(f"the token's {field_name} does not fit: {exc.messages[0]}") from exc


class HmppsAuthBackend(OIDCAuthenticationBackend):
    """Signs a user in from an HMPPS Auth authorization code; grants no permissions itself."""

    UserModel = User

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to set up. Django builds the session's backend on every request (to load the
        user), and mozilla-django-oidc's __init__ reads seven OIDC settings that this backend
        never uses (it exchanges and verifies the code itself): 23-33 us a request (timeit)."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        """Exchange the code, verify the token, sync the user. Any refusal returns None."""
        self.request = request
        if request is None:
            return None
        code, state = request.GET.get("code"), request.GET.get("state")
        if not code or not state:
            return None
        try:
            with HmppsAuthClient() as client:
                tokens = client.exchange_code(
                    code=code,
                    redirect_uri=callback_url(),
                    code_verifier=kwargs.get("code_verifier"),
                )
            if tokens.id_token:
                verify_access_token(tokens.id_token)
            claims = verify_access_token(tokens.access_token)
            user = user_from_claims(claims, auth_source=tokens.auth_source)
        except Unavailable:
            # Auth is down or slow: the upstream error page says so, rather than blaming the user.
            raise
        except (TokenRefused, ApiError) as refusal:
            logger.warning("Sign-in refused: %s", refusal)
            return None
        user.signed_in_token = SignedInToken(  # type: ignore[attr-defined]
            access_token=tokens.access_token, expires_at=int(claims["exp"])
        )
        return user

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user, from the cache when possible (a Redis read, not a query).

        Every save of a user (each sign-in rewrites the roles) drops the shared copy and this
        worker's; other workers see the change within seconds (kernel.caching.signed_in_users).
        """
        local = caching.signed_in_users.get(user_id)
        if isinstance(local, User):
            return local
        key = user_cache_key(user_id)
        user = cache.get(key)
        if not isinstance(user, User):
            user = super().get_user(user_id)
            if user is None:
                return None
            cache.set(key, user, USER_CACHE_SECONDS)
        caching.signed_in_users.put(user_id, user)
        return user

    # Permissions come from roles (accounts.permissions.RolePermissionBackend) and never from
    # Django's permission tables, which ModelBackend would query on every check.
    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()


def user_cache_key(user_id: Any) -> str:
    return f"signed-in-user:{user_id}"


@receiver(post_save, sender=User, dispatch_uid="accounts.drop_cached_user")
def drop_cached_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    caching.signed_in_users.forget(instance.pk)
    cache.delete(user_cache_key(instance.pk))
