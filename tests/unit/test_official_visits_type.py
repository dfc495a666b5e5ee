"""What is particular to Official Visits: its form, its estimate (N7), its ids and filter lines.

The pages it shares with every type are covered by test_type_pages.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict

from migrations_ui.types import official_visits
from migrations_ui.types.official_visits.forms import OfficialVisitsMigrationForm
from tests.unit.conftest_visits import nomis_url
from upstream import MalformedResponse

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = official_visits.TYPE
BAD_DATE = "Enter a real date, like 2020-03-23"


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
        {"text": "Enter prison codes of 3 letters, like HEI or HEI, MDI", "href": "#prisonIds"}
    ]


@pytest.mark.parametrize(
    "typed", ["2020-02-30", "23/03/2020", "20200323", "2020-W13-1", "2020-03-23T10:00", "soon"]
)
@pytest.mark.parametrize("field", ["fromDate", "toDate"])
def test_a_date_that_is_not_a_real_iso_date_is_a_govuk_error(field, typed) -> None:
    bound = form(**{field: typed})
    assert not bound.is_valid()
    assert bound.error_list() == [{"text": BAD_DATE, "href": f"#{field}"}]


def test_the_from_date_must_not_be_after_the_to_date() -> None:
    bound = form(fromDate="2020-03-31", toDate="2020-03-30")
    assert not bound.is_valid()
    assert bound.error_list() == [
        {
            "text": "The created on or after date must be the same as or before the created on "
            "or before date",
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
        ("fromDate", "Created on or after date", "23 March 2020", "created-from"),
        ("toDate", "Created on or before date", "", "created-to"),
    ]
