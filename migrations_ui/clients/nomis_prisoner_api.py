"""The NOMIS prisoner API: the visits count used as the migration estimate (upstream-api.md §6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.clients.base import SystemTokenClient


class NomisPrisonerApiClient(SystemTokenClient):
    service = "NOMIS prisoner API"
    url_setting = "NOMIS_PRISONER_API_URL"
    timeout_key = "nomisPrisonerApi"

    def visit_count(self, params: Mapping[str, Any]) -> int:
        """`GET /visits/ids?size=1`: `totalElements` of the Spring page, the counting idiom (§2.5).

        It is a heavy query that can time out; callers show the "try again" advice.
        """
        response = self.call("GET", "/visits/ids", params={**params, "page": 0, "size": 1})
        body = self.json_of(response)
        total = body.get("totalElements", 0) if isinstance(body, dict) else None
        if total is None:
            total = 0
        if isinstance(total, bool) or not isinstance(total, int):
            raise self.malformed(response, "visit count")
        return total
