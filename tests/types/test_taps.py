"""What is particular to Temporary Absence repair (TAPs), in the dashboard and in the sandbox.

The dashboard: its form, its estimate, no failures page and its App Insights links on the history
list. The sandbox: runs of one prisoner or everyone (sandbox/entities/taps/). The pages it shares
with every type are covered by tests/unit/test_type_pages.py with EXAMPLE, its run from the start
form to COMPLETED by tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

import base64
import gzip
import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse

from migrations_ui.types import taps
from migrations_ui.types.taps.forms import TapsMigrationForm
from tests.factories import HistoryRowFactory
from tests.sandbox.calls import (
    ZZ_PRISONERS,
    assert_conflict,
    dlq_bodies,
    dlq_counts,
    event_names,
    history,
    mapping_count,
    start,
)
from tests.types import Example, Run, classic_total
from tests.unit.conftest_visits import migration_url, nomis_url, sign_in
from upstream import MalformedResponse

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = taps.TYPE


def _mock_checks(requests_mock, estimate: int) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=classic_total(estimate))


EXAMPLE = Example(
    form={"prisonerNumber": ""},
    mock_checks=_mock_checks,
    start_body={},
    stored_filter={"prisonerNumber": "A1234BC"},
    filter_text="Prisoner: A1234BC",
    entity={"offenderNo": "A1234BC"},
    entity_id="A1234BC",
)
RUN = Run("SYSCON_USER", {"prisonerNumber": "b7718yj"}, migrated=1)


# -- The dashboard


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_prisoner_number_is_trimmed_upper_cased_and_sent_alone() -> None:
    bound = TapsMigrationForm({"prisonerNumber": "  a1234bc "})
    assert bound.is_valid()
    # Never the whole session form (upstream-api-types.md §6.8).
    assert bound.upstream_filter() == {"prisonerNumber": "A1234BC"}


def test_no_prisoner_number_sends_an_empty_body_for_every_prisoner() -> None:
    bound = TapsMigrationForm({"prisonerNumber": "  "})
    assert bound.is_valid()
    assert bound.upstream_filter() == {}


@pytest.mark.parametrize(
    "typed", ["A1234B", "1234ABC", "A1234BCD", "A1234BC,B2345CD", "A1234BC B2345CD", "HEI"]
)
def test_anything_but_one_prisoner_number_is_a_govuk_error(typed) -> None:
    bound = TapsMigrationForm({"prisonerNumber": typed})
    assert not bound.is_valid()
    assert bound.error_list() == [
        {
            "text": "Prisoner number must be a letter, 4 numbers and 2 letters, like A1234BC",
            "href": "#prisonerNumber",
        }
    ]


def test_what_was_typed_is_kept_for_change_links() -> None:
    assert TapsMigrationForm({"prisonerNumber": " a1234bc"}).typed_values() == {
        "prisonerNumber": "a1234bc"
    }


def test_the_estimate_for_one_prisoner_is_1_without_asking_nomis(requests_mock) -> None:
    # requests_mock fails any call not mocked: this one makes none.
    assert taps.estimate("SYSCON_USER", {"prisonerNumber": "A1234BC"}) == 1


@pytest.mark.parametrize("stored", [{}, {"prisonerNumber": ""}])
def test_the_estimate_for_every_prisoner_is_nomis_total(tokens, requests_mock, stored) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json={"content": [], "totalElements": 2000})
    assert taps.estimate("SYSCON_USER", stored) == 2000
    assert parse_qs(urlsplit(requests_mock.last_request.url).query) == {
        "page": ["0"],
        "size": ["1"],
    }


@pytest.mark.parametrize("body", [{"totalElements": "2000"}, [2000], {"totalElements": True}])
def test_a_malformed_count_is_malformed_not_zero(tokens, requests_mock, body) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=body)
    with pytest.raises(MalformedResponse):
        taps.estimate("SYSCON_USER", {})


def test_it_never_skips_so_there_is_no_already_migrated_link() -> None:
    # upstream-api-types.md §5 and §6.14: every prisoner is replayed.
    assert TYPE.already_migrated_log is None


def test_an_entity_reads_as_its_prisoner_number() -> None:
    assert TYPE.entity_id_label == "Prisoner number"
    assert TYPE.entity_id({"offenderNo": "A1234BC"}) == "A1234BC"


@pytest.mark.parametrize(
    "stored,shown",
    [({"prisonerNumber": "A1234BC"}, "A1234BC"), ({"prisonerNumber": ""}, "All"), ({}, "All")],
)
def test_a_stored_filter_reads_as_its_prisoner_or_all(stored, shown) -> None:
    assert [(line.label, line.value) for line in TYPE.filter_lines(stored)] == [("Prisoner", shown)]


def test_the_preview_row_has_its_change_anchor_and_qa_hook() -> None:
    [row] = TYPE.summary({})
    assert (row.key, row.label, row.value, row.qa) == (
        "prisonerNumber",
        "Prisoner number",
        "All prisoners",
        "prisoner-number",
    )


# -- No failures page: App Insights links instead


def kql_of(url: str) -> str:
    """The query inside a Log Analytics share link (gzip, base64, percent-encoded)."""
    packed = re.search(r"/q/([^/]+)/", html.unescape(url)).group(1)
    return gzip.decompress(base64.b64decode(unquote(packed))).decode("utf-8")


@pytest.mark.django_db
def test_there_is_no_failures_page(client, tokens, requests_mock, syscon_user) -> None:
    with pytest.raises(NoReverseMatch):
        reverse("taps:failures")
    # The path falls to the details pattern, and the service knows no migration "failures".
    requests_mock.get(migration_url("/migrate/history/failures"), status_code=404)
    response = sign_in(client, syscon_user).get("/taps-migration/failures/")
    assert response.status_code == 404
    assert not any("dead-letter-queue" in r.url for r in requests_mock.request_history)


@pytest.mark.django_db
@pytest.mark.parametrize("failed", [0, 3])
def test_each_history_row_links_to_its_events_in_app_insights(
    client, tokens, requests_mock, syscon_user, failed
) -> None:
    requests_mock.get(
        migration_url("/migrate/history/all/EXTERNAL_MOVEMENTS"),
        json=[
            HistoryRowFactory(
                migrationId="2024-01-01T10:00:00",
                migrationType="EXTERNAL_MOVEMENTS",
                recordsMigrated=10,
                recordsFailed=failed,
                estimatedRecordCount=2000,
                stored_filter={"prisonerNumber": "A1234BC"},
            )
        ],
    )
    page = sign_in(client, syscon_user).get("/taps-migration/").content.decode()
    assert 'data-qa="filter-prisoner">Prisoner: A1234BC</span>' in page
    links = {
        key: url
        for url, key in re.findall(
            r'href="([^"]+)"[^>]*data-qa="(all-events|insights-failures)-link"', page
        )
    }
    assert set(links) == ({"all-events", "insights-failures"} if failed else {"all-events"})
    assert "View all migration events in App Insights" in page
    assert ("View failures in App Insights" in page) == bool(failed)
    every = kql_of(links["all-events"])
    assert "| where Properties.migrationId startswith '2024-01-01T10:00:00'" in every
    assert "| where Name startswith 'temporary-absences-migration'" in every
    assert "failed" not in every
    if failed:
        assert '(Name endswith "failed" or Name endswith "error")' in kql_of(
            links["insights-failures"]
        )
    # Neither a failures page link nor an already-migrated one, though records are unaccounted.
    assert 'data-qa="failures-link"' not in page
    assert 'data-qa="already-migrated-link"' not in page


# -- The sandbox


def test_taps_of_one_prisoner_replaces_its_mappings(sb, system):
    form = {"_csrf": "x", "prisonerNumber": "B7718YJ", "action": "startMigration"}
    response = start(sb, system, "taps", form)
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "EXTERNAL_MOVEMENTS" and context["estimatedCount"] == 1
    assert context["body"] == {"prisonerNumber": "B7718YJ"} and context["properties"] == {}
    first = context["migrationId"]
    sb.wait_for_status(first, "COMPLETED")
    row = history(sb, system, first)
    assert row["filter"] == '{"prisonerNumber":"B7718YJ"}'
    assert row["recordsMigrated"] == 1 and row["recordsFailed"] == 0
    assert mapping_count(sb, system, "taps", first) == 1
    # Never skipped: a second run replaces the prisoner's mappings.
    second = start(sb, system, "taps", {"prisonerNumber": "B7718YJ"}).json()["migrationId"]
    sb.wait_for_status(second, "COMPLETED")
    assert history(sb, system, second)["recordsMigrated"] == 1
    assert mapping_count(sb, system, "taps", second) == 1
    assert mapping_count(sb, system, "taps", first) == 0
    names = event_names(sb)
    assert names.count("temporary-absences-migration-entity-migrated") == 2
    assert "temporary-absences-migration-started" in names
    assert "temporary-absences-migration-completed" in names


def test_taps_prisoner_without_taps_is_neither_migrated_nor_failed(sb, system):
    context = start(sb, system, "taps", {"prisonerNumber": "H3977UK"}).json()
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    row = history(sb, system, context["migrationId"])
    assert row["recordsMigrated"] == 0 and row["recordsFailed"] == 0
    assert dlq_counts(sb, system) == {}
    (ignored,) = [
        e
        for e in sb.telemetry()["events"]
        if e["name"] == "temporary-absences-migration-entity-ignored"
    ]
    assert ignored["properties"]["offenderNo"] == "H3977UK"


def test_taps_of_everyone_migrates_some_ignores_most_and_fails_the_zz_prisoners(sb, system):
    with_taps = sb.control("GET", "state")["prisonersWithTaps"]
    assert 200 < with_taps < 400  # about 15% of 2,000
    context = start(sb, system, "taps", {"prisonerNumber": ""}).json()
    assert context["estimatedCount"] == 2000 and context["body"] == {"prisonerNumber": ""}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED", timeout=30)
    row = history(sb, system, migration_id)
    assert row["recordsMigrated"] == with_taps and row["recordsFailed"] == 5
    assert mapping_count(sb, system, "taps", migration_id) == with_taps
    assert dlq_counts(sb, system) == {"EXTERNAL_MOVEMENTS": 5}
    failed = sorted(b["offenderNo"] for b in dlq_bodies(sb, system, "EXTERNAL_MOVEMENTS"))
    assert failed == ZZ_PRISONERS
    events = sb.telemetry()["events"]
    names = [e["name"] for e in events]
    assert names.count("temporary-absences-migration-entity-ignored") == 2000 - with_taps - 5
    failures = [e for e in events if e["name"] == "temporary-absences-migration-entity-failed"]
    assert {e["properties"]["offenderNo"] for e in failures} == set(ZZ_PRISONERS)
    assert all("rejected" in e["properties"]["reason"] for e in failures)
    assert names.count("prisoner-from-nomis-migration-externalmovements-sent-to-dlq") == 5


def test_taps_of_an_unknown_prisoner_is_trusted_then_fails(sb, system):
    context = start(sb, system, "taps", {"prisonerNumber": "A0000AA"}).json()
    assert context["estimatedCount"] == 1
    sb.wait_for_status(context["migrationId"], "COMPLETED")
    assert history(sb, system, context["migrationId"])["recordsFailed"] == 1
    assert dlq_bodies(sb, system, "EXTERNAL_MOVEMENTS") == [{"offenderNo": "A0000AA"}]


def test_taps_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "taps", {}, "EXTERNAL_MOVEMENTS")


def test_empty_scenario_has_no_prisoners_with_taps(sb, system):
    assert sb.reset("empty")["prisonersWithTaps"] == 0
    context = start(sb, system, "taps", {}).json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
