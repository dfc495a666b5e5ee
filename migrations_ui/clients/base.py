"""What every migrations client shares: a system token per signed-in user, and its one retry.

Every call carries `Authorization: Bearer <system token>` issued for the signed-in user's
username, so upstream audit records the person (reference-dashboard.md §7.5). A 401 means the
cached token was rejected before anything happened upstream, so the token is dropped and the call
is sent once more with a fresh one; this is safe even for a POST.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar

import requests
from django.conf import settings

from upstream import ApiClient, MalformedResponse, Unauthorised


class SystemTokenClient(ApiClient):
    """An `ApiClient` that authenticates as the dashboard's system client on a user's behalf.

    Subclasses set `service`, `url_setting` (the base-URL setting) and `timeout_key` (the
    `UPSTREAM_TIMEOUTS` key). Settings are read when a client is built, never at import, so
    tests can point a client at another address.
    """

    url_setting: ClassVar[str]
    timeout_key: ClassVar[str]

    def __init__(
        self,
        *,
        username: str | None,
        base_url: str | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(
            base_url or getattr(settings, self.url_setting),
            timeout=timeout or settings.UPSTREAM_TIMEOUTS[self.timeout_key],
        )
        self.username = username

    def call(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> requests.Response:
        # Looked up at each call so tests can replace the token source (accounts.system_token).
        tokens = importlib.import_module("accounts.system_token")

        def send(token: str) -> requests.Response:
            with_token = {**(headers or {}), "Authorization": f"Bearer {token}"}
            return super(SystemTokenClient, self).call(method, path, headers=with_token, **options)

        token = tokens.system_token(self.username)
        try:
            return send(token)
        except Unauthorised:
            tokens.drop_system_token(self.username, token)
            return send(tokens.system_token(self.username))

    def malformed(self, response: requests.Response, what: str) -> MalformedResponse:
        """The error for a 2xx body that does not have the shape the contract promises."""
        return self.unreadable(response, f"sent a {what} the dashboard could not read")
