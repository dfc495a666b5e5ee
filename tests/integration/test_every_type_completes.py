"""Every migration type the dashboard offers, started through its pages against the sandbox and
followed to COMPLETED, as a user holding its role would.

Each type's module (tests/types/test_<slug>.py) says how with its `RUN`, or names the test that
runs it instead (visits has walk-throughs of its own; allocations follow an activities run).
"""

from __future__ import annotations

from typing import Any

import pytest

from migrations_ui import types
from migrations_ui.models import AuditEvent
from tests.integration.conftest_visits import qa, run_to_completion
from tests.types import declared_run, run_of

pytest_plugins = ["tests.integration.conftest_visits"]
pytestmark = [pytest.mark.django_db(transaction=True)]


def test_every_type_has_a_run_or_names_the_test_that_runs_it() -> None:
    # A registered type without its module or RUN fails here, saying what to add.
    ran = [t.slug for t in types.REGISTERED if run_of(t.slug) is not None]
    assert len(ran) > len(types.REGISTERED) // 2, ran


@pytest.mark.parametrize(
    "t", [t for t in types.REGISTERED if declared_run(t.slug)], ids=lambda t: t.slug
)
def test_each_type_runs_from_its_start_form_to_completed(browser_as, sandbox, t: Any) -> None:
    run = run_of(t.slug)
    assert run is not None
    browser = browser_as(run.user)
    prefix = f"/{t.url_prefix}"
    assert f'href="{prefix}/"' in browser.get("/").text
    migration_id = run_to_completion(browser, sandbox, prefix, t.name, run.form)
    details = browser.get(f"{prefix}/{migration_id}/").text
    assert qa(details, "status") == "COMPLETED"
    assert (qa(details, "migratedCount"), qa(details, "failedCount")) == (
        f"{run.migrated:,}",
        f"{run.failed:,}",
    )
    assert migration_id in browser.get(f"{prefix}/").text
    assert AuditEvent.objects.filter(
        action="START_MIGRATION",
        outcome="SUCCEEDED",
        subject_id=f"{t.upstream_type} {migration_id}",
    ).exists()
