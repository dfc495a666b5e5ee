"""The history list's rows, written in Python (migrations_ui.history_rows).

The markup is what the template's loop wrote, and every text from upstream or the audit log is
escaped.
"""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import engines

from migrations_ui import types
from migrations_ui.clients.migration_api import MigrationHistory
from migrations_ui.history_rows import history_rows_html
from migrations_ui.selectors.history import HistoryPage, HistoryRow, history_row
from migrations_ui.types.activities_family import today, tomorrow
from migrations_ui.types.base import Link, MigrationType
from tests.factories import AuditEventFactory, HistoryRowFactory
from tests.unit.conftest_visits import migration_url

pytest_plugins = ["tests.unit.conftest_visits"]

# The loop as history.html had it, with activities' row actions written in.
LOOP = Path(__file__).with_name("history_rows_loop.html")

EVIL = '<script>alert("x")</script>\'&'
FUTURE = "2099-03-01"


class Parsed(HTMLParser):
    """Markup as what a browser reads: tags, their attributes (entities decoded) and texts.

    Whitespace-only text between tags and the spaces at a cell's edges are left out, as the
    loop's indentation was; any other space, inside or around a text, is kept (collapsed).
    """

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[Any, ...]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, sorted(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.events and self.events[-1][0] == "text":
            self.events[-1] = ("text", self.events[-1][1].rstrip())
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        text = re.sub(r"\s+", " ", data)
        if self.events and self.events[-1][:2] == ("start", "td"):
            text = text.lstrip()
        if text.strip():
            self.events.append(("text", text))


def rows_of(t: MigrationType, *migrations: Any) -> list[HistoryRow]:
    return [history_row(MigrationHistory.from_json(data), t) for data in migrations]


def row(t: MigrationType, **fields: Any) -> Any:
    """An M3 list item of the type."""
    return HistoryRowFactory(migrationType=t.upstream_type, **fields)


def varied_rows(t: MigrationType) -> list[HistoryRow]:
    """Rows that take every branch of the loop.

    Each status, running, failures, records not accounted for, no end, ids that need quoting,
    filters with and without lines, and each rule of activities' row actions.
    """
    ended = {"prisonId": "MDI", "activityStartDate": FUTURE, "nomisActivityEndDate": "2099-01-01"}
    return rows_of(
        t,
        row(t, status="COMPLETED", recordsMigrated=1234567, estimatedRecordCount=1234567),
        row(t, status="STARTED", recordsMigrated=5, recordsFailed=2, estimatedRecordCount=100),
        row(t, status="CANCELLED", recordsFailed=3, estimatedRecordCount=10),
        row(t, status="CANCELLED_REQUESTED"),
        row(t, status="SOMETHING_NEW"),
        row(
            t,
            migrationId="2024-01-01 10:00?y&z'é#",
            whenStarted="2024-01-01T10:00:00.5",
            whenEnded="2024-01-01T11:00:00",
            recordsFailed=1,
            estimatedRecordCount=50,
            stored_filter={
                "prisonIds": ["MDI", "HEI"],
                "visitTypes": ["SCON"],
                "fromDateTime": "2024-01-01T10:00:00",
                "prisonId": "MDI",
                "activityStartDate": FUTURE,
                "courseActivityId": 12,
                "offenderNo": "A1234BC",
                "prisonerNumbers": ["A1234BC"],
            },
        ),
        row(
            t,
            # Quoted with its slashes kept in the failures link (the end and move pages' addresses
            # cannot take one: only a run that offers neither has one here).
            migrationId="2024/01/01 10:00",
            whenStarted="2024-01-01T10:00:00",
            whenEnded="2024-01-01T11:00:00",
            status="CANCELLED",
            recordsFailed=1,
            estimatedRecordCount=5,
        ),
        row(t, status="COMPLETED", stored_filter={"prisonId": "LEI"}, whenEnded=None),
        row(t, status="COMPLETED", stored_filter=ended),
        row(t, status="COMPLETED", stored_filter={**ended, "courseActivityId": 0}),
        row(t, status="COMPLETED", stored_filter={**ended, "courseActivityId": ""}),
        row(t, status="COMPLETED", stored_filter={**ended, "activityStartDate": "2020-01-02"}),
        row(t, status="COMPLETED", stored_filter={**ended, "activityStartDate": tomorrow()}),
        row(
            t,
            status="COMPLETED",
            stored_filter={**ended, "activityStartDate": today().isoformat()},
        ),
        row(t, status="CANCELLED", stored_filter={"prisonId": "MDI", "courseActivityId": None}),
    )


def rows_html(rows: list[HistoryRow], t: MigrationType, *, started_by: Any, can_start: bool) -> str:
    page = HistoryPage(
        rows=rows, page=None, total=len(rows), fetched_at=None, started_by=started_by
    )
    return history_rows_html(page, migration_type=t, can_start=can_start)


def loop_html(rows: list[HistoryRow], t: MigrationType, **context: Any) -> str:
    env = engines["jinja2"].env  # type: ignore[attr-defined]
    template = env.from_string(LOOP.read_text())
    return template.render(
        rows=rows,
        migration_type=t,
        ns=t.namespace,
        has_row_actions=t.row_actions is not None,
        **context,
    )


STARTERS = {
    "someone": lambda rows: {
        rows[0].migration.migration_id: SimpleNamespace(username="SAM", display_name="Sam S"),
        rows[5].migration.migration_id: SimpleNamespace(username="NO_NAME", display_name=""),
    },
    "no one": lambda rows: {},
    "unavailable": lambda rows: None,
}


@pytest.mark.parametrize("slug", ["visits", "activities", "allocations", "core_person", "taps"])
@pytest.mark.parametrize("can_start", [True, False])
@pytest.mark.parametrize("starters", list(STARTERS))
def test_the_rows_are_what_the_templates_loop_wrote(slug, can_start, starters) -> None:
    t = types.get(slug)
    rows = varied_rows(t)
    started_by = STARTERS[starters](rows)
    written = rows_html(rows, t, started_by=started_by, can_start=can_start)
    looped = loop_html(
        rows,
        t,
        started_by=started_by or {},
        started_by_unavailable=started_by is None,
        can_start=can_start,
    )
    assert Parsed(written).events == Parsed(looped).events
    assert written.count('data-qa="migration-row"') == len(rows)


def test_activities_rows_offer_each_action_by_its_rule() -> None:
    # The comparison above covers these only if the rows really take each branch.
    t = types.get("activities")
    html = rows_html(varied_rows(t), t, started_by={}, can_start=True)
    assert html.count('data-qa="migrate-allocations-link"') == 15
    # Completed and not yet ended: the first, the sixth and the eighth.
    assert html.count('data-qa="end-activities-link"') == 3
    # Ended, of a whole prison (no course activity, "" as none) and starting tomorrow or later.
    assert html.count('data-qa="move-start-date-link"') == 3
    assert "courseActivityId=0" in html
    assert 'data-qa="migrate-allocations-link"' not in rows_html(
        varied_rows(t), t, started_by={}, can_start=False
    )


def test_every_text_from_upstream_or_the_audit_log_is_escaped() -> None:
    visits = types.get("visits")
    # A type's own links carry upstream text too (App Insights queries name the migration).
    t = dataclasses.replace(
        visits, row_links=lambda m: [Link("evil", f"See {m.migration_id}", f"https://x/?q={EVIL}")]
    )
    rows = rows_of(
        t,
        row(
            t,
            migrationId=EVIL,
            whenStarted="2024-01-01T10:00:00",
            whenEnded="2024-01-01T11:00:00",
            status=EVIL,
            recordsFailed=1,
            estimatedRecordCount=10,
            stored_filter={"prisonIds": [EVIL], "visitTypes": [EVIL]},
        ),
    )
    started_by = {EVIL: SimpleNamespace(username=EVIL, display_name=EVIL)}
    html = rows_html(rows, t, started_by=started_by, can_start=True)

    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#x27;&amp;" in html
    # Read back, every text is the one sent, and no attribute was broken out of.
    events = Parsed(html).events
    texts = [event[1] for event in events if event[0] == "text"]
    assert EVIL in texts  # the id
    assert f"Prisons: {EVIL}" in texts
    assert f"Started by: {EVIL} ({EVIL})" in texts
    assert f"See {EVIL}" in texts
    hrefs = [dict(event[2])["href"] for event in events if event[:2] == ("start", "a")]
    assert f"https://x/?q={EVIL}" in hrefs
    # Only the row's own elements: none came in with a text.
    tags = {event[1] for event in events if event[0] == "start"}
    assert tags == {"tr", "td", "span", "strong", "a"}


@pytest.mark.django_db
def test_the_history_page_escapes_upstream_and_audit_texts(visits_client, requests_mock) -> None:
    requests_mock.get(
        migration_url("/migrate/history/all/VISITS"),
        json=[
            HistoryRowFactory(
                migrationId='2024"<b>1',
                whenStarted="2024-01-01T10:00:00",
                whenEnded="2024-01-01T11:00:00",
                status="<b>DONE</b>",
                recordsFailed=1,
                estimatedRecordCount=10,
                stored_filter={"prisonIds": ["<i>MDI</i>"], "visitTypes": ["SCON"]},
            )
        ],
    )
    AuditEventFactory(migration_id='2024"<b>1', username='EVE"<i>', display_name="<script>Eve")
    page = visits_client.get("/visits-migration/").content.decode()
    for raw in ('2024"<b>1', "<b>DONE", "<i>MDI", 'EVE"<i>', "<script>Eve"):
        assert raw not in page
    assert 'data-qa="migration-id">2024&quot;&lt;b&gt;1</span>' in page
    assert "&lt;b&gt;DONE&lt;/b&gt;</strong>" in page
    assert "Prisons: &lt;i&gt;MDI&lt;/i&gt;" in page
    assert "Started by: &lt;script&gt;Eve (EVE&quot;&lt;i&gt;)" in page
    assert "?migrationId=2024%22%3Cb%3E1" in page
