"""Visit room mappings against the sandbox: add, a duplicate, delete, awkward room names."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from migrations_ui.models import AuditEvent

pytest_plugins = ["tests.integration.conftest_visits"]
pytestmark = [pytest.mark.django_db(transaction=True)]

UNMAPPED = "MDI-VISITS-FAMILY ROOM"


def table(browser: Any, prison: str = "MDI", **extra: str) -> Any:
    query = urlencode({"prisonId": prison, "futureVisits": "true", **extra})
    return browser.get(f"/visits-room-mappings/?{query}")


def rows(page: str) -> dict[str, str]:
    """NOMIS room -> DPS room, as the table shows them."""
    found = re.findall(
        r'data-qa="nomis-room">(.*?)</td>\s*<td[^>]*data-qa="dps-room">(.*?)</td>', page, re.S
    )
    return {html.unescape(nomis): html.unescape(dps) for nomis, dps in found}


def add(browser: Any, room: str, dps: str, page: str) -> Any:
    return browser.post(
        "/visits-room-mappings/add",
        {"prisonId": "MDI", "nomisRoomDescription": room, "futureVisits": "true", "dpsRoom": dps},
        page=page,
    )


def duplicate_message(room: str) -> str:
    """The mapping service's 400 for a room already mapped, as the page shows it (escaped)."""
    return str(
        escape(
            f"Validation failure: Visit room mapping for prison MDI and nomis room = {room} "
            "already exists"
        )
    )


def test_mapping_the_unmapped_room_then_a_duplicate_then_deleting_it(browser_as, sandbox) -> None:
    browser = browser_as("VISITS_USER")
    before = table(browser)
    assert rows(before.text)[UNMAPPED] == "Not mapped"

    form = browser.get(
        "/visits-room-mappings/add?"
        + urlencode({"prisonId": "MDI", "nomisRoomDescription": UNMAPPED, "futureVisits": "true"})
    )
    added = add(browser, UNMAPPED, "Family visits room", form.text)
    assert added.url.endswith("/visits-room-mappings/?prisonId=MDI&futureVisits=true")
    assert "is now mapped to Family visits room" in added.text
    assert rows(added.text)[UNMAPPED] == "Family visits room"

    duplicate = add(browser, UNMAPPED, "Another name", form.text)
    assert duplicate.status_code == 409
    assert "The mapping service did not add the mapping" in duplicate.text
    assert duplicate_message(UNMAPPED) in duplicate.text
    assert 'value="Another name"' in duplicate.text

    confirm = browser.get(
        "/visits-room-mappings/delete?"
        + urlencode({"prisonId": "MDI", "nomisRoomDescription": UNMAPPED, "futureVisits": "true"})
    )
    assert "Family visits room" in confirm.text
    deleted = browser.post(
        "/visits-room-mappings/delete",
        {"prisonId": "MDI", "nomisRoomDescription": UNMAPPED, "futureVisits": "true"},
        page=confirm.text,
    )
    assert rows(deleted.text)[UNMAPPED] == "Not mapped"
    outcomes = list(
        AuditEvent.objects.filter(subject_id=f"MDI / {UNMAPPED}")
        .order_by("id")
        .values_list("action", "outcome")
    )
    assert outcomes == [
        ("ADD_ROOM_MAPPING", "REQUESTED"),
        ("ADD_ROOM_MAPPING", "SUCCEEDED"),
        ("ADD_ROOM_MAPPING", "REQUESTED"),
        ("ADD_ROOM_MAPPING", "FAILED"),
        ("DELETE_ROOM_MAPPING", "REQUESTED"),
        ("DELETE_ROOM_MAPPING", "SUCCEEDED"),
    ]


@pytest.mark.parametrize(
    "room", ["MDI ROOM / SIDE", "MDI R&D 'QUIET' ROOM", 'MDI "BIG" ROOM %20 ?x=1#y']
)
def test_awkward_room_names_round_trip(browser_as, sandbox, room) -> None:
    browser = browser_as("SYSCON_USER")
    form = browser.get(
        "/visits-room-mappings/add?"
        + urlencode({"prisonId": "MDI", "nomisRoomDescription": room, "futureVisits": "true"})
    )
    added = add(browser, room, "Odd room", form.text)
    assert added.status_code == 200, added.text[:500]
    shown = {
        re.sub("&amp;", "&", k).replace("&#39;", "'").replace("&#34;", '"'): v
        for k, v in rows(added.text).items()
    }
    assert shown[room] == "Odd room"
    # The mapping service's refusal names the room: shown in its words, escaped.
    duplicate = add(browser, room, "Odd room again", form.text)
    assert duplicate.status_code == 409
    assert duplicate_message(room) in duplicate.text
    if str(escape(room)) != room:
        assert f"= {room} already exists" not in duplicate.text
    confirm = browser.get(
        "/visits-room-mappings/delete?"
        + urlencode({"prisonId": "MDI", "nomisRoomDescription": room, "futureVisits": "true"})
    )
    deleted = browser.post(
        "/visits-room-mappings/delete",
        {"prisonId": "MDI", "nomisRoomDescription": room, "futureVisits": "true"},
        page=confirm.text,
    )
    assert "was deleted" in deleted.text
    assert all(v != "Odd room" for v in rows(deleted.text).values())
