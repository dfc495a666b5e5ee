"""HMPPS Auth client (upstream-api.md §8): the token endpoint and the signing keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from requests.auth import HTTPBasicAuth

from upstream import ApiClient, MalformedResponse


@dataclass(frozen=True)
class TokenResponse:
    """The fields of a token response we use (§8.3); unknown extra fields are ignored."""

    access_token: str
    expires_in: int
    user_name: str | None = None
    auth_source: str | None = None
    id_token: str | None = None


class HmppsAuthClient(ApiClient):
    """Talks to HMPPS Auth at its internal address (`HMPPS_AUTH_URL`, including `/auth`)."""

    service = "HMPPS Auth"
    # Its POSTs ask for a token or a verdict and change nothing: a lost answer is just a failure.
    state_changing_methods: frozenset[str] = frozenset()

    def __init__(self, base_url: str | None = None) -> None:
        super().__init__(
            base_url or settings.HMPPS_AUTH_URL, timeout=settings.UPSTREAM_TIMEOUTS["hmppsAuth"]
        )

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenResponse:
        """`POST /oauth/token` with `grant_type=authorization_code`, as the sign-in client."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        auth = HTTPBasicAuth(settings.AUTH_CODE_CLIENT_ID, settings.AUTH_CODE_CLIENT_SECRET)
        return self._token(form, auth)

    def client_credentials(self, *, username: str | None) -> TokenResponse:
        """`POST /oauth/token` with `grant_type=client_credentials`, as the system client.

        With `username` the token names the signed-in user, so upstream audit records the person.
        """
        form = {"grant_type": "client_credentials"}
        if username:
            form["username"] = username
        auth = HTTPBasicAuth(settings.CLIENT_CREDS_CLIENT_ID, settings.CLIENT_CREDS_CLIENT_SECRET)
        return self._token(form, auth)

    def jwks(self) -> dict[str, Any]:
        """`GET /.well-known/jwks.json`: the RSA keys that sign Auth's tokens (§8.5)."""
        body = self.json_of(self.call("GET", "/.well-known/jwks.json"))
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise MalformedResponse(self.service, "sent a JWKS without keys", url=self.url("jwks"))
        return body

    def _token(self, form: dict[str, str], auth: HTTPBasicAuth) -> TokenResponse:
        response = self.call("POST", "/oauth/token", data=form, auth=auth)
        body = self.json_of(response)
        if not isinstance(body, dict):
            raise MalformedResponse(self.service, "sent a token response that is not an object")
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not isinstance(expires_in, int):
            raise MalformedResponse(self.service, "sent a token response without a token")
        return TokenResponse(
            access_token=token,
            expires_in=expires_in,
            user_name=_optional_str(body.get("user_name")),
            auth_source=_optional_str(body.get("auth_source")),
            id_token=_optional_str(body.get("id_token")),
        )


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
