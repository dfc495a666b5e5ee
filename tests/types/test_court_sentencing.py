"""What is particular to Court Sentencing, in the dashboard and in the sandbox.

The dashboard: its form, its estimate (N5) and filter lines. The sandbox: N5, runs of listed
prisoners or everyone, and its user (sandbox/entities/court_sentencing/). The pages it shares
with every type are covered by tests/unit/test_type_pages.py with EXAMPLE, its run from the start
form to COMPLETED by tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import jwt
import pytest
import requests
from django.http import QueryDict

from migrations_ui.types import court_sentencing
from migrations_ui.types.court_sentencing.forms import CourtSentencingMigrationForm
from tests.sandbox.calls import API, MAPPING, NOMIS, active, dlq_count, event_names, history, start
from tests.sandbox.conftest import user_token
from tests.types import Example, Run, classic_total
from tests.unit.conftest_visits import nomis_url

pytest_plugins = ["tests.unit.conftest_visits"]


def _mock_checks(requests_mock, estimate: int) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=classic_total(estimate))


EXAMPLE = Example(
    form={"offenderNo": ""},
    mock_checks=_mock_checks,
    start_body={},
    stored_filter={"offenderNo": "A1234BC,B2345CD", "deleteExisting": False},
    filter_text="Prisoners: A1234BC, B2345CD",
    entity={"offenderNo": "A1234BC"},
    entity_id="A1234BC",
)
RUN = Run("SENTENCING_USER", {"offenderNo": "B7718YJ, A1404ZZ"}, 1, 1)


# -- The dashboard


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
            "text": "Prisoner numbers must each be a letter, 4 numbers and 2 letters, like "
            "A1234BC, B2345CD",
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


def test_court_sentencing_filters_read_as_the_prisoners_named_or_all() -> None:
    lines = court_sentencing.TYPE.filter_lines({"offenderNo": "A1234BC,B2345CD"})
    assert [(line.label, line.value) for line in lines] == [("Prisoners", "A1234BC, B2345CD")]
    assert court_sentencing.TYPE.filter_lines({"deleteExisting": False})[0].value == "All"


def test_court_sentencing_offers_no_already_migrated_link_as_the_service_never_skips() -> None:
    # upstream-api-types.md §5: court sentencing never skips, so no log line to search for.
    assert court_sentencing.TYPE.already_migrated_log is None


# -- The sandbox


def test_prisoner_ids_are_a_classic_page_of_about_2000_prisoners(sb, system):
    url = f"{sb.url}{NOMIS}/prisoners/ids/all"
    first = requests.get(url, headers=system).json()
    assert first["size"] == 10 and len(first["content"]) == 10  # the default page size
    assert first["totalElements"] == 2000 and first["totalPages"] == 200
    every = requests.get(url, params={"size": 2000, "sort": "x"}, headers=system).json()["content"]
    numbers = [p["offenderNo"] for p in every]
    assert len(set(numbers)) == 2000
    assert all(re.fullmatch(r"[A-Z]\d{4}[A-Z]{2}", n) for n in numbers)
    second = requests.get(url, params={"page": 1, "size": 10}, headers=system).json()
    assert [p["offenderNo"] for p in second["content"]] == numbers[10:20]
    assert requests.get(url).status_code == 401


def test_court_sentencing_with_an_offender_list_migrates_just_those(sb, system):
    numbers = [
        p["offenderNo"]
        for p in requests.get(
            f"{sb.url}{NOMIS}/prisoners/ids/all", params={"size": 3}, headers=system
        ).json()["content"]
    ]
    body = {"offenderNo": ",".join(numbers), "fromDate": "", "toDate": "2024-01-31"}
    response = start(sb, system, "court-sentencing", body)
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "COURT_SENTENCING" and context["estimatedCount"] == 3
    assert context["properties"] == {"deleteExisting": False}
    assert context["body"] == {
        "offenderNo": ",".join(numbers),
        "deleteExisting": False,
        "toDate": "2024-01-31",
    }
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert json.loads(row["filter"]) == context["body"]
    assert row["recordsMigrated"] == 3 and row["recordsFailed"] == 0
    count = requests.get(
        f"{sb.url}{MAPPING}/mapping/court-sentencing/prisoner/migration-id/{quote(migration_id)}",
        params={"size": 1},
        headers=system,
    ).json()
    assert count["totalElements"] == 3
    names = event_names(sb)
    assert names.count("court-sentencing-migration-entity-migrated") == 3
    assert "court-sentencing-migration-completed" in names
    bad = start(sb, system, "court-sentencing", {"fromDate": "23/03/2020"})
    assert bad.status_code == 400


def test_court_sentencing_of_everyone_dead_letters_the_failing_prisoners(sb, system):
    # Read dead letters stay hidden for 30 s, not the fast settings' 0.5 s: under load more than
    # half a second can pass between reading them and asking /health, which must not see them.
    sb.update_settings(page_size=500, dlq_visibility_s=30)
    context = start(sb, system, "court-sentencing", {"deleteExisting": False}).json()
    assert context["estimatedCount"] == 2000
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED", timeout=30)
    row = history(sb, system, migration_id)
    assert row["filter"] == '{"deleteExisting":false}'
    assert row["recordsMigrated"] == 1995 and row["recordsFailed"] == 5
    live = active(sb, system, "COURT_SENTENCING")
    assert live["recordsMigrated"] == 1995 and live["recordsFailed"] == 5
    assert dlq_count(sb, system, "COURT_SENTENCING") == 5
    assert dlq_count(sb, system, "VISITS") == 0
    dlq = requests.get(
        f"{sb.url}{API}/migrate/dead-letter-queue/COURT_SENTENCING", headers=system
    ).json()
    failed = sorted(m["body"]["context"]["body"]["offenderNo"] for m in dlq["messages"])
    assert failed == ["A1404ZZ", "A6931ZZ", "B3141ZZ", "G2718ZZ", "H5772ZZ"]
    assert {m["body"]["context"]["type"] for m in dlq["messages"]} == {"COURT_SENTENCING"}
    sent = [
        e
        for e in sb.telemetry()["events"]
        if e["name"] == "prisoner-from-nomis-migration-courtsentencing-sent-to-dlq"
    ]
    assert len(sent) == 5
    assert sent[0]["properties"]["dlqName"] == "migration_courtsentencing_dlq"
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()["components"]
    assert health["migrationcourtsentencing-health"]["details"]["messagesOnDlq"] == "0"  # hidden
    assert health["migrationvisits-health"]["details"]["messagesOnDlq"] == "0"


def test_sentencing_user_signs_in_with_the_sentencing_role(sb):
    claims = jwt.decode(user_token(sb, "SENTENCING_USER"), options={"verify_signature": False})
    assert claims["user_name"] == "SENTENCING_USER"
    assert claims["authorities"] == ["ROLE_MIGRATE_SENTENCING"]
    users = {u["username"]: u for u in sb.control("GET", "users")}
    assert users["SENTENCING_USER"]["roles"] == ["ROLE_MIGRATE_SENTENCING"]


def test_empty_scenario_has_no_prisoners(sb, system):
    # Split from test_queue_names_and_state_summary_per_type (tests/sandbox/test_entities.py).
    assert sb.control("GET", "state")["prisoners"] == 2000
    assert sb.reset("empty")["prisoners"] == 0
    context = start(sb, system, "court-sentencing", {}).json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
