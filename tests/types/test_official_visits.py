"""What is particular to Official Visits, in the dashboard and in the sandbox.

The dashboard: its form, its estimate (N7), its ids and filter lines. The sandbox: N7, N22 and
runs by prison and creation date (sandbox/entities/official_visits/). The pages it shares with
every type are covered by tests/unit/test_type_pages.py with EXAMPLE, its run from the start form
to COMPLETED by tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.http import QueryDict

from migrations_ui.types import official_visits
from migrations_ui.types.official_visits.forms import OfficialVisitsMigrationForm
from tests.sandbox.calls import (
    NOMIS,
    assert_conflict,
    dlq_bodies,
    dlq_counts,
    event_names,
    history,
    log_lines,
    mapping_count,
    nomis_get,
    start,
)
from tests.types import Example, Run, paged_model_total
from tests.unit.conftest_visits import nomis_url
from upstream import MalformedResponse

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = official_visits.TYPE


def _mock_checks(requests_mock, estimate: int) -> None:
    requests_mock.get(nomis_url("/official-visits/ids"), json=paged_model_total(estimate))


EXAMPLE = Example(
    form={"prisonIds": " hei, mdi ", "fromDate": "2020-03-23", "toDate": ""},
    mock_checks=_mock_checks,
    start_body={"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23"},
    stored_filter={"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23"},
    filter_text="Prisons: HEI, MDI",
    entity={"visitId": 30001},
    entity_id="30001",
)
RUN = Run("SYSCON_USER", {"prisonIds": "hei", "fromDate": "2024-01-01", "toDate": "2024-03-31"}, 33)


# -- The dashboard


BAD_DATE = {
    "fromDate": "Earliest creation date must be a real date, like 2020-03-23",
    "toDate": "Latest creation date must be a real date, like 2020-03-23",
}


def form(**values: str) -> OfficialVisitsMigrationForm:
    data = QueryDict(mutable=True)
    data.update({"prisonIds": "", "fromDate": "", "toDate": "", **values})
    return OfficialVisitsMigrationForm(data)


def sent_query(requests_mock) -> dict[str, list[str]]:
    # requests-mock's own `qs` lower-cases values; prison codes are compared as sent.
    return parse_qs(urlsplit(requests_mock.last_request.url).query)


def test_prison_codes_are_trimmed_upper_cased_deduplicated_and_sent_as_a_list() -> None:
    bound = form(prisonIds=" hei,  MDI wwi\nhei ", fromDate=" 2020-03-23 ", toDate="2020-03-30")
    assert bound.is_valid()
    assert bound.upstream_filter() == {
        "prisonIds": ["HEI", "MDI", "WWI"],
        "fromDate": "2020-03-23",
        "toDate": "2020-03-30",
    }


def test_blank_fields_are_left_out_so_every_prison_and_date_is_migrated() -> None:
    bound = form(prisonIds="  ,  ")
    assert bound.is_valid()
    # Never `[""]` or empty dates (upstream-api-types.md §6.9).
    assert bound.upstream_filter() == {}


def test_each_date_is_sent_alone_when_only_it_is_given() -> None:
    bound = form(toDate="2020-03-30")
    assert bound.is_valid()
    assert bound.upstream_filter() == {"toDate": "2020-03-30"}


@pytest.mark.parametrize("typed", ["HE", "HEIX", "H1I", "HEI;MDI", "HÉI"])
def test_a_prison_code_that_is_not_3_letters_is_a_govuk_error(typed) -> None:
    bound = form(prisonIds=f"MDI, {typed}")
    assert not bound.is_valid()
    assert bound.error_list() == [
        {"text": "Prison codes must be 3 letters each, like HEI, WWI", "href": "#prisonIds"}
    ]


@pytest.mark.parametrize(
    "typed", ["2020-02-30", "23/03/2020", "20200323", "2020-W13-1", "2020-03-23T10:00", "soon"]
)
@pytest.mark.parametrize("field", ["fromDate", "toDate"])
def test_a_date_that_is_not_a_real_iso_date_is_a_govuk_error(field, typed) -> None:
    bound = form(**{field: typed})
    assert not bound.is_valid()
    assert bound.error_list() == [{"text": BAD_DATE[field], "href": f"#{field}"}]


def test_the_from_date_must_not_be_after_the_to_date() -> None:
    bound = form(fromDate="2020-03-31", toDate="2020-03-30")
    assert not bound.is_valid()
    assert bound.error_list() == [
        {
            "text": "Earliest creation date must be the same as or before the latest creation date",
            "href": "#fromDate",
        }
    ]
    assert form(fromDate="2020-03-30", toDate="2020-03-30").is_valid()


def test_errors_follow_the_page_order() -> None:
    bound = form(prisonIds="X", fromDate="nope", toDate="2020-13-01")
    assert not bound.is_valid()
    assert [e["href"] for e in bound.error_list()] == ["#prisonIds", "#fromDate", "#toDate"]


def test_what_was_typed_is_kept_for_change_links() -> None:
    bound = form(prisonIds=" hei ", fromDate="2020-03-23")
    assert bound.typed_values() == {"prisonIds": "hei", "fromDate": "2020-03-23", "toDate": ""}


def test_the_estimate_asks_nomis_for_the_same_prisons_and_dates(tokens, requests_mock) -> None:
    requests_mock.get(
        nomis_url("/official-visits/ids"),
        json={"content": [{"visitId": 1}], "page": {"size": 1, "number": 0, "totalElements": 1500}},
    )
    body = {"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23", "toDate": "2020-03-30"}
    assert official_visits.estimate("SYSCON_USER", body) == 1500
    assert sent_query(requests_mock) == {
        "prisonIds": ["HEI", "MDI"],
        "fromDate": ["2020-03-23"],
        "toDate": ["2020-03-30"],
        "page": ["0"],
        "size": ["1"],
    }


def test_the_estimate_for_every_prison_sends_no_empty_parameters(tokens, requests_mock) -> None:
    requests_mock.get(
        nomis_url("/official-visits/ids"),
        json={"content": [], "page": {"size": 1, "number": 0, "totalElements": 0}},
    )
    assert official_visits.estimate("SYSCON_USER", {}) == 0
    assert sent_query(requests_mock) == {"page": ["0"], "size": ["1"]}


@pytest.mark.parametrize(
    "body", [{"totalElements": 1500}, {"page": {"totalElements": "1500"}}, [1500], {"page": 1}]
)
def test_a_count_in_another_shape_is_malformed_not_zero(tokens, requests_mock, body) -> None:
    requests_mock.get(nomis_url("/official-visits/ids"), json=body)
    with pytest.raises(MalformedResponse):
        official_visits.estimate("SYSCON_USER", {})


def test_a_failure_is_named_by_its_visit_id() -> None:
    assert TYPE.entity_id_label == "Visit ID"
    assert TYPE.entity_id({"visitId": 30001}) == "30001"


def test_the_already_migrated_link_searches_for_the_line_the_service_logs() -> None:
    assert TYPE.already_migrated_log == "Will not migrate the nomis official visit id="


def test_a_stored_filter_reads_as_prisons_and_creation_dates() -> None:
    lines = TYPE.filter_lines(
        {"prisonIds": ["HEI", "MDI"], "fromDate": "2020-03-23", "toDate": "2020-03-30"}
    )
    assert [(line.label, line.value) for line in lines] == [
        ("Prisons", "HEI, MDI"),
        ("Created from", "23 March 2020"),
        ("Created to", "30 March 2020"),
    ]


def test_a_stored_filter_without_prisons_reads_as_all_and_odd_dates_as_stored() -> None:
    lines = TYPE.filter_lines({"prisonIds": [], "fromDate": "23/03/2020"})
    assert [(line.label, line.value) for line in lines] == [
        ("Prisons", "All"),
        ("Created from", "23/03/2020"),
        ("Created to", ""),
    ]


def test_the_preview_rows_have_their_change_anchors_and_qa_hooks() -> None:
    rows = TYPE.summary({"fromDate": "2020-03-23"})
    assert [(r.key, r.label, r.value, r.qa) for r in rows] == [
        ("prisonIds", "Prison codes", "All prisons", "prison-codes"),
        ("fromDate", "Earliest creation date", "23 March 2020", "created-from"),
        ("toDate", "Latest creation date", "", "created-to"),
    ]


# -- The sandbox


def test_official_visit_ids_are_a_paged_model_filtered_by_prison_and_creation_date(sb, system):
    counted = nomis_get(sb, system, "/official-visits/ids", size=1).json()
    assert counted == {
        "content": [{"visitId": 30001}],
        "page": {"size": 1, "number": 0, "totalElements": 1500, "totalPages": 1500},
    }
    url = f"{sb.url}{NOMIS}/official-visits/ids"
    two = requests.get(f"{url}?prisonIds=MDI&prisonIds=LEI&size=1", headers=system).json()
    assert two["page"]["totalElements"] == 750
    blank = requests.get(f"{url}?prisonIds=&size=1", headers=system).json()
    assert blank["page"]["totalElements"] == 1500  # a blank entry counts as absent
    untrimmed = requests.get(f"{url}?prisonIds=%20MDI&size=1", headers=system).json()
    assert untrimmed["page"]["totalElements"] == 0  # others are not trimmed
    year = nomis_get(sb, system, "/official-visits/ids", fromDate="2024-01-01", toDate="2024-12-31")
    in_2024 = year.json()["page"]["totalElements"]
    assert 400 < in_2024 < 600  # created over about three years
    before = nomis_get(sb, system, "/official-visits/ids", toDate="2023-12-31", size=1).json()
    after = nomis_get(sb, system, "/official-visits/ids", fromDate="2025-01-01", size=1).json()
    assert before["page"]["totalElements"] + in_2024 + after["page"]["totalElements"] == 1500
    last = nomis_get(sb, system, "/official-visits/ids", page=7, size=200).json()
    assert last["content"][-1] == {"visitId": 31500} and len(last["content"]) == 100
    assert nomis_get(sb, system, "/official-visits/ids", fromDate="2024-13-01").status_code == 400
    from_id = nomis_get(sb, system, "/official-visits/ids/all-from-id", visitId=30010, size=3)
    assert from_id.json() == {"ids": [{"visitId": 30011}, {"visitId": 30012}, {"visitId": 30013}]}
    assert requests.get(url).status_code == 401


def test_official_visits_migration_of_one_prison_and_quarter(sb, system):
    body = {"prisonIds": ["HEI"], "fromDate": "2024-01-01", "toDate": "2024-03-31"}
    expected = nomis_get(sb, system, "/official-visits/ids", size=1, **body).json()
    expected = expected["page"]["totalElements"]
    assert 20 < expected < 50
    response = start(sb, system, "official-visits", {**body, "_csrf": "ignored"})
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "OFFICIAL_VISITS" and context["estimatedCount"] == expected
    assert context["body"] == body and context["properties"] == {}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"prisonIds":["HEI"],"fromDate":"2024-01-01","toDate":"2024-03-31"}'
    assert row["recordsMigrated"] == expected and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "official-visits", migration_id) == expected
    names = event_names(sb)
    assert names.count("officialvisits-migration-entity-migrated") == expected
    assert "officialvisits-migration-started" in names
    assert "officialvisits-migration-completed" in names
    # Every prison by default; stored with the empty list.
    everything = start(sb, system, "official-visits", {"fromDate": "", "toDate": None}).json()
    assert everything["estimatedCount"] == 1500 and everything["body"] == {"prisonIds": []}
    sb.wait_for_status(everything["migrationId"], "COMPLETED", timeout=30)
    skipped = log_lines(sb, "Will not migrate the nomis official visit id=")
    assert len(skipped) == expected
    assert start(sb, system, "official-visits", {"fromDate": "23/03/2020"}).status_code == 400


def test_official_visits_failing_visit_lands_on_its_own_dlq(sb, system):
    # Visit 30123 is at BXI, created 2023-03-28; blank prison entries are ignored.
    body = {"prisonIds": ["", "BXI"], "fromDate": "2023-03-01", "toDate": "2023-04-30"}
    context = start(sb, system, "official-visits", body).json()
    estimate = context["estimatedCount"]
    assert estimate > 10 and context["body"]["prisonIds"] == ["", "BXI"]
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == estimate - 1 and row["recordsFailed"] == 1
    assert dlq_counts(sb, system) == {"OFFICIAL_VISITS": 1}
    assert dlq_bodies(sb, system, "OFFICIAL_VISITS") == [{"visitId": 30123}]


def test_official_visits_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "official-visits", {"prisonIds": ["MDI"]}, "OFFICIAL_VISITS")


def test_empty_scenario_has_no_official_visits(sb, system):
    assert sb.reset("empty")["officialVisits"] == 0
    context = start(sb, system, "official-visits", {}).json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
