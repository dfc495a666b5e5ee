"""What is particular to Core Person, in the dashboard and in the sandbox.

The dashboard: no filter, its estimate, its ids and already-migrated link. The sandbox: N20, N21,
a run of every prisoner and the old type names refused (sandbox/entities/core_person/). The pages
it shares with every type are covered by tests/unit/test_type_pages.py with EXAMPLE, its run from
the start form to COMPLETED by tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

import json

import pytest
import requests

from migrations_ui.types import core_person
from tests.sandbox.calls import (
    API,
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
from tests.sandbox.conftest import user_token
from tests.types import Example, Run, classic_total
from tests.unit.conftest_visits import nomis_url
from upstream import MalformedResponse

pytest_plugins = ["tests.unit.conftest_visits"]

TYPE = core_person.TYPE


def _mock_checks(requests_mock, estimate: int) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=classic_total(estimate))


EXAMPLE = Example(
    form={},
    mock_checks=_mock_checks,
    start_body=None,
    stored_filter={},
    filter_text="None",
    entity={"rootOffenderId": 1234567, "prisonNumber": "A1234BC"},
    entity_id="A1234BC",
)
RUN = Run("SYSCON_USER", {}, migrated=1995, failed=5)


# -- The dashboard


def test_it_is_the_generalised_core_person_type_at_the_old_religion_prefix() -> None:
    # upstream-api-types.md §8: CORE_PERSON, POST /migrate/core-person; §1.2: SYSCON only.
    assert (TYPE.upstream_type, TYPE.start_path) == ("CORE_PERSON", "core-person")
    assert TYPE.url_prefix == "coreperson-religion-migration"
    assert TYPE.roles == ()


def test_it_has_no_filter_so_the_start_sends_no_body() -> None:
    assert TYPE.has_filter is False
    assert TYPE.form().upstream_filter() == {}
    assert TYPE.summary({}) == []


def test_the_estimate_is_every_nomis_prisoner(tokens, requests_mock) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json={"content": [], "totalElements": 2000})
    assert core_person.estimate("SYSCON_USER", {}) == 2000
    assert requests_mock.last_request.qs == {"page": ["0"], "size": ["1"]}


@pytest.mark.parametrize("body", [{"totalElements": "2000"}, [2000], {"totalElements": 1.5}])
def test_a_malformed_count_is_malformed_not_zero(tokens, requests_mock, body) -> None:
    requests_mock.get(nomis_url("/prisoners/ids/all"), json=body)
    with pytest.raises(MalformedResponse):
        core_person.estimate("SYSCON_USER", {})


def test_a_failure_is_named_by_the_prisoners_prison_number() -> None:
    assert TYPE.entity_id_label == "Prisoner number"
    assert TYPE.entity_id({"rootOffenderId": 1234567, "prisonNumber": "A1234BC"}) == "A1234BC"
    assert TYPE.entity_id("A1234BC") == ""


def test_the_already_migrated_link_searches_for_the_line_the_service_logs() -> None:
    # upstream-api-types.md §5 and §6.6: not the old dashboard's "core person religion" snippet.
    assert TYPE.already_migrated_log == "Will not migrate the prisoner="


@pytest.mark.parametrize("stored", [{}, {"prisonIds": ["MDI"]}])
def test_a_stored_filter_shows_no_lines(stored) -> None:
    # The service stores "" (no body); the history reads it as {}.
    assert TYPE.filter_lines(stored) == []


# -- The sandbox


def test_core_person_id_ranges_cover_every_prisoner_once(sb, system):
    ranges = nomis_get(sb, system, "/prisoners/id-ranges", size=300).json()
    assert len(ranges) == 7  # 2,000 prisoners in ranges of 300
    assert set(ranges[0]) == {"fromRootOffenderId", "toRootOffenderId"}
    seen = []
    for r in ranges:
        rows = nomis_get(sb, system, "/prisoners/ids-in-range", **r).json()
        assert rows and set(rows[0]) == {"rootOffenderId", "prisonNumber"}
        assert rows[0]["rootOffenderId"] == r["fromRootOffenderId"]
        assert rows[-1]["rootOffenderId"] == r["toRootOffenderId"]
        seen += rows
    every = nomis_get(sb, system, "/prisoners/ids/all", size=2000).json()["content"]
    assert [s["prisonNumber"] for s in seen] == [p["offenderNo"] for p in every]
    ids = [s["rootOffenderId"] for s in seen]
    assert ids == sorted(set(ids))
    assert len(nomis_get(sb, system, "/prisoners/id-ranges").json()) == 2  # size 1000
    assert nomis_get(sb, system, "/prisoners/ids-in-range").status_code == 400
    assert requests.get(f"{sb.url}{NOMIS}/prisoners/id-ranges").status_code == 401
    forbidden = nomis_get(sb, {"Authorization": f"Bearer {user_token(sb)}"}, "/prisoners/id-ranges")
    assert forbidden.json() == {"status": 403}


def test_core_person_migrates_every_prisoner_but_the_failing_ones(sb, system):
    sb.update_settings(page_size=700)
    response = start(sb, system, "core-person")
    assert response.status_code == 202
    context = response.json()
    assert context["type"] == "CORE_PERSON" and context["estimatedCount"] == 2000
    assert context["body"] == "" and context["properties"] == {}
    migration_id = context["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED", timeout=30)
    row = history(sb, system, migration_id)
    assert json.loads(row["filter"]) == "" and row["migrationType"] == "CORE_PERSON"
    assert row["recordsMigrated"] == 1995 and row["recordsFailed"] == 5
    assert mapping_count(sb, system, "core-person-religion", migration_id) == 1995
    assert dlq_counts(sb, system) == {"CORE_PERSON": 5}
    failed = sorted(b["prisonNumber"] for b in dlq_bodies(sb, system, "CORE_PERSON"))
    assert failed == ZZ_PRISONERS
    names = event_names(sb)
    assert "coreperson-migration-started" in names and "coreperson-migration-completed" in names
    assert names.count("coreperson-migration-entity-migrated") == 1995
    assert names.count("prisoner-from-nomis-migration-coreperson-sent-to-dlq") == 5

    # A second run skips every mapped prisoner (the failing ones fail again).
    again = start(sb, system, "core-person").json()
    sb.wait_for_status(again["migrationId"], "COMPLETED", timeout=30)
    assert len(log_lines(sb, "Will not migrate the prisoner=")) == 1995
    assert history(sb, system, again["migrationId"])["recordsMigrated"] == 0


def test_core_person_second_start_conflicts(sb, system):
    assert_conflict(sb, system, "core-person", None, "CORE_PERSON")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/migrate/history/all/{type}"),
        ("GET", "/migrate/history/active/{type}"),
        ("GET", "/migrate/dead-letter-queue/{type}"),
        ("GET", "/migrate/dead-letter-queue/{type}/count"),
        ("DELETE", "/migrate/dead-letter-queue/{type}"),
    ],
)
@pytest.mark.parametrize("old_type", ["CORE_PERSON_RELIGION", "INCIDENTS"])
def test_the_old_type_names_are_refused_as_the_upstream_now_refuses_them(
    sb, system, method, path, old_type
):
    """upstream-api-types.md §7, §8: neither is a MigrationType any more; CORE_PERSON is."""
    response = requests.request(
        method, f"{sb.url}{API}{path.format(type=old_type)}", headers=system, timeout=5
    )
    assert response.status_code == 400, response.text
    assert response.json()["userMessage"] == f"Bad Request: unknown migration type {old_type}"
    current = requests.request(
        method, f"{sb.url}{API}{path.format(type='CORE_PERSON')}", headers=system, timeout=5
    )
    assert current.status_code in (200, 204)


def test_the_old_religion_start_path_is_not_found(sb, system):
    response = start(sb, system, "core-person/religion")
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert (
        requests.get(f"{sb.url}{API}/migrate/history/all/CORE_PERSON", headers=system).json() == []
    )


def test_empty_scenario_has_no_prisoners_for_core_person(sb, system):
    sb.reset("empty")
    assert nomis_get(sb, system, "/prisoners/id-ranges").json() == []
    context = start(sb, system, "core-person").json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
