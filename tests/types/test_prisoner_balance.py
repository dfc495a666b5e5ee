"""What is particular to Prisoner Balance, in the dashboard and in the sandbox.

The dashboard: its form, its estimate (N9), its ids and filter line. The sandbox: N9 and runs of
one prison or all (sandbox/entities/prisoner_balance/). The pages it shares with every type are
covered by tests/unit/test_type_pages.py with EXAMPLE, its run from the start form to COMPLETED
by tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from migrations_ui import types
from migrations_ui.types import prisoner_balance
from migrations_ui.types.prisoner_balance import TYPE as PRISONER_BALANCE
from tests.sandbox.calls import (
    NOMIS,
    ZZ_PRISONERS,
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

PrisonerBalanceMigrationForm = PRISONER_BALANCE.form

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = prisoner_balance.TYPE


def _mock_checks(requests_mock, estimate: int) -> None:
    requests_mock.get(nomis_url("/finance/prisoners/ids"), json=paged_model_total(estimate))


EXAMPLE = Example(
    form={"prisonId": " mdi "},
    mock_checks=_mock_checks,
    start_body={"prisonId": "MDI"},
    stored_filter={"prisonId": "LEI"},
    filter_text="Prison: LEI",
    entity=1234567,
    entity_id="1234567",
)
RUN = Run("SYSCON_USER", {"prisonId": "LEI"}, migrated=300)


# -- The dashboard


def sent_query(requests_mock) -> dict[str, list[str]]:
    # requests-mock's own `qs` lower-cases values; the prison code is compared as sent.
    return parse_qs(urlsplit(requests_mock.last_request.url).query)


def paged_total(total: int) -> dict:
    return {"content": [1234567], "page": {"size": 1, "number": 0, "totalElements": total}}


def test_its_form_is_its_own_not_another_types() -> None:
    # The old dashboard shared one session form between the two (upstream-api-types.md §6.8).
    assert TYPE.form is PrisonerBalanceMigrationForm
    assert all(t.form is not TYPE.form for t in types.REGISTERED if t is not TYPE)


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
        {"text": "Prison code must be 3 letters, like MDI", "href": "#prisonId"}
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


# -- The sandbox


def test_prisoner_balance_ids_are_a_paged_model_of_bare_ids_per_prison(sb, system):
    counted = nomis_get(sb, system, "/finance/prisoners/ids", size=1).json()
    assert counted["page"] == {"size": 1, "number": 0, "totalElements": 1200, "totalPages": 1200}
    assert isinstance(counted["content"][0], int)
    url = f"{sb.url}{NOMIS}/finance/prisoners/ids"
    for prison in ("MDI", "LEI", "BXI", "HEI"):
        one = requests.get(url, params={"prisonId": prison, "size": 1}, headers=system).json()
        assert one["page"]["totalElements"] == 300
    two = requests.get(f"{url}?prisonId=MDI&prisonId=LEI&prisonId=&size=1", headers=system)
    assert two.json()["page"]["totalElements"] == 600
    blank = requests.get(f"{url}?prisonId=&_csrf=x&size=1", headers=system).json()
    assert blank["page"]["totalElements"] == 1200
    assert requests.get(url, params={"prisonId": "TRN"}, headers=system).json()["content"] == []
    ids = requests.get(url, params={"size": 2000}, headers=system).json()["content"]
    assert ids == sorted(set(ids)) and len(ids) == 1200
    second = requests.get(url, params={"page": 1, "size": 50}, headers=system).json()
    assert second["content"] == ids[50:100]
    assert requests.get(url).status_code == 401


def test_prisoner_balance_of_one_prison_completes(sb, system):
    response = start(sb, system, "prisoner-balance", {"prisonId": "LEI", "_csrf": "x"})
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "PRISONER_BALANCE" and context["estimatedCount"] == 300
    assert context["body"] == {"prisonId": "LEI"}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"prisonId":"LEI"}'
    assert row["recordsMigrated"] == 300 and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "prisoner-balance", migration_id, paged_model=True) == 300
    names = event_names(sb)
    assert names.count("prisonerbalance-migration-entity-migrated") == 300
    assert "prisonerbalance-migration-completed" in names
    again = start(sb, system, "prisoner-balance", {"prisonId": "LEI"}).json()
    sb.wait_for_status(again["migrationId"], "COMPLETED")
    assert len(log_lines(sb, "Will not migrate the nomis root offender id=")) == 300
    every = start(sb, system, "prisoner-balance", {"prisonId": ""}).json()
    assert every["estimatedCount"] == 1200 and every["body"] == {"prisonId": ""}


def test_prisoner_balance_failures_are_the_zz_prisoners_on_its_own_dlq(sb, system):
    context = start(sb, system, "prisoner-balance", {"prisonId": "MDI"}).json()
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == 295 and row["recordsFailed"] == 5
    assert dlq_counts(sb, system) == {"PRISONER_BALANCE": 5}
    failed = dlq_bodies(sb, system, "PRISONER_BALANCE")
    (whole,) = nomis_get(sb, system, "/prisoners/id-ranges", size=2000).json()
    numbers = {
        p["rootOffenderId"]: p["prisonNumber"]
        for p in nomis_get(sb, system, "/prisoners/ids-in-range", **whole).json()
    }
    assert sorted(numbers[root] for root in failed) == ZZ_PRISONERS


def test_prisoner_balance_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "prisoner-balance", {"prisonId": "BXI"}, "PRISONER_BALANCE")


def test_empty_scenario_has_no_prisoner_balances(sb, system):
    assert sb.reset("empty")["prisonerBalances"] == 0
    context = start(sb, system, "prisoner-balance", {}).json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
