"""The NOMIS prisoner API: the counts used as migration estimates, and the activities checks.

Contracts: upstream-api.md §6 (visits) and upstream-api-types.md §4.2 (N1-N6, N10-N16). NOMIS
answers counts in two page shapes: the "classic" Spring `Page` with `totalElements` at the top,
and the newer `PagedModel` with it under `page`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from migrations_ui.clients.base import SystemTokenClient
from upstream import NotFound, path_segment


@dataclass(frozen=True)
class RoomUsageCount:
    """One row of N17: a NOMIS visit room and how many social visits use it."""

    room: str
    count: int


@dataclass(frozen=True)
class ActivityIssue:
    """A row of N13-N16: an activity (and a prisoner's allocation to it) that needs attention."""

    description: str
    course_activity_id: int | None
    offender_no: str = ""
    incentive_level: str = ""
    pay_band_code: str = ""


@dataclass(frozen=True)
class AppointmentCount:
    """A row of N4: how many appointments a prison has of one sub-type, past or future."""

    prison_id: str
    event_sub_type: str
    future: bool
    count: int


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def _number(row: Mapping[str, Any], key: str) -> int | None:
    value = row.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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

    # -- Activities, allocations and appointments (N1-N4, N10, N13-N16)

    def activity_count(self, prison_id: str, course_activity_id: int | None) -> int:
        """N1 `GET /activities/ids?size=1`: active activities with allocated prisoners."""
        response = self.call(
            "GET",
            "/activities/ids",
            params={"prisonId": prison_id, "courseActivityId": course_activity_id, "size": 1},
        )
        return self._total(response, "activity count", paged_model=False)

    def allocation_count(
        self, prison_id: str, course_activity_id: int | None, active_on_date: str | None
    ) -> int:
        """N2 `GET /allocations/ids?size=1`: allocations active on `activeOnDate`."""
        response = self.call(
            "GET",
            "/allocations/ids",
            params={
                "prisonId": prison_id,
                "courseActivityId": course_activity_id,
                "activeOnDate": active_on_date,
                "size": 1,
            },
        )
        return self._total(response, "allocation count", paged_model=False)

    def appointment_count(
        self, prison_ids: list[str], from_date: str | None, to_date: str | None
    ) -> int:
        """N3 `GET /appointments/ids?size=1` (`prisonIds` repeated)."""
        response = self.call(
            "GET",
            "/appointments/ids",
            params={"prisonIds": prison_ids, "fromDate": from_date, "toDate": to_date, "size": 1},
        )
        return self._total(response, "appointment count", paged_model=False)

    def appointment_counts(
        self, prison_ids: list[str], from_date: str | None, to_date: str | None
    ) -> list[AppointmentCount]:
        """N4 `GET /appointments/counts`: appointments per prison, sub-type and future or not."""
        response = self.call(
            "GET",
            "/appointments/counts",
            params={"prisonIds": prison_ids, "fromDate": from_date, "toDate": to_date},
        )
        return [
            AppointmentCount(
                prison_id=_text(row, "prisonId"),
                event_sub_type=_text(row, "eventSubType"),
                future=bool(row.get("future")),
                count=_number(row, "count") or 0,
            )
            for row in self._rows(response, "appointment counts")
        ]

    def incentive_levels(self, prison_id: str) -> list[str]:
        """N10 `GET /prisons/{prisonId}/incentive-levels`: the active levels' codes."""
        response = self.call("GET", f"/prisons/{path_segment(prison_id)}/incentive-levels")
        return [_text(row, "code") for row in self._rows(response, "incentive level list")]

    def suspended_allocations(
        self, prison_id: str, course_activity_id: int | None, active_on_date: str | None
    ) -> list[ActivityIssue]:
        """N13 `GET /allocations/suspended`."""
        return self._activity_issues(
            "/allocations/suspended",
            {"prisonId": prison_id, "courseActivityId": course_activity_id},
            active_on_date,
            "suspended allocations",
        )

    def allocations_missing_pay_bands(
        self, prison_id: str, course_activity_id: int | None, active_on_date: str | None
    ) -> list[ActivityIssue]:
        """N14 `GET /allocations/missing-pay-bands`."""
        return self._activity_issues(
            "/allocations/missing-pay-bands",
            {"prisonId": prison_id, "courseActivityId": course_activity_id},
            active_on_date,
            "allocations missing pay bands",
        )

    def pay_rates_with_unknown_incentive(
        self, prison_id: str, course_activity_id: int | None
    ) -> list[ActivityIssue]:
        """N15 `GET /activities/rates-with-unknown-incentives`."""
        return self._activity_issues(
            "/activities/rates-with-unknown-incentives",
            {"prisonId": prison_id, "courseActivityId": course_activity_id},
            None,
            "pay rates with unknown incentive",
        )

    def activities_without_schedule_rules(
        self, prison_id: str, course_activity_id: int | None
    ) -> list[ActivityIssue]:
        """N16 `GET /activities/without-schedule-rules`."""
        return self._activity_issues(
            "/activities/without-schedule-rules",
            {"prisonId": prison_id, "courseActivityId": course_activity_id},
            None,
            "activities without schedule rules",
        )

    def _activity_issues(
        self, path: str, params: dict[str, Any], active_on_date: str | None, what: str
    ) -> list[ActivityIssue]:
        if active_on_date:
            params = {**params, "activeOnDate": active_on_date}
        response = self.call("GET", path, params=params)
        return [
            ActivityIssue(
                description=_text(row, "courseActivityDescription"),
                course_activity_id=_number(row, "courseActivityId"),
                offender_no=_text(row, "offenderNo"),
                incentive_level=_text(row, "incentiveLevel") or _text(row, "incentiveLevelCode"),
                pay_band_code=_text(row, "payBandCode"),
            )
            for row in self._rows(response, what)
        ]

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
