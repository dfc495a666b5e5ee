"""What is particular to Prison Balance, in the dashboard and in the sandbox.

The dashboard: its form, its estimate (N8), its ids and filter line. The sandbox: N8 and runs of
every caseload or one (sandbox/entities/prison_balance/). The pages it shares with every type
are covered by tests/unit/test_type_pages.py with EXAMPLE, its run from the start form to
COMPLETED by tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

import pytest
import requests
from django.http import QueryDict

from migrations_ui.forms import MigrationFilterForm
from migrations_ui.types import prison_balance
from migrations_ui.types.prison_balance import TYPE as PRISON_BALANCE
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
from tests.types import Example, Run
from tests.unit.conftest_visits import nomis_url
from upstream import MalformedResponse

PrisonBalanceMigrationForm = PRISON_BALANCE.form

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = prison_balance.TYPE


def _mock_checks(requests_mock, estimate: int) -> None:
    # N8 is a bare array of prison ids: the estimate is its length.
    requests_mock.get(nomis_url("/finance/prison/ids"), json=[f"P{n:02}" for n in range(estimate)])


EXAMPLE = Example(
    form={"prisonId": " "},
    mock_checks=_mock_checks,
    start_body={},
    stored_filter={"prisonId": "MDI"},
    filter_text="Prison: MDI",
    entity="MDI",
    entity_id="MDI",
)
RUN = Run("SYSCON_USER", {"prisonId": "mdi"}, migrated=1)


# -- The dashboard


def form(text: str) -> MigrationFilterForm:
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
        {"text": "Prison code must be 3 letters, like MDI", "href": "#prisonId"}
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


# -- The sandbox


def test_prison_ids_are_a_bare_array_of_six_caseloads(sb, system):
    ids = nomis_get(sb, system, "/finance/prison/ids").json()
    assert ids == ["BXI", "CADM", "HEI", "LEI", "MDI", "TRN"]
    assert requests.get(f"{sb.url}{NOMIS}/finance/prison/ids").status_code == 401


def test_prison_balance_of_every_caseload_and_of_one(sb, system):
    form = {"_csrf": "x", "prisonId": "", "action": "startMigration", "estimatedCount": "6"}
    response = start(sb, system, "prison-balance", form)
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "PRISON_BALANCE" and context["estimatedCount"] == 6
    assert context["body"] == {"prisonId": ""} and context["properties"] == {}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"prisonId":""}'
    assert row["recordsMigrated"] == 6 and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "prison-balance", migration_id, paged_model=True) == 6
    names = event_names(sb)
    assert names.count("prisonbalance-migration-entity-migrated") == 6
    assert "prisonbalance-migration-started" in names
    assert "prisonbalance-migration-completed" in names

    one = start(sb, system, "prison-balance", {"prisonId": "MDI"}).json()
    assert one["estimatedCount"] == 1 and one["body"] == {"prisonId": "MDI"}
    sb.wait_for_status(one["migrationId"], "COMPLETED")
    assert history(sb, system, one["migrationId"])["recordsMigrated"] == 0
    assert log_lines(sb, "Will not migrate the nomis id=") == [
        "Will not migrate the nomis id=MDI since it is migrated already"
    ]
    nothing = start(sb, system, "prison-balance", {}).json()
    assert nothing["body"] == {} and nothing["estimatedCount"] == 6
    assert history(sb, system, nothing["migrationId"])["filter"] == "{}"


def test_prison_balance_of_an_unknown_prison_lands_on_its_own_dlq(sb, system):
    context = start(sb, system, "prison-balance", {"prisonId": "XYZ"}).json()
    assert context["estimatedCount"] == 1  # trusted, no NOMIS call
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == 0 and row["recordsFailed"] == 1
    assert dlq_counts(sb, system) == {"PRISON_BALANCE": 1}
    assert dlq_bodies(sb, system, "PRISON_BALANCE") == ["XYZ"]


def test_prison_balance_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "prison-balance", {}, "PRISON_BALANCE")


def test_empty_scenario_has_no_prison_balances(sb, system):
    assert sb.reset("empty")["prisonBalances"] == 0
    assert nomis_get(sb, system, "/finance/prison/ids").json() == []
    context = start(sb, system, "prison-balance", {}).json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
