"""The NOMIS prisoner API: the counts used as migration estimates.

Contracts: upstream-api.md §6 (visits) and upstream-api-types.md §4.2 (N5, N6). NOMIS answers
counts in two page shapes: the "classic" Spring `Page` with `totalElements` at the top, and the
newer `PagedModel` with it under `page`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from migrations_ui.clients.base import SystemTokenClient
from nomis_sync.upstream import NotFound, path_segment


@dataclass(frozen=True)
class RoomUsageCount:
    """One row of N17: a NOMIS visit room and how many social visits use it."""

    room: str
    count: int


class NomisPrisonerApiClient(SystemTokenClient):
    service = "NOMIS prisoner API"
    url_setting = "NOMIS_PRISONER_API_URL"
    timeout_key = "nomisPrisonerApi"

    def visit_count(self, params: Mapping[str, Any]) -> int:
        """`GET /visits/ids?size=1`: `totalElements` of the Spring page, the counting idiom (§2.5).

        It is a heavy query that can time out; callers show the "try again" advice.
        """
        response = self.call("GET", "/visits/ids", params={**params, "page": 0, "size": 1})
        return self._total(response, "visit count", paged_model=False)

    def prisoner_count(self) -> int:
        """N5 `GET /prisoners/ids/all?size=1`: every NOMIS prisoner (classic page)."""
        response = self.call("GET", "/prisoners/ids/all", params={"page": 0, "size": 1})
        return self._total(response, "prisoner count", paged_model=False)

    def time_slot_count(self) -> int:
        """N6 `GET /visits/configuration/time-slots/ids?size=1`: `page.totalElements`."""
        response = self.call(
            "GET", "/visits/configuration/time-slots/ids", params={"page": 0, "size": 1}
        )
        return self._total(response, "time slot count", paged_model=True)

    def room_usage_counts(self, prison_id: str, *, future_only: bool) -> list[RoomUsageCount]:
        """N17 `GET /visits/rooms/usage-count`: social visits per NOMIS room of one prison.

        `futureVisitsOnly=false` counts every visit ever, a slower query (upstream-api.md §6.3).
        """
        response = self.call(
            "GET",
            "/visits/rooms/usage-count",
            params={
                "prisonIds": prison_id,
                "visitTypes": "SCON",
                "futureVisitsOnly": "true" if future_only else "false",
            },
        )
        body = self.json_of(response)
        if not isinstance(body, list):
            raise self.malformed(response, "room usage list")
        rows = []
        for item in body:
            room = item.get("agencyInternalLocationDescription") if isinstance(item, dict) else None
            count = item.get("count") if isinstance(item, dict) else None
            if room is None:
                continue  # visits without a room (upstream-api.md §6.3)
            if not isinstance(room, str) or isinstance(count, bool) or not isinstance(count, int):
                raise self.malformed(response, "room usage list")
            rows.append(RoomUsageCount(room=room, count=count))
        return rows

    # -- Agency switches (N11, N12): whether NOMIS has handed a service over for a prison

    def agency_switch_on(self, service_code: str, prison_id: str) -> bool:
        """N11 `GET /agency-switches/{service}/agency/{prison}`: 204 on, 404 off."""
        try:
            self.call("GET", self._switch_path(service_code, prison_id))
        except NotFound:
            return False
        return True

    def activate_agency(self, service_code: str, prison_id: str) -> None:
        """N12 `POST /agency-switches/{service}/agency/{prison}`: 201, idempotent."""
        self.call("POST", self._switch_path(service_code, prison_id))

    @staticmethod
    def _switch_path(service_code: str, prison_id: str) -> str:
        return f"/agency-switches/{path_segment(service_code)}/agency/{path_segment(prison_id)}"

    # -- Official visits and finance (N7, N8, N9)

    def official_visit_count(
        self,
        *,
        prison_ids: Sequence[str] = (),
        from_date: str | None = None,
        to_date: str | None = None,
    ) -> int:
        """N7 `GET /official-visits/ids?size=1`: `page.totalElements` (PagedModel).

        `prisonIds` repeats, one per prison; none means every prison. Dates are on the visit's
        creation date, sent only when given.
        """
        params = {
            "prisonIds": list(prison_ids),
            "fromDate": from_date,
            "toDate": to_date,
            "page": 0,
            "size": 1,
        }
        response = self.call("GET", "/official-visits/ids", params=params)
        return self._total(response, "official visit count", paged_model=True)

    def prison_balance_ids(self) -> list[str]:
        """N8 `GET /finance/prison/ids`: a bare array of the caseloads that have balances."""
        response = self.call("GET", "/finance/prison/ids")
        body = self.json_of(response)
        if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
            raise self.malformed(response, "prison balance ids")
        return body

    def prisoner_balance_count(self, *, prison_id: str | None = None) -> int:
        """N9 `GET /finance/prisoners/ids?size=1`: `page.totalElements` (PagedModel).

        `prisonId` is sent only when given: a blank value would reach NOMIS as `prisonId=`.
        """
        params = {"prisonId": prison_id or None, "page": 0, "size": 1}
        response = self.call("GET", "/finance/prisoners/ids", params=params)
        return self._total(response, "prisoner balance count", paged_model=True)

    def _total(self, response: requests.Response, what: str, *, paged_model: bool) -> int:
        """The page's total; anything but an integer there (missing, null, text) is malformed."""
        body = self.json_of(response)
        if not isinstance(body, dict):
            raise self.malformed(response, what)
        if paged_model:
            page = body.get("page")
            if not isinstance(page, dict):
                raise self.malformed(response, what)
            body = page
        # A missing or null total would read as "0 to be migrated": malformed, not zero.
        total = body.get("totalElements")
        if isinstance(total, bool) or not isinstance(total, int):
            raise self.malformed(response, what)
        return total
