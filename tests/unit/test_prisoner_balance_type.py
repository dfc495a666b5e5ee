"""What is particular to Prisoner Balance: its form, its estimate (N9), its ids and filter line.

The pages it shares with every type are covered by test_type_pages.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from migrations_ui.types import prison_balance, prisoner_balance
from migrations_ui.types.prisoner_balance import TYPE as PRISONER_BALANCE
from tests.unit.conftest_visits import nomis_url
from upstream import MalformedResponse

PrisonerBalanceMigrationForm = PRISONER_BALANCE.form

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = prisoner_balance.TYPE


def sent_query(requests_mock) -> dict[str, list[str]]:
    # requests-mock's own `qs` lower-cases values; the prison code is compared as sent.
    return parse_qs(urlsplit(requests_mock.last_request.url).query)


def paged_total(total: int) -> dict:
    return {"content": [1234567], "page": {"size": 1, "number": 0, "totalElements": total}}


def test_its_form_is_its_own_not_prison_balances() -> None:
    # The old dashboard shared one session form between the two (upstream-api-types.md §6.8).
    assert TYPE.form is PrisonerBalanceMigrationForm
    assert TYPE.form is not prison_balance.TYPE.form


def test_a_prison_code_is_trimmed_upper_cased_and_sent_alone() -> None:
    bound = PrisonerBalanceMigrationForm({"prisonId": " lei  "})
    assert bound.is_valid()
    assert bound.upstream_filter() == {"prisonId": "LEI"}


def test_no_prison_code_sends_an_empty_body_for_every_prison() -> None:
    bound = PrisonerBalanceMigrationForm({"prisonId": ""})
    assert bound.is_valid()
    assert bound.upstream_filter() == {}


@pytest.mark.parametrize("typed", ["LE", "LEIX", "1EI", "LEI,MDI"])
def test_a_prison_code_that_is_not_3_letters_is_a_govuk_error(typed) -> None:
    bound = PrisonerBalanceMigrationForm({"prisonId": typed})
    assert not bound.is_valid()
    assert bound.error_list() == [
        {"text": "Enter a prison code of 3 letters, like MDI", "href": "#prisonId"}
    ]


def test_the_estimate_for_one_prison_asks_nomis_for_that_prison(tokens, requests_mock) -> None:
    requests_mock.get(nomis_url("/finance/prisoners/ids"), json=paged_total(340))
    assert prisoner_balance.estimate("SYSCON_USER", {"prisonId": "LEI"}) == 340
    assert sent_query(requests_mock) == {"prisonId": ["LEI"], "page": ["0"], "size": ["1"]}


@pytest.mark.parametrize("stored", [{}, {"prisonId": ""}])
def test_the_estimate_for_every_prison_sends_no_prison_id(tokens, requests_mock, stored) -> None:
    requests_mock.get(nomis_url("/finance/prisoners/ids"), json=paged_total(1200))
    assert prisoner_balance.estimate("SYSCON_USER", stored) == 1200
    # Not `prisonId=` (nor a CSRF token or action): upstream-api-types.md §2.9.
    assert sent_query(requests_mock) == {"page": ["0"], "size": ["1"]}


@pytest.mark.parametrize(
    "body", [{"totalElements": 1200}, {"page": {"totalElements": "1200"}}, [1200]]
)
def test_a_count_in_another_shape_is_malformed_not_zero(tokens, requests_mock, body) -> None:
    requests_mock.get(nomis_url("/finance/prisoners/ids"), json=body)
    with pytest.raises(MalformedResponse):
        prisoner_balance.estimate("SYSCON_USER", {})


def test_a_failure_is_named_by_the_bare_root_offender_id_of_its_entity() -> None:
    assert TYPE.entity_id_label == "Root offender ID"
    assert TYPE.entity_id(1234567) == "1234567"
    assert TYPE.entity_id({"prisonerId": 1234567}) == ""
    assert TYPE.entity_id(True) == ""


def test_the_already_migrated_link_searches_for_the_line_the_service_logs() -> None:
    assert TYPE.already_migrated_log == "Will not migrate the nomis root offender id="


@pytest.mark.parametrize(
    "stored,shown", [({"prisonId": "LEI"}, "LEI"), ({"prisonId": ""}, "All"), ({}, "All")]
)
def test_a_stored_filter_reads_as_its_prison_or_all(stored, shown) -> None:
    assert [(line.label, line.value) for line in TYPE.filter_lines(stored)] == [("Prison", shown)]


def test_the_preview_row_has_its_change_anchor_and_qa_hook() -> None:
    [row] = TYPE.summary({"prisonId": "LEI"})
    assert (row.key, row.label, row.value, row.qa) == (
        "prisonId",
        "Prison code",
        "LEI",
        "prison-id",
    )
