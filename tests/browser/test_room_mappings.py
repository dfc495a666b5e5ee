"""Room mappings in Chromium as VISITS_USER: from the preview's unmapped-rooms warning to the fix,
and back to a preview without the warning; axe finds no WCAG 2.2 AA violation on any page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.walk import SERVICE, Walk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM = "MDI-VISITS-FAMILY ROOM"


def test_mapping_the_unmapped_mdi_room_clears_the_previews_warning(
    page: Any, dashboard: Any, sandbox: Any
) -> None:
    walk = Walk(page)
    sign_in(page, dashboard, "VISITS_USER")
    walk.check(SERVICE)

    # The choose-a-prison page, with its error for a bad code.
    page.click("a[href='/visits-room-mappings/prison']")
    walk.check("Room mappings")
    page.fill("#prisonId", "M1")
    page.click("[data-qa=show-rooms-button]")
    walk.check("Room mappings", error=True)
    assert (
        "Prison code must be 3 letters, like MDI"
        in page.locator(".govuk-error-summary").inner_text()
    )

    # The visits preview warns about MDI's unmapped room and links to MDI's rooms.
    page.goto(f"{dashboard.url}/visits-migration/start")
    page.check("input[name=visitTypes][value=SCON]")
    page.fill("#prisonIds", "MDI")
    page.click("[data-qa=continue-button]")
    walk.check("Start a new visits migration - preview")
    assert ROOM in walk.qa("unmapped-rooms")
    page.click("[data-qa=map-rooms-link]")
    walk.check("Room mappings - MDI")

    # Add a mapping: the empty form's error first, then the mapping.
    row = page.locator("[data-qa=room-row]", has_text=ROOM)
    row.locator("[data-qa=add-link]").click()
    walk.check(f"Add a mapping for {ROOM}")
    page.click("[data-qa=add-mapping-button]")
    walk.check(f"Add a mapping for {ROOM}", error=True)
    assert "Enter the DPS room description" in page.locator(".govuk-error-summary").inner_text()
    page.fill("#dpsRoom", "Family visits room")
    page.check("#isOpen")
    page.click("[data-qa=add-mapping-button]")
    walk.check("Room mappings - MDI")
    assert "is now mapped to Family visits room" in walk.qa("flash")
    row = page.locator("[data-qa=room-row]", has_text=ROOM)
    assert row.locator("[data-qa=dps-room]").inner_text() == "Family visits room"

    # Delete asks first (and is not carried out here).
    row.locator("[data-qa=delete-link]").click()
    walk.check("Are you sure you want to delete this room mapping?")
    page.click("text=No, keep it")
    walk.check("Room mappings - MDI")

    # Back to the preview: the checks run again and the room is no longer listed.
    page.click("[data-qa=back-to-preview]")
    walk.check("Start a new visits migration - preview")
    warning = page.locator("[data-qa=unmapped-rooms]")
    assert warning.count() == 0 or ROOM not in warning.inner_text()
