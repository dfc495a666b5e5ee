"""Visit Slots and Court Sentencing through the dashboard against the sandbox, to COMPLETED.

Real sign-in, real HTTP, the sandbox's migration lifecycle; their failures land on their own
dead letter queue and show on their own failures page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from migrations_ui.models import AuditEvent
from tests.integration.conftest_visits import qa

pytest_plugins = ["tests.integration.conftest_visits"]
pytestmark = [pytest.mark.django_db(transaction=True)]


def started_id(confirmation: Any, name: str) -> str:
    assert f"{name} migration has successfully started" in confirmation.text, confirmation.text[
        :500
    ]
    return qa(confirmation.text, "migration-id")


def prisoners(sandbox: Any, size: int) -> list[str]:
    """The first prisoners NOMIS lists (N5), as the sandbox holds them."""
    response = requests.get(
        f"{sandbox.url}/nomis-prisoner-api/prisoners/ids/all",
        params={"size": size},
        headers={"Authorization": f"Bearer {sandbox.system_token()}"},
        timeout=10,
    )
    return [item["offenderNo"] for item in response.json()["content"]]


def test_visit_slots_migrate_every_nomis_time_slot(browser_as, sandbox) -> None:
    sandbox.reset()
    browser = browser_as("SYSCON_USER")
    preview = browser.start_preview("/visitslots-migration")
    assert "Estimated number of visit time slots to be migrated: 84" in preview.text
    migration_id = started_id(browser.start(preview, "/visitslots-migration"), "Visit slots")
    sandbox.wait_for_status(migration_id, "COMPLETED", timeout=60)
    details = browser.get(f"/visitslots-migration/{migration_id}/").text
    assert qa(details, "status") == "COMPLETED"
    assert qa(details, "migratedCount") == "84"
    assert migration_id in browser.get("/visitslots-migration/").text
    # The migration is the visit slots type's only: the visits pages do not know it.
    assert browser.get(f"/visits-migration/{migration_id}/").status_code == 404


def test_court_sentencing_migrates_the_prisoners_named_and_shows_the_one_that_failed(
    browser_as, sandbox
) -> None:
    sandbox.reset()
    named = [*prisoners(sandbox, 3), "A1404ZZ"]  # the sandbox fails prisoners ending in ZZ
    browser = browser_as("SENTENCING_USER")
    prefix = "/court-sentencing-migration"
    preview = browser.start_preview(prefix, offenderNo=", ".join(n.lower() for n in named))
    assert "Estimated number of prisoners to be migrated: 4" in preview.text
    assert ", ".join(named) in preview.text
    migration_id = started_id(browser.start(preview, prefix), "Court sentencing")
    sandbox.wait_for_status(migration_id, "COMPLETED", timeout=60)
    details = browser.get(f"{prefix}/{migration_id}/").text
    assert (qa(details, "migratedCount"), qa(details, "failedCount")) == ("3", "1")
    assert f"Prisoners: {', '.join(named)}" in details
    failures = browser.get(f"{prefix}/failures/?migrationId={migration_id}").text
    assert qa(failures, "entity-id") == "A1404ZZ"
    assert "Prisoner number" in failures
    assert AuditEvent.objects.filter(
        action="START_MIGRATION", outcome="SUCCEEDED", subject_id=f"COURT_SENTENCING {migration_id}"
    ).exists()


def test_one_types_running_migration_does_not_block_another_type(browser_as, sandbox) -> None:
    sandbox.reset()
    before = sandbox.update_settings()
    sandbox.update_settings(visit_delay_ms=50.0)
    try:
        browser = browser_as("SYSCON_USER")
        first = browser.start_preview("/court-sentencing-migration")
        court_id = started_id(
            browser.start(first, "/court-sentencing-migration"), "Court sentencing"
        )
        again = browser.start_preview("/court-sentencing-migration")
        assert re.search(r"A court sentencing migration is already in progress", again.text)
        slots = browser.start_preview("/visitslots-migration")
        assert 'data-qa="already-running"' not in slots.text
        browser.post(f"/court-sentencing-migration/{court_id}/cancel")
        sandbox.wait_for_status(court_id, "CANCELLED", timeout=60)
    finally:
        sandbox.update_settings(visit_delay_ms=before["visit_delay_ms"])
