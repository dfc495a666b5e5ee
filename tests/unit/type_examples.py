"""One worked example per registered migration type, for the generic page tests.

Each entry gives what the generic tests cannot know: a valid start form, how to mock the type's
estimate and its own pre-flight checks, the start body the service must receive, a stored filter
with the line it shows, and a dead-letter entity with the id the failures page shows. A new type
adds one entry here; its own test module covers only its form and checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from migrations_ui.clients.activities_api import ActivitiesApiClient
from tests.unit.conftest_visits import migration_url, nomis_url


def activities_url(path: str) -> str:
    return ActivitiesApiClient(username=None).url(path)


@dataclass(frozen=True)
class Example:
    form: dict[str, Any]
    # Mocks the estimate (to answer `estimate`) and the type's own checks, with nothing to warn.
    mock_checks: Callable[[Any, int], None]
    # The JSON body the start must send, or None for no body at all.
    start_body: dict[str, Any] | None
    stored_filter: dict[str, Any]
    filter_text: str
    entity: Any
    entity_id: str


def _classic_total(total: int) -> dict[str, Any]:
    return {"content": [], "totalElements": total, "size": 1, "number": 0}


def _visits_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/visits/ids"), json=_classic_total(estimate))
    requests_mock.get(migration_url("/migrate/visits/rooms/usage"), json=[])


def _visit_slots_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(
        nomis_url("/visits/configuration/time-slots/ids"),
        json={"content": [], "page": {"size": 1, "number": 0, "totalElements": estimate}},
    )


def _court_sentencing_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=_classic_total(estimate))


def _core_person_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=_classic_total(estimate))


def _paged_model_total(total: int) -> dict[str, Any]:
    return {"content": [], "page": {"size": 1, "number": 0, "totalElements": total}}


def _official_visits_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/official-visits/ids"), json=_paged_model_total(estimate))


def _prison_balance_checks(requests_mock: Any, estimate: int) -> None:
    # N8 is a bare array of prison ids: the estimate is its length.
    requests_mock.get(nomis_url("/finance/prison/ids"), json=[f"P{n:02}" for n in range(estimate)])


def _prisoner_balance_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/finance/prisoners/ids"), json=_paged_model_total(estimate))


def _taps_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=_classic_total(estimate))


def _activities_checks(requests_mock: Any, estimate: int, prison: str = "MDI") -> None:
    """The estimate and the nine checks of an activities preview, with nothing to warn about."""
    requests_mock.get(nomis_url("/activities/ids"), json=_classic_total(estimate))
    requests_mock.get(
        nomis_url(f"/prisons/{prison}/incentive-levels"),
        json=[{"code": "BAS", "description": "Basic"}, {"code": "STD", "description": "Standard"}],
    )
    requests_mock.get(nomis_url(f"/agency-switches/ACTIVITY/agency/{prison}"), status_code=204)
    requests_mock.get(
        activities_url(f"/rollout/{prison}"),
        json={"prisonCode": prison, "activitiesRolledOut": True, "appointmentsRolledOut": True},
    )
    requests_mock.get(
        activities_url(f"/prison/{prison}/prison-pay-bands"),
        json=[{"id": 1, "displaySequence": 1, "alias": "Low", "nomisPayBand": 1}],
    )
    requests_mock.get(
        activities_url(f"/prison/prison-regime/{prison}"),
        json=[{"id": 1, "prisonCode": prison, "amStart": "08:30", "dayOfWeek": "MONDAY"}],
    )
    for path in (
        "/allocations/suspended",
        "/allocations/missing-pay-bands",
        "/activities/rates-with-unknown-incentives",
        "/activities/without-schedule-rules",
    ):
        requests_mock.get(nomis_url(path), json=[])


def _appointments_checks(requests_mock: Any, estimate: int) -> None:
    requests_mock.get(nomis_url("/appointments/ids"), json=_classic_total(estimate))
    requests_mock.get(
        re.compile(re.escape(nomis_url("/agency-switches/APPOINTMENTS/agency/")) + "[A-Z]{3}$"),
        status_code=204,
    )
    requests_mock.get(nomis_url("/appointments/counts"), json=[])


EXAMPLES: dict[str, Example] = {
    "visits": Example(
        form={"prisonIds": "hei", "visitTypes": ["SCON"]},
        mock_checks=_visits_checks,
        start_body={"prisonIds": ["HEI"], "visitTypes": ["SCON"], "ignoreMissingRoom": False},
        stored_filter={"prisonIds": ["MDI"], "visitTypes": ["SCON"]},
        filter_text="Prisons: MDI",
        entity={"visitId": 7},
        entity_id="7",
    ),
    "visit_slots": Example(
        form={},
        mock_checks=_visit_slots_checks,
        start_body=None,
        stored_filter={},
        filter_text="None",
        entity={"prisonId": "MDI", "dayOfWeek": "MON", "timeSlotSequence": 2},
        entity_id="MDI MON 2",
    ),
    "court_sentencing": Example(
        form={"offenderNo": ""},
        mock_checks=_court_sentencing_checks,
        start_body={},
        stored_filter={"offenderNo": "A1234BC,B2345CD", "deleteExisting": False},
        filter_text="Prisoners: A1234BC, B2345CD",
        entity={"offenderNo": "A1234BC"},
        entity_id="A1234BC",
    ),
    "core_person": Example(
        form={},
        mock_checks=_core_person_checks,
        start_body=None,
        stored_filter={},
        filter_text="None",
        entity={"rootOffenderId": 1234567, "prisonNumber": "A1234BC"},
        entity_id="A1234BC",
    ),
    "official_visits": Example(
        form={"prisonIds": " hei, mdi ", "fromDate": "2020-03-23", "toDate": ""},
        mock_checks=_official_visits_checks,
        start_body={"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23"},
        stored_filter={"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23"},
        filter_text="Prisons: HEI, MDI",
        entity={"visitId": 30001},
        entity_id="30001",
    ),
    "prison_balance": Example(
        form={"prisonId": " "},
        mock_checks=_prison_balance_checks,
        start_body={},
        stored_filter={"prisonId": "MDI"},
        filter_text="Prison: MDI",
        entity="MDI",
        entity_id="MDI",
    ),
    "prisoner_balance": Example(
        form={"prisonId": " mdi "},
        mock_checks=_prisoner_balance_checks,
        start_body={"prisonId": "MDI"},
        stored_filter={"prisonId": "LEI"},
        filter_text="Prison: LEI",
        entity=1234567,
        entity_id="1234567",
    ),
    "taps": Example(
        form={"prisonerNumber": ""},
        mock_checks=_taps_checks,
        start_body={},
        stored_filter={"prisonerNumber": "A1234BC"},
        filter_text="Prisoner: A1234BC",
        entity={"offenderNo": "A1234BC"},
        entity_id="A1234BC",
    ),
    "activities": Example(
        form={"prisonId": "mdi", "activityStartDate": "2099-01-02", "courseActivityId": " 123 "},
        mock_checks=_activities_checks,
        start_body={"prisonId": "MDI", "activityStartDate": "2099-01-02", "courseActivityId": 123},
        stored_filter={"prisonId": "MDI", "activityStartDate": "2099-01-02"},
        filter_text="Prison: MDI",
        entity={"courseActivityId": 123, "activityStartDate": "2099-01-02"},
        entity_id="123",
    ),
    "allocations": Example(
        form={"prisonId": "mdi", "courseActivityId": "", "activityStartDate": "2099-01-02"},
        mock_checks=lambda requests_mock, estimate: requests_mock.get(
            nomis_url("/allocations/ids"), json=_classic_total(estimate)
        ),
        start_body={"prisonId": "MDI", "activityStartDate": "2099-01-02"},
        stored_filter={
            "prisonId": "MDI",
            "courseActivityId": 12,
            "activityStartDate": "2099-01-02",
        },
        filter_text="Course activity ID: 12",
        entity={"allocationId": 98765},
        entity_id="98765",
    ),
    "appointments": Example(
        form={"prisonIds": " hei, mdi ", "fromDate": "2020-03-23", "toDate": ""},
        mock_checks=_appointments_checks,
        start_body={"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23"},
        stored_filter={"fromDate": "2020-03-23", "prisonIds": ["HEI"]},
        filter_text="Prisons: HEI",
        entity={"eventId": 555001},
        entity_id="555001",
    ),
}
