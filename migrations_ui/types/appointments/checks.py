"""The appointments preview's checks (upstream-api-types.md §2.3): the estimate, each prison's
NOMIS switch and the appointment counts, side by side; every failure is shown (fixes §6.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import upstream
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient, number_of, text_of
from migrations_ui.types.base import Check

SWITCH_SERVICE = "APPOINTMENTS"

# The per-prison switch checks run inside one preview check, itself on the shared upstream pool;
# a pool of their own means they never wait for a worker that is waiting for them.
_SWITCHES = upstream.ContextThreadPoolExecutor(
    max_workers=8, thread_name_prefix="appointment-switches"
)


@dataclass(frozen=True)
class PrisonSwitch:
    """One prison's NOMIS `APPOINTMENTS` switch: on, off, or the failure that hid the answer."""

    prison_id: str
    on: bool | None
    error: upstream.ApiError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def problem(self) -> str:
        from migrations_ui.selectors.preview import describe_failure

        return describe_failure(self.error) if self.error else ""


def _query(filter: Mapping[str, Any]) -> dict[str, Any]:
    """The prisons (repeated) and the dates, only when given."""
    return {
        "prisonIds": list(filter["prisonIds"]),
        "fromDate": filter.get("fromDate"),
        "toDate": filter.get("toDate"),
    }


def estimate(username: str | None, filter: Mapping[str, Any]) -> int:
    """N3 `GET /appointments/ids?size=1`'s `totalElements` (classic page)."""
    return NomisPrisonerApiClient(username=username).total(
        "/appointments/ids", _query(filter), what="appointment count", paged_model=False
    )


def _switch(username: str | None, prison_id: str) -> PrisonSwitch:
    try:
        on = NomisPrisonerApiClient(username=username).agency_switch_on(SWITCH_SERVICE, prison_id)
    except upstream.ApiError as error:
        return PrisonSwitch(prison_id, None, error)
    return PrisonSwitch(prison_id, on)


def switches(username: str | None, filter: Mapping[str, Any]) -> list[PrisonSwitch]:
    """N11 for each prison, side by side; each prison's answer or failure of its own."""
    futures = [_SWITCHES.submit(_switch, username, prison) for prison in filter["prisonIds"]]
    return [future.result() for future in futures]


def counts(username: str | None, filter: Mapping[str, Any]) -> str:
    """N4 `GET /appointments/counts` (appointments per prison, sub-type and future or not) as the
    copyable CSV block: its header, then one sorted line per row.
    """
    rows = NomisPrisonerApiClient(username=username).rows(
        "/appointments/counts", _query(filter), what="appointment counts"
    )
    lines = sorted(
        f"{text_of(row, 'prisonId')}, {text_of(row, 'eventSubType')}, "
        f"{str(bool(row.get('future'))).lower()}, {number_of(row, 'count') or 0},"
        for row in rows
    )
    return "\n".join(["Prison, Event Sub Type, Future appointment?, Count,", *lines])


CHECKS: dict[str, Check] = {"switches": switches, "counts": counts}

# The check whose answer is the preview's copyable CSV block, also a download.
CSV_CHECKS = ("counts",)
