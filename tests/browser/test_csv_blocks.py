"""The preview's CSV blocks in Chromium: "Copy" puts the block on the clipboard and says so to
screen readers; "Download CSV" gives the same text as a file; without JavaScript the text is
still there to select, with its download, and no button that could not work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.walk import Walk, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREVIEW = "Start a new activities migration - preview"
# Blocks the sandbox's MDI has rows for (sandbox/entities/activities/).
BLOCK = "nomisSuspendedAllocations"


def _preview_mdi(page: Any, dashboard: Any) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    sign_in(page, dashboard, "ACTIVITIES_USER")
    page.goto(f"{dashboard.url}/activities-migration/start")
    page.fill("#prisonId", "MDI")
    page.fill("#activityStartDate", tomorrow)
    page.click("[data-qa=continue-button]")
    page.wait_for_url("**/activities-migration/start/preview")


@pytest.fixture
def clipboard_page(browser: Any, dashboard: Any) -> Iterator[Any]:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_javascript(browser: Any) -> Iterator[Any]:
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_copy_puts_the_block_on_the_clipboard_and_announces_it(
    clipboard_page: Any, dashboard: Any
) -> None:
    page = clipboard_page
    walk = Walk(page)
    _preview_mdi(page, dashboard)
    walk.check(PREVIEW)
    blocks = page.locator("[data-copy-block]")
    assert blocks.count() >= 2
    # One Copy button per block, named for its block.
    copy = page.get_by_role("button", name="Copy suspended allocations", exact=True)
    assert page.locator("button[data-qa$=-copy]").count() == blocks.count()
    status = page.locator(f"[data-qa={BLOCK}-copy-status]")
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text() == ""

    copy.click()
    expect(status).to_have_text("Copied")
    text = page.input_value(f"#{BLOCK}")
    assert text.startswith("Activity Description, Activity ID, Prisoner Number,\n")
    assert page.evaluate("navigator.clipboard.readText()") == text
    # Only that block says so.
    assert page.locator("[data-copy-status]:not(:empty)").count() == 1

    # Another block's copy replaces the clipboard's text.
    other = page.locator("[data-copy-block]").nth(1)
    other.locator("button").click()
    expect(other.locator("[data-copy-status]")).to_have_text("Copied")
    other_text = page.input_value(f"#{other.get_attribute('data-copy-block')}")
    assert page.evaluate("navigator.clipboard.readText()") == other_text != text
    walk.check(PREVIEW)


def test_download_csv_gives_the_blocks_text_as_a_file(clipboard_page: Any, dashboard: Any) -> None:
    page = clipboard_page
    _preview_mdi(page, dashboard)
    text = page.input_value(f"#{BLOCK}")
    with page.expect_download() as info:
        page.click(f"[data-qa={BLOCK}-download]")
    download = info.value
    assert download.suggested_filename == "activities-suspended-allocations-MDI.csv"
    with open(download.path(), encoding="utf-8") as file:
        assert file.read() == text


def test_without_javascript_the_text_and_its_download_show_and_no_copy_button(
    page_without_javascript: Any, dashboard: Any
) -> None:
    page = page_without_javascript
    _preview_mdi(page, dashboard)
    expect(page).to_have_title(f"{PREVIEW} - NOMIS Migration and Synchronisation Dashboard")
    textarea = page.locator(f"#{BLOCK}")
    expect(textarea).to_be_visible()
    assert textarea.input_value().startswith("Activity Description, Activity ID,")
    assert page.get_by_role("button", name="Copy", exact=False).count() == 0
    expect(page.locator(f"[data-qa={BLOCK}-download]")).to_be_visible()
