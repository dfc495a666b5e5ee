"""Migration types side by side on the generic lifecycle (upstream-api-types §5).

Each type's own endpoints and runs are tested in its module, tests/types/test_<slug>.py; these
use visits and court sentencing to show what holds for every type: its own queue, DLQ and
conflicts, and no data in the empty scenario.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import requests

from sandbox import entities
from tests.sandbox.calls import API, active, dlq_count, event_names, history, start

from .conftest import QUEUE_ADMIN_CLIENT

# The state's own figures; every other count in it is an entity's (Entity.summary).
STATE_FIGURES = {"scenario", "history", "queueVisible", "queueInFlight", "dlq", "queues"}
STATE_FIGURES |= {"faults", "latency_ms"}


def test_types_run_side_by_side_and_conflict_only_with_their_own(sb, system):
    sb.update_settings(visit_delay_ms=20, workers=2)
    court = start(sb, system, "court-sentencing", {})
    assert court.status_code == 202
    visits = start(sb, system, "visits", {"prisonIds": ["HEI"]})
    assert visits.status_code == 202
    again = start(sb, system, "court-sentencing", {"offenderNo": "A1404ZZ"})
    assert again.status_code == 409
    assert "COURT_SENTENCING migration" in again.json()["userMessage"]
    court_id, visits_id = court.json()["migrationId"], visits.json()["migrationId"]
    assert court_id != visits_id
    deadline = time.monotonic() + 5
    while active(sb, system, "VISITS")["recordsMigrated"] < 5:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    cancel = requests.post(f"{sb.url}{API}/migrate/cancel/{quote(court_id)}", headers=system)
    assert cancel.status_code == 202
    sb.wait_for_status(court_id, "CANCELLED")
    # Cancelling court sentencing purged only its own queue: visits go on.
    assert history(sb, system, visits_id)["status"] == "STARTED"
    before = active(sb, system, "VISITS")["recordsMigrated"]
    deadline = time.monotonic() + 5
    while active(sb, system, "VISITS")["recordsMigrated"] <= before:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert active(sb, system, "COURT_SENTENCING")["toBeProcessedCount"] == 0
    requests.post(f"{sb.url}{API}/migrate/cancel/{quote(visits_id)}", headers=system)
    sb.wait_for_status(visits_id, "CANCELLED")
    names = event_names(sb)
    assert "court-sentencing-migration-cancelled" in names
    assert "visits-migration-cancelled" in names


def test_queue_admin_works_on_each_types_own_queues(sb, system):
    token = requests.post(
        f"{sb.url}/auth/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=QUEUE_ADMIN_CLIENT,
        timeout=5,
    ).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    migration_id = start(sb, system, "court-sentencing", {"offenderNo": "A1404ZZ,G2718ZZ"}).json()[
        "migrationId"
    ]
    sb.wait_for_status(migration_id, "COMPLETED")
    url = f"{sb.url}{API}/queue-admin"
    found = requests.get(f"{url}/get-dlq-messages/migration_courtsentencing_dlq", headers=admin)
    assert found.json()["messagesFoundCount"] == 2
    visits = requests.get(f"{url}/get-dlq-messages/migration_visits_dlq", headers=admin)
    assert visits.json()["messagesFoundCount"] == 0
    time.sleep(0.55)  # the read hid the messages for a while (§13.4)
    purged = requests.put(f"{url}/purge-queue/migration_courtsentencing_dlq", headers=admin)
    assert purged.json() == {"messagesFoundCount": 2}
    assert dlq_count(sb, system, "COURT_SENTENCING") == 0
    assert requests.put(f"{url}/purge-queue/migration_nope_dlq", headers=admin).status_code == 404


def test_every_type_has_its_queues_and_no_data_in_the_empty_scenario(sb, system):
    # Was test_queue_names_and_state_summary_per_type and the "no data in empty" tests of the
    # newer types, for three and five types; each type's module checks its own counts.
    summary = sb.control("GET", "state")
    assert set(summary["queues"]) == set(entities.types())
    health = requests.get(f"{sb.url}{API}/health", timeout=5).json()["components"]
    assert {f"{e.queue_id}-health" for e in entities.every()} == set(health)
    empty = sb.reset("empty")
    counts = {name: value for name, value in empty.items() if name not in STATE_FIGURES}
    assert len(counts) >= len(entities.types())  # at least one count of each type
    assert {name for name, value in counts.items() if value != 0} == set()
    assert start(sb, system, "not-a-type").status_code == 404
