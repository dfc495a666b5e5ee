"""Token verification API client (upstream-api.md §9)."""

from __future__ import annotations

import logging

from django.conf import settings

from upstream import ApiClient, ApiError

logger = logging.getLogger(__name__)


class TokenVerificationClient(ApiClient):
    service = "Token verification API"
    # Its POSTs ask for a token or a verdict and change nothing: a lost answer is just a failure.
    state_changing_methods: frozenset[str] = frozenset()

    def __init__(self, base_url: str | None = None) -> None:
        super().__init__(
            base_url or settings.TOKEN_VERIFICATION_API_URL,
            timeout=settings.UPSTREAM_TIMEOUTS["tokenVerification"],
        )

    def is_active(self, access_token: str) -> bool:
        """`POST /token/verify` with the user's own token; any error or timeout means inactive."""
        try:
            response = self.call(
                "POST", "/token/verify", headers={"Authorization": f"Bearer {access_token}"}
            )
            body = self.json_of(response)
        except ApiError as error:
            logger.warning("Token verification failed, treating the token as inactive: %s", error)
            return False
        return isinstance(body, dict) and body.get("active") is True
