"""What is particular to Court Sentencing and Visit Slots: their forms, estimates and words.

The pages they share with every type are covered by test_type_pages.py.
"""

from __future__ import annotations

import pytest
from django.http import QueryDict

from migrations_ui.types import court_sentencing, visit_slots
from migrations_ui.types.court_sentencing.forms import CourtSentencingMigrationForm
from tests.unit.conftest_visits import nomis_url

pytest_plugins = ["tests.unit.conftest_visits"]


def form(text: str) -> CourtSentencingMigrationForm:
    return CourtSentencingMigrationForm(QueryDict(f"offenderNo={text}"))


def test_prisoner_numbers_are_trimmed_upper_cased_deduplicated_and_sent_comma_separated() -> None:
    bound = form(" a1234bc,  B2345CD a1234bc\nc3456de ")
    assert bound.is_valid()
    assert bound.upstream_filter() == {"offenderNo": "A1234BC,B2345CD,C3456DE"}


def test_no_prisoner_numbers_sends_no_filter_at_all() -> None:
    bound = form("  ")
    assert bound.is_valid()
    assert bound.upstream_filter() == {}


@pytest.mark.parametrize("typed", ["A1234B", "1234ABC", "A1234BCD", "A1234BC;DROP", "HEI"])
def test_a_malformed_prisoner_number_is_a_govuk_error(typed) -> None:
    bound = form(f"A1234BC,{typed}")
    assert not bound.is_valid()
    assert bound.error_list() == [
        {
            "text": "Enter prisoner numbers in the correct format, like A1234BC, "
            "separated by commas or spaces",
            "href": "#offenderNo",
        }
    ]


def test_the_form_offers_no_dates_the_service_would_ignore() -> None:
    assert list(CourtSentencingMigrationForm().fields) == ["offenderNo"]


def test_the_estimate_counts_the_prisoners_named_without_asking_nomis(requests_mock) -> None:
    # requests_mock fails any call not mocked: this one makes none.
    assert court_sentencing.estimate("SYSCON_USER", {"offenderNo": "A1234BC,B2345CD"}) == 2


def test_the_estimate_for_every_prisoner_is_nomis_total(tokens, requests_mock) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json={"content": [], "totalElements": 2017})
    assert court_sentencing.estimate("SYSCON_USER", {}) == 2017
    assert requests_mock.last_request.qs == {"page": ["0"], "size": ["1"]}


def test_visit_slots_estimate_reads_the_paged_models_total(tokens, requests_mock) -> None:
    requests_mock.get(
        nomis_url("/visits/configuration/time-slots/ids"),
        json={"content": [{}], "page": {"size": 1, "number": 0, "totalElements": 84}},
    )
    assert visit_slots.estimate("SYSCON_USER", {}) == 84


@pytest.mark.parametrize("body", [{"totalElements": 84}, {"page": "84"}, [84]])
def test_visit_slots_estimate_in_another_shape_is_malformed_not_zero(
    tokens, requests_mock, body
) -> None:
    from upstream import MalformedResponse

    requests_mock.get(nomis_url("/visits/configuration/time-slots/ids"), json=body)
    with pytest.raises(MalformedResponse):
        visit_slots.estimate("SYSCON_USER", {})


def test_court_sentencing_filters_read_as_the_prisoners_named_or_all() -> None:
    lines = court_sentencing.TYPE.filter_lines({"offenderNo": "A1234BC,B2345CD"})
    assert [(line.label, line.value) for line in lines] == [("Prisoners", "A1234BC, B2345CD")]
    assert court_sentencing.TYPE.filter_lines({"deleteExisting": False})[0].value == "All"


def test_court_sentencing_offers_no_already_migrated_link_as_the_service_never_skips() -> None:
    # upstream-api-types.md §5: court sentencing never skips, so no log line to search for.
    assert court_sentencing.TYPE.already_migrated_log is None
    assert visit_slots.TYPE.already_migrated_log == "Will not migrate the nomis visit time slot"
