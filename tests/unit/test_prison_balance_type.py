"""What is particular to Prison Balance: its form, its estimate (N8), its ids and filter line.

The pages it shares with every type are covered by test_type_pages.py.
"""

from __future__ import annotations

import pytest
from django.http import QueryDict

from migrations_ui.types import prison_balance
from migrations_ui.types.prison_balance import TYPE as PRISON_BALANCE
from tests.unit.conftest_visits import nomis_url
from upstream import MalformedResponse

PrisonBalanceMigrationForm = PRISON_BALANCE.form

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = prison_balance.TYPE


def form(text: str) -> PrisonBalanceMigrationForm:
    return PrisonBalanceMigrationForm(QueryDict(f"prisonId={text}"))


def test_a_prison_code_is_trimmed_upper_cased_and_sent_alone() -> None:
    bound = form("  mdi ")
    assert bound.is_valid()
    # Never the whole session form (CSRF token, action, counts: upstream-api-types.md §6.8).
    assert bound.upstream_filter() == {"prisonId": "MDI"}


def test_no_prison_code_sends_an_empty_body_for_every_prison() -> None:
    bound = form("   ")
    assert bound.is_valid()
    assert bound.upstream_filter() == {}
    assert PrisonBalanceMigrationForm(QueryDict("")).is_valid()


@pytest.mark.parametrize("typed", ["MD", "MDIX", "M1I", "MDI,LEI", "MDI LEI", "*ALL*"])
def test_a_prison_code_that_is_not_3_letters_is_a_govuk_error(typed) -> None:
    bound = PrisonBalanceMigrationForm({"prisonId": typed})
    assert not bound.is_valid()
    assert bound.error_list() == [
        {"text": "Enter a prison code of 3 letters, like MDI", "href": "#prisonId"}
    ]


def test_what_was_typed_is_kept_for_change_links() -> None:
    assert form(" mdi ").typed_values() == {"prisonId": "mdi"}


def test_the_estimate_for_one_prison_is_1_without_asking_nomis(requests_mock) -> None:
    # requests_mock fails any call not mocked: this one makes none.
    assert prison_balance.estimate("SYSCON_USER", {"prisonId": "MDI"}) == 1


def test_the_estimate_for_every_prison_counts_nomis_prison_ids(tokens, requests_mock) -> None:
    ids = requests_mock.get(nomis_url("/finance/prison/ids"), json=["BXI", "LEI", "MDI", "TRN"])
    assert prison_balance.estimate("SYSCON_USER", {}) == 4
    # The old dashboard's stored `{"prisonId": ""}` also means every prison.
    assert prison_balance.estimate("SYSCON_USER", {"prisonId": ""}) == 4
    assert ids.call_count == 2
    assert ids.last_request.query == ""


@pytest.mark.parametrize("body", [{"content": ["MDI"]}, ["MDI", 7], "MDI", None])
def test_prison_ids_in_another_shape_are_malformed_not_zero(tokens, requests_mock, body) -> None:
    requests_mock.get(nomis_url("/finance/prison/ids"), json=body)
    with pytest.raises(MalformedResponse):
        prison_balance.estimate("SYSCON_USER", {})


def test_a_failure_is_named_by_the_bare_prison_code_of_its_entity() -> None:
    assert TYPE.entity_id_label == "Prison"
    assert TYPE.entity_id("MDI") == "MDI"
    assert TYPE.entity_id({"prisonId": "MDI"}) == ""


def test_the_already_migrated_link_searches_for_the_line_the_service_logs() -> None:
    # upstream-api-types.md §5 and §6.6: not the old dashboard's "prison balance" snippet.
    assert TYPE.already_migrated_log == "Will not migrate the nomis id="


@pytest.mark.parametrize(
    "stored,shown", [({"prisonId": "MDI"}, "MDI"), ({"prisonId": ""}, "All"), ({}, "All")]
)
def test_a_stored_filter_reads_as_its_prison_or_all(stored, shown) -> None:
    assert [(line.label, line.value) for line in TYPE.filter_lines(stored)] == [("Prison", shown)]


def test_the_preview_row_has_its_change_anchor_and_qa_hook() -> None:
    [row] = TYPE.summary({})
    assert (row.key, row.label, row.value, row.qa) == (
        "prisonId",
        "Prison code",
        "All prisons",
        "prison-id",
    )
