"""The Activities API (`hmpps-activities-management-api`): the three reads the activities preview
makes about a prison in DPS (upstream-api-types.md §4.3, D1-D3).
"""

from __future__ import annotations

from migrations_ui.clients.base import SystemTokenClient
from upstream import NotFound, path_segment


class ActivitiesApiClient(SystemTokenClient):
    service = "Activities API"
    url_setting = "ACTIVITIES_API_URL"
    timeout_key = "activitiesApi"

    def activities_rolled_out(self, prison_code: str) -> bool:
        """D1 `GET /rollout/{prisonCode}`: `activitiesRolledOut` (an unknown prison is false)."""
        response = self.call("GET", f"/rollout/{path_segment(prison_code)}")
        body = self.json_of(response)
        if not isinstance(body, dict):
            raise self.malformed(response, "rollout plan")
        rolled_out = body.get("activitiesRolledOut")
        if rolled_out is None:
            return False
        if not isinstance(rolled_out, bool):
            raise self.malformed(response, "rollout plan")
        return rolled_out

    def has_pay_bands(self, prison_code: str) -> bool:
        """D2 `GET /prison/{prisonCode}/prison-pay-bands`: whether the list is not empty."""
        response = self.call("GET", f"/prison/{path_segment(prison_code)}/prison-pay-bands")
        body = self.json_of(response)
        if not isinstance(body, list):
            raise self.malformed(response, "pay band list")
        return bool(body)

    def has_regime(self, prison_code: str) -> bool:
        """D3 `GET /prison/prison-regime/{prisonCode}`: 200 slot times exist, 404 none."""
        try:
            response = self.call("GET", f"/prison/prison-regime/{path_segment(prison_code)}")
        except NotFound:
            return False
        body = self.json_of(response)
        if not isinstance(body, list):
            raise self.malformed(response, "prison regime")
        return bool(body)
