"""What is particular to Visits, in the dashboard and in the sandbox.

The dashboard: its start form (the generic pages, which visits was the first type to have, are
tests/unit/test_visits_pages.py). The sandbox: the NOMIS visit endpoints, visit and room mappings
and the default scenario's visits (sandbox/entities/visits/; the lifecycle it shares with every
type is tests/sandbox/test_migration.py). The pages it shares with every type are covered by
tests/unit/test_type_pages.py with EXAMPLE.
"""

from __future__ import annotations

from datetime import date

import pytest
import requests
from django.http import QueryDict

from migrations_ui.types.visits.forms import VisitsMigrationForm
from tests.sandbox.calls import (
    MAPPING,
    NOMIS,
)
from tests.sandbox.conftest import user_token
from tests.types import Example, classic_total
from tests.unit.conftest_visits import migration_url, nomis_url

pytest_plugins = ["tests.unit.conftest_visits"]


def _mock_checks(requests_mock, estimate: int) -> None:
    requests_mock.get(nomis_url("/visits/ids"), json=classic_total(estimate))
    requests_mock.get(migration_url("/migrate/visits/rooms/usage"), json=[])


EXAMPLE = Example(
    form={"prisonIds": "hei", "visitTypes": ["SCON"]},
    mock_checks=_mock_checks,
    start_body={"prisonIds": ["HEI"], "visitTypes": ["SCON"], "ignoreMissingRoom": False},
    stored_filter={"prisonIds": ["MDI"], "visitTypes": ["SCON"]},
    filter_text="Prisons: MDI",
    entity={"visitId": 7},
    entity_id="7",
)
# Visits have walk-throughs of their own: tests/integration/test_visits_walkthrough.py and
# tests/browser/test_visits_walkthrough.py.
RUN = None


# -- The dashboard


def form(**data: str | list[str]) -> VisitsMigrationForm:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return VisitsMigrationForm(query)


def test_an_empty_form_asks_for_visit_types_and_prisons_in_the_pages_order() -> None:
    f = form()
    assert not f.is_valid()
    assert f.error_list() == [
        {"text": "Select the visit types", "href": "#visitTypes"},
        {"text": "Enter the prison codes", "href": "#prisonIds"},
    ]


@pytest.mark.parametrize("typed", ["hei, mdi", "HEI MDI", " hei,mdi ,", "HEI,\tMDI, hei"])
def test_prison_codes_are_split_on_commas_or_spaces_and_upper_cased(typed) -> None:
    f = form(prisonIds=typed, visitTypes="SCON")
    assert f.is_valid(), f.errors
    assert f.upstream_filter()["prisonIds"] == ["HEI", "MDI"]


@pytest.mark.parametrize("typed", ["HEIX", "H1", "HE", "HEI; MDI"])
def test_each_prison_code_must_be_three_letters(typed) -> None:
    f = form(prisonIds=typed, visitTypes="SCON")
    assert not f.is_valid()
    assert f.errors["prisonIds"] == ["Prison codes must be 3 letters each, like HEI, WWI"]


def test_a_valid_form_gives_the_upstream_filter() -> None:
    f = form(
        prisonIds="HEI",
        visitTypes=["SCON", "OFFI"],
        fromDateTime="2020-03-23",
        toDateTime="2020-03-24T12",
    )
    assert f.is_valid(), f.errors
    assert f.upstream_filter() == {
        "prisonIds": ["HEI"],
        "visitTypes": ["SCON", "OFFI"],
        "fromDateTime": "2020-03-23T00:00:00",
        "toDateTime": "2020-03-24T12:00:00",
        "ignoreMissingRoom": False,
    }
    # What was typed is kept for "Change".
    assert f.typed_values() == {
        "prisonIds": "HEI",
        "visitTypes": ["SCON", "OFFI"],
        "fromDateTime": "2020-03-23",
        "toDateTime": "2020-03-24T12",
    }


@pytest.mark.parametrize(
    "typed", ["invalid", "124-01-01", "2020-02-30", "1971-67-12", "2020-03-23T25:00"]
)
def test_dates_must_be_real(typed) -> None:
    f = form(prisonIds="HEI", visitTypes="SCON", fromDateTime=typed)
    assert not f.is_valid()
    assert f.errors["fromDateTime"] == [
        "Earliest creation date must be a real date, like 2020-03-23 or 2020-03-23T12:00:00"
    ]


def test_created_after_must_be_before_created_before() -> None:
    f = form(prisonIds="HEI", visitTypes="SCON", fromDateTime="2021-01-01", toDateTime="2020-01-01")
    assert not f.is_valid()
    assert f.errors["fromDateTime"] == [
        "Earliest creation date must be before the latest creation date"
    ]


def test_unknown_visit_types_are_refused() -> None:
    f = form(prisonIds="HEI", visitTypes="XXXX")
    assert not f.is_valid()
    assert f.errors["visitTypes"] == ["Select the visit types"]


# -- The sandbox


PAGE_KEYS = {
    "content",
    "pageable",
    "totalElements",
    "totalPages",
    "size",
    "number",
    "numberOfElements",
    "first",
    "last",
    "empty",
    "sort",
}


def test_visit_ids_paging_filters_and_counting(sb, system):
    url = f"{sb.url}{NOMIS}/visits/ids"
    everything = requests.get(url, params={"size": 1}, headers=system, timeout=5).json()
    assert set(everything) >= PAGE_KEYS
    assert everything["totalElements"] == 10_000 and everything["size"] == 1
    hei = requests.get(
        url, params={"prisonIds": "HEI", "size": 1}, headers=system, timeout=5
    ).json()
    both = requests.get(
        url,
        params=[("prisonIds", "HEI"), ("prisonIds", "MDI"), ("size", "1")],
        headers=system,
        timeout=5,
    ).json()
    mdi = requests.get(
        url, params={"prisonIds": "MDI", "size": 1}, headers=system, timeout=5
    ).json()
    assert both["totalElements"] == hei["totalElements"] + mdi["totalElements"] == 5_500
    social = requests.get(
        url, params={"prisonIds": "HEI", "visitTypes": "SCON", "size": 1}, headers=system
    ).json()
    official = requests.get(
        url, params={"prisonIds": "HEI", "visitTypes": "OFFI", "size": 1}, headers=system
    ).json()
    assert (
        social["totalElements"] + official["totalElements"] == 3_000
        and official["totalElements"] > 0
    )
    dated = requests.get(
        url,
        params={
            "prisonIds": "HEI",
            "fromDateTime": "2021-01-01T00:00:00",
            "toDateTime": "2021-12-31T23:59:59",
        },
        headers=system,
        timeout=5,
    ).json()
    assert 0 < dated["totalElements"] < 3_000
    page = requests.get(
        url, params={"prisonIds": "HEI", "page": 2, "size": 20}, headers=system, timeout=5
    ).json()
    assert (
        page["number"] == 2
        and page["numberOfElements"] == 20
        and not page["first"]
        and not page["last"]
    )
    ids = [c["visitId"] for c in page["content"]]
    assert ids == sorted(ids)  # creation order
    default = requests.get(url, headers=system, timeout=5).json()
    assert default["size"] == 20
    bad = requests.get(
        url, params={"fromDateTime": "202-10-01T09:00:00"}, headers=system, timeout=5
    )
    assert bad.status_code == 400 and bad.json()["status"] == 400


def test_visit_by_id(sb, system):
    ids = requests.get(f"{sb.url}{NOMIS}/visits/ids", params={"size": 1}, headers=system).json()[
        "content"
    ]
    visit = requests.get(
        f"{sb.url}{NOMIS}/visits/{ids[0]['visitId']}", headers=system, timeout=5
    ).json()
    for key in (
        "visitId",
        "offenderNo",
        "prisonId",
        "startDateTime",
        "endDateTime",
        "visitType",
        "visitStatus",
        "visitors",
        "whenCreated",
        "createUserId",
    ):
        assert key in visit
    assert visit["visitType"]["code"] in ("SCON", "OFFI")
    missing = requests.get(f"{sb.url}{NOMIS}/visits/1", headers=system, timeout=5)
    assert missing.status_code == 404 and missing.json()["status"] == 404


def test_rooms_usage_count_counts_future_visits_only_by_default(sb, system):
    url = f"{sb.url}{NOMIS}/visits/rooms/usage-count"
    future = requests.get(
        url, params={"prisonIds": "MDI", "visitTypes": "SCON"}, headers=system, timeout=5
    ).json()
    allv = requests.get(
        url,
        params={"prisonIds": "MDI", "visitTypes": "SCON", "futureVisitsOnly": "false"},
        headers=system,
        timeout=5,
    ).json()
    assert sum(r["count"] for r in future) < sum(r["count"] for r in allv)
    descriptions = [r["agencyInternalLocationDescription"] for r in allv]
    assert descriptions == sorted(descriptions) and "MDI-VISITS-FAMILY ROOM" in descriptions
    assert all(set(r) == {"agencyInternalLocationDescription", "count", "prisonId"} for r in allv)


def test_nomis_roles(sb):
    url = f"{sb.url}{NOMIS}/visits/ids"
    assert requests.get(url, timeout=5).status_code == 401
    forbidden = requests.get(url, headers={"Authorization": f"Bearer {user_token(sb)}"}, timeout=5)
    assert forbidden.status_code == 403 and forbidden.json() == {"status": 403}


def test_visit_mappings_create_get_conflict_count_and_delete(sb, system):
    url = f"{sb.url}{MAPPING}/mapping/visits"
    body = {
        "nomisId": 1,
        "vsipId": "aa-bb-cc-dd",
        "label": "2024-01-01T10:00:00",
        "mappingType": "MIGRATED",
    }
    assert requests.post(url, json=body, headers=system, timeout=5).status_code == 201
    assert requests.post(url, json=body, headers=system, timeout=5).status_code == 201  # idempotent
    clash = requests.post(url, json={**body, "vsipId": "other"}, headers=system, timeout=5)
    assert clash.status_code == 409
    error = clash.json()
    assert error["status"] == "CONFLICT" and error["errorCode"] == 1409
    assert error["userMessage"].startswith("Conflict: ")
    assert error["moreInfo"]["existing"]["vsipId"] == "aa-bb-cc-dd"
    assert error["moreInfo"]["duplicate"]["vsipId"] == "other"
    got = requests.get(f"{url}/nomisId/1", headers=system, timeout=5).json()
    assert (
        got["nomisId"] == 1 and got["vsipId"] == "aa-bb-cc-dd" and got["mappingType"] == "MIGRATED"
    )
    assert (
        requests.get(f"{url}/vsipId/aa-bb-cc-dd", headers=system, timeout=5).json()["nomisId"] == 1
    )
    assert requests.get(f"{url}/nomisId/2", headers=system, timeout=5).status_code == 404
    assert requests.get(f"{url}/migrated/latest", headers=system, timeout=5).json()["nomisId"] == 1
    count = requests.get(
        f"{url}/migration-id/2024-01-01T10%3A00%3A00", params={"size": 1}, headers=system, timeout=5
    ).json()
    assert count["totalElements"] == 1 and count["content"][0]["label"] == "2024-01-01T10:00:00"
    none = requests.get(
        f"{url}/migration-id/1999-01-01T00:00:00", params={"size": 1}, headers=system
    ).json()
    assert none["totalElements"] == 0
    assert requests.post(url, json={"nomisId": "x"}, headers=system, timeout=5).status_code == 400
    assert (
        requests.delete(
            f"{url}/migration-id/2024-01-01T10:00:00", headers=system, timeout=5
        ).status_code
        == 204
    )
    assert requests.get(f"{url}/nomisId/1", headers=system, timeout=5).status_code == 404
    assert (
        requests.delete(url, params={"onlyMigrated": "true"}, headers=system, timeout=5).status_code
        == 204
    )
    assert requests.get(f"{url}/migrated/latest", headers=system, timeout=5).status_code == 404


def test_room_mappings_list_get_create_and_delete(sb, system):
    base = f"{sb.url}{MAPPING}/prison/AKI"
    assert requests.get(f"{base}/room-mappings", headers=system, timeout=5).json() == []
    created = requests.post(
        f"{base}/room-mappings",
        json={
            "vsipId": "Third Sector Room",
            "nomisRoomDescription": "AKI-VISITS-3RD SECTOR",
            "isOpen": "true",
        },
        headers=system,
        timeout=5,
    )
    assert created.status_code == 201
    again = requests.post(
        f"{base}/room-mappings",
        json={"vsipId": "x", "nomisRoomDescription": "AKI-VISITS-3RD SECTOR"},
        headers=system,
        timeout=5,
    )
    assert again.status_code == 400 and again.json()["status"] == 400
    # The mapping service's words (upstream-api-types.md §3, R2).
    assert again.json()["userMessage"] == (
        "Validation failure: Visit room mapping for prison AKI and nomis room = "
        "AKI-VISITS-3RD SECTOR already exists"
    )
    got = requests.get(
        f"{base}/room/nomis-room-id/AKI-VISITS-3RD%20SECTOR", headers=system, timeout=5
    )
    assert got.json() == {
        "vsipId": "Third Sector Room",
        "nomisRoomDescription": "AKI-VISITS-3RD SECTOR",
        "prisonId": "AKI",
        "isOpen": True,
    }
    listed = requests.get(
        f"{sb.url}{MAPPING}/prison/MDI/room-mappings", headers=system, timeout=5
    ).json()
    names = [m["nomisRoomDescription"] for m in listed]
    assert names == sorted(names) and "MDI-VISITS-FAMILY ROOM" not in names
    deleted = requests.delete(
        f"{base}/room-mappings/nomis-room-id/AKI-VISITS-3RD%20SECTOR", headers=system
    )
    assert deleted.status_code == 204
    assert (
        requests.get(
            f"{base}/room/nomis-room-id/AKI-VISITS-3RD%20SECTOR", headers=system
        ).status_code
        == 404
    )


def test_mapping_roles(sb):
    token = user_token(sb)
    url = f"{sb.url}{MAPPING}/prison/MDI/room-mappings"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).json() == {
        "status": 403
    }


def test_scenario_has_future_visits_already_migrated_and_unmapped_rooms(sb, system):
    agi = requests.get(
        f"{sb.url}{NOMIS}/visits/ids", params={"prisonIds": "AGI", "size": 1}, headers=system
    ).json()
    first = agi["content"][0]["visitId"]
    mapped = requests.get(
        f"{sb.url}{MAPPING}/mapping/visits/nomisId/{first}", headers=system, timeout=5
    )
    assert mapped.status_code == 200  # the earliest AGI visits were migrated already
    future = requests.get(
        f"{sb.url}{NOMIS}/visits/rooms/usage-count", headers=system, timeout=5
    ).json()
    assert {r["prisonId"] for r in future} >= {"HEI", "MDI", "BXI", "WWI", "AGI"}
    assert date.today().year >= 2024


def test_empty_scenario_has_no_visits(sb, system):
    # Split from test_queue_names_and_state_summary_per_type (tests/sandbox/test_entities.py).
    assert sb.reset("empty")["visits"] == 0
