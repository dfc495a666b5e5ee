"""The NOMIS prisoner API: how it answers (counts, lists, rows), and the calls several parts share.

Contracts: upstream-api.md §6 (visits) and upstream-api-types.md §4.2. A call only one migration
type makes is written in that type's package, on these primitives (`total`, `rows`, `strings`).
NOMIS answers counts in two page shapes: the "classic" Spring `Page` with `totalElements` at the
top, and the newer `PagedModel` with it under `page`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import requests

from migrations_ui.clients.base import SystemTokenClient
from upstream import NotFound, path_segment


class RoomUsageCount(NamedTuple):
    """One row of N17: a NOMIS visit room and how many social visits use it (a tuple, as
    RoomMapping: hundreds of them make a room table)."""

    room: str
    visits: int


def text_of(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def number_of(row: Mapping[str, Any], key: str) -> int | None:
    value = row.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class NomisPrisonerApiClient(SystemTokenClient):
    service = "NOMIS prisoner API"
    url_setting = "NOMIS_PRISONER_API_URL"
    timeout_key = "nomisPrisonerApi"

    def total(self, path: str, params: Mapping[str, Any], *, what: str, paged_model: bool) -> int:
        """`GET path?size=1` and the page's total: NOMIS's counting idiom (§2.5)."""
        response = self.call("GET", path, params={**params, "size": 1})
        return self._total(response, what, paged_model=paged_model)

    def rows(
        self, path: str, params: Mapping[str, Any] | None, *, what: str
    ) -> list[dict[str, Any]]:
        """`GET path`: a bare JSON array of objects."""
        return self._rows(self.call("GET", path, params=params), what)

    def strings(self, path: str, *, what: str) -> list[str]:
        """`GET path`: a bare JSON array of strings."""
        response = self.call("GET", path)
        body = self.json_of(response)
        if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
            raise self.malformed(response, what)
        return body

    def prisoner_count(self) -> int:
        """N5 `GET /prisoners/ids/all?size=1`: every NOMIS prisoner (classic page)."""
        return self.total(
            "/prisoners/ids/all", {"page": 0}, what="prisoner count", paged_model=False
        )

    def room_usage_counts(self, prison_id: str, *, future_only: bool) -> list[RoomUsageCount]:
        """N17 `GET /visits/rooms/usage-count`: social visits per NOMIS room of one prison.

        `futureVisitsOnly=false` counts every visit ever, a slower query (upstream-api.md §6.3).
        """
        counts = self.room_usage_counts_if_changed(
            prison_id, future_only=future_only, known_body=None
        )[1]
        assert counts is not None  # noqa: S101 (no body given: always decoded)
        return counts

    def room_usage_counts_if_changed(
        self, prison_id: str, *, future_only: bool, known_body: bytes | None
    ) -> tuple[bytes, list[RoomUsageCount] | None]:
        """N17 as `room_usage_counts`, with its body; None for the list when the body is
        `known_body`, which the caller has decoded already (the room table).
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
        if response.content == known_body:
            return response.content, None
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
            rows.append(RoomUsageCount(room, count))
        return response.content, rows

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

    def _rows(self, response: requests.Response, what: str) -> list[dict[str, Any]]:
        """A bare JSON array of objects, or MalformedResponse."""
        body = self.json_of(response)
        if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
            raise self.malformed(response, what)
        return body

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
