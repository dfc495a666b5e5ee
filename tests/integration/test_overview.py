"""The overview against the sandbox: migrations of three types running at once (issue 29).

Real sign-in, real HTTP to the sandbox's migration service, its lifecycle slowed down so the
migrations stay in flight while the page is read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest_visits import qa

pytest_plugins = ["tests.integration.conftest_visits"]
pytestmark = [pytest.mark.django_db(transaction=True)]

# Each type's start: its pages' prefix, start form and name.
STARTS: tuple[tuple[str, dict[str, str], str], ...] = (
    ("/visits-migration", {"prisonIds": "HEI", "visitTypes": "SCON"}, "Visits"),
    ("/court-sentencing-migration", {}, "Court sentencing"),
    ("/visitslots-migration", {}, "Visit slots"),
)
# Slow enough that none of the three finishes while the test reads the page.
SLOW = {"visit_delay_ms": 5000.0, "workers": 1}


@pytest.fixture
def three_running(browser_as: Any, sandbox: Any) -> Iterator[tuple[Any, dict[str, str]]]:
    """SYSCON_USER's browser, and the ids of the three migrations it started, by type name."""
    before = sandbox.update_settings()
    sandbox.update_settings(**SLOW)
    browser = browser_as("SYSCON_USER")
    ids: dict[str, str] = {}
    for prefix, fields, name in STARTS:
        confirmation = browser.start(browser.start_preview(prefix, **fields), prefix)
        assert f"{name} migration has successfully started" in confirmation.text
        ids[name] = qa(confirmation.text, "migration-id")
    yield browser, ids
    sandbox.update_settings(**{key: before[key] for key in SLOW})


def read_with_fault(browser: Any, sandbox: Any, path: str, **fault: Any) -> tuple[Any, float]:
    """The overview, and how long it took, with the migration service's GETs under `path`
    given a sandbox fault."""
    sandbox.add_fault("nomisMigrationApi", path, method="GET", **fault)
    try:
        started = time.monotonic()
        page = browser.get("/overview/")
        return page, time.monotonic() - started
    finally:
        sandbox.clear_faults()


def in_flight_cards(html: str) -> list[str]:
    return re.findall(r'data-qa="in-flight-row">(.*?)</dl>', html, re.S)


def test_three_running_migrations_are_in_flight_with_who_started_them(three_running) -> None:
    browser, ids = three_running
    page = browser.get("/overview/")
    assert page.status_code == 200
    cards = in_flight_cards(page.text)
    assert len(cards) == 3
    for prefix, _, name in STARTS:
        migration_id = ids[name]
        card = next(
            c
            for c in cards
            if f'{name} migration <span class="app-nowrap">{migration_id}</span><' in c
        )
        assert f'href="{prefix}/{migration_id}/"' in card
        assert ">STARTED<" in card
        assert "Sam Syscon (SYSCON_USER)" in card
        assert re.search(r'data-qa="started-ago">[^<]* ago<', card)
        assert re.search(r"\d+% processed: .* migrated and .* failed, of [\d,]+ estimated", card)
    visits = next(c for c in cards if "Visits migration" in c)
    assert "Prisons: HEI" in visits
    # Their last runs say the same; the types not started have never run in this scenario or
    # show their own latest, and nothing is unavailable.
    for _, _, name in STARTS:
        row = re.search(
            rf'data-qa="last-run" data-type="[a-z_]+">\s*<th[^>]*><a[^>]*>{name}<', page.text
        )
        assert row, name
    assert 'data-qa="type-unavailable"' not in page.text
    assert qa(page.text, "read-at")
    # The part the page refreshes by itself answers alone, with the same three.
    fragment = browser.get("/overview/in-flight")
    assert len(in_flight_cards(fragment.text)) == 3
    assert "<html" not in fragment.text


def test_a_user_with_one_role_sees_only_their_type_and_nothing_else_is_asked(
    three_running, browser_as, sandbox
) -> None:
    _, ids = three_running
    sentencing = browser_as("SENTENCING_USER")
    before = len(sandbox.journal())
    page = sentencing.get("/overview/")
    calls = [e for e in sandbox.journal()[before:] if e["path"].startswith("/nomis-migration-api")]
    assert calls, "the overview asked the migration service nothing"
    court = ids["Court sentencing"]
    assert {e["path"] for e in calls} <= {
        "/nomis-migration-api/migrate/history/active/COURT_SENTENCING",
        f"/nomis-migration-api/migrate/history/{court}",
    }
    # Each with the user's own token (a token cached before the sandbox's reset is refused
    # once, unread, and fetched again).
    assert {e["user"] for e in calls if e["status"] != 401} == {"SENTENCING_USER"}, calls
    cards = in_flight_cards(page.text)
    assert len(cards) == 1
    assert f'Court sentencing migration <span class="app-nowrap">{court}</span><' in cards[0]
    assert page.text.count('data-qa="last-run"') == 1


def test_every_types_calls_run_side_by_side(three_running, sandbox) -> None:
    """Eleven types' calls, each held 300 ms by the sandbox, cost the page about 300 ms."""
    browser, _ = three_running
    page, seconds = read_with_fault(browser, sandbox, "/migrate/history/active", latency_ms=300)
    assert 'data-qa="type-unavailable"' not in page.text
    assert len(in_flight_cards(page.text)) == 3
    # One after another they would take 3.3 s; the page's budget is 1 s.
    assert seconds < 1.0, seconds


def test_a_hung_type_is_unavailable_and_the_others_still_show(three_running, sandbox) -> None:
    browser, ids = three_running
    page, seconds = read_with_fault(browser, sandbox, "/migrate/history/active/VISITS", hang=True)
    assert page.status_code == 200
    assert seconds < 1.5, seconds
    cards = in_flight_cards(page.text)
    assert len(cards) == 2
    assert not any(ids["Visits"] in card for card in cards)
    visits = re.search(r'data-qa="last-run" data-type="visits">(.*?)</tr>', page.text, re.S)
    assert "Status unavailable" in visits.group(1)
    assert "did not answer in time for: Visits." in page.text


def test_a_migration_being_cancelled_is_still_in_flight(three_running) -> None:
    browser, ids = three_running
    court = ids["Court sentencing"]
    browser.post(f"/court-sentencing-migration/{court}/cancel")
    cards = in_flight_cards(browser.get("/overview/").text)
    assert len(cards) == 3
    card = next(c for c in cards if court in c)
    assert ">CANCELLED_REQUESTED<" in card
