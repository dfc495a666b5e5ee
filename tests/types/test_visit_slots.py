"""What is particular to Visit Slots, in the dashboard and in the sandbox.

The dashboard: no filter and its estimate (N6). The sandbox: N6 and a run of every slot
(sandbox/entities/visit_slots/). The pages it shares with every type are covered by
tests/unit/test_type_pages.py with EXAMPLE, its run from the start form to COMPLETED by
tests/integration/test_every_type_completes.py with RUN.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from migrations_ui.types import visit_slots
from tests.sandbox.calls import API, MAPPING, NOMIS, active, event_names, history, start
from tests.sandbox.conftest import user_token
from tests.types import Example, Run, paged_model_total
from tests.unit.conftest_visits import nomis_url

pytest_plugins = ["tests.unit.conftest_visits"]


def _mock_checks(requests_mock, estimate: int) -> None:
    requests_mock.get(
        nomis_url("/visits/configuration/time-slots/ids"), json=paged_model_total(estimate)
    )


EXAMPLE = Example(
    form={},
    mock_checks=_mock_checks,
    start_body=None,
    stored_filter={},
    filter_text="None",
    entity={"prisonId": "MDI", "dayOfWeek": "MON", "timeSlotSequence": 2},
    entity_id="MDI MON 2",
)
RUN = Run("SYSCON_USER", {}, migrated=84)


# -- The dashboard


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


def test_visit_slots_already_migrated_link_searches_for_the_line_the_service_logs() -> None:
    # Split from court sentencing's test_..._as_the_service_never_skips, which held both.
    assert visit_slots.TYPE.already_migrated_log == "Will not migrate the nomis visit time slot"


# -- The sandbox


def test_time_slot_ids_are_a_paged_model_of_84_slots(sb, system):
    url = f"{sb.url}{NOMIS}/visits/configuration/time-slots/ids"
    counted = requests.get(url, params={"size": 1}, headers=system).json()
    assert counted == {
        "content": [{"prisonId": "MDI", "dayOfWeek": "MON", "timeSlotSequence": 1}],
        "page": {"size": 1, "number": 0, "totalElements": 84, "totalPages": 84},
    }
    last = requests.get(url, params={"page": 4, "size": 20}, headers=system).json()
    assert len(last["content"]) == 4 and last["page"]["totalPages"] == 5
    every = requests.get(url, params={"size": 100}, headers=system).json()["content"]
    assert {s["prisonId"] for s in every} == {"MDI", "LEI", "BXI", "HEI"}
    assert {s["dayOfWeek"] for s in every} == {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}
    assert len({(s["prisonId"], s["dayOfWeek"], s["timeSlotSequence"]) for s in every}) == 84
    assert requests.get(url).status_code == 401
    forbidden = requests.get(url, headers={"Authorization": f"Bearer {user_token(sb)}"})
    assert forbidden.json() == {"status": 403}


def test_visit_slots_migration_runs_to_completion(sb, system):
    response = requests.post(f"{sb.url}{API}/migrate/visitslots", headers=system, timeout=5)
    assert response.status_code == 202
    body = response.json()
    assert body["type"] == "VISIT_SLOTS" and body["estimatedCount"] == 84
    assert body["body"] == "" and body["properties"] == {}
    migration_id = body["migrationId"]
    sb.wait_for_status(migration_id, "COMPLETED")
    row = history(sb, system, migration_id)
    assert row["migrationType"] == "VISIT_SLOTS" and json.loads(row["filter"]) == ""
    assert row["recordsMigrated"] == 84 and row["recordsFailed"] == 0
    assert row["estimatedRecordCount"] == 84 and row["whenEnded"]
    live = active(sb, system, "VISIT_SLOTS")
    assert live["migrationId"] == migration_id and live["recordsMigrated"] == 84
    assert live["toBeProcessedCount"] == 0 and live["status"] == "COMPLETED"
    count = requests.get(
        f"{sb.url}{MAPPING}/mapping/visit-slots/migration-id/{quote(migration_id)}",
        params={"size": 1},
        headers=system,
    ).json()
    assert count["totalElements"] == 84 and len(count["content"]) == 1
    names = event_names(sb)
    assert "visitslots-migration-started" in names and "visitslots-migration-completed" in names
    assert names.count("visitslots-migration-entity-migrated") == 84
    # Visits were untouched: their history and queue know nothing of this run.
    assert active(sb, system, "VISITS")["migrationId"] is None
    listed = requests.get(f"{sb.url}{API}/migrate/history/all/VISIT_SLOTS", headers=system).json()
    assert [r["migrationId"] for r in listed] == [migration_id]

    # A second run finds every slot mapped: all skipped with the upstream's log line.
    again = requests.post(f"{sb.url}{API}/migrate/visitslots", headers=system, timeout=5).json()
    sb.wait_for_status(again["migrationId"], "COMPLETED")
    skipped = [
        line["message"]
        for line in sb.telemetry()["logs"]
        if line["message"].startswith("Will not migrate the nomis visit time slot=")
    ]
    assert len(skipped) == 84
    assert history(sb, system, again["migrationId"])["recordsMigrated"] == 0


def test_empty_scenario_has_no_time_slots(sb, system):
    # Split from test_queue_names_and_state_summary_per_type (tests/sandbox/test_entities.py).
    assert sb.control("GET", "state")["timeSlots"] == 84
    assert sb.reset("empty")["timeSlots"] == 0
    context = start(sb, system, "visitslots").json()
    assert context["estimatedCount"] == 0
    sb.wait_for_status(context["migrationId"], "COMPLETED")
