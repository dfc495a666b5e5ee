"""Display formats users know from the existing dashboard (reference-dashboard.md §11)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# GOV.UK's truncated months for tables (style guide, "Dates"), spelled out rather than taken from
# strftime's "%b", which follows the process's locale.
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec")


def thousands(value: int | str | None) -> str:
    """Format a count with thousands separators: 100988 -> "100,988"; None -> ""."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}"


def datetime_display(value: dt.datetime | str | None) -> str:
    """Format a date-time as "14 Mar 2022, 10:13" in London time.

    Compact, so a date and time fit one line of a table cell.

    Upstream timestamps are local date-times without a zone (upstream-api.md §2.2) with 0-9
    fractional digits; aware values are converted to London time first.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = parse_local_datetime(value)
    if value.tzinfo is not None:
        value = value.astimezone(LONDON)
    return f"{value.day} {SHORT_MONTHS[value.month - 1]} {value:%Y, %H:%M}"


def parse_local_datetime(text: str) -> dt.datetime:
    """Parse an upstream local date-time, accepting 0 to 9 fractional digits."""
    main, _, fraction = text.partition(".")
    parsed = dt.datetime.fromisoformat(main)
    if fraction:
        digits = "".join(ch for ch in fraction if ch.isdigit())[:6].ljust(6, "0")
        parsed = parsed.replace(microsecond=int(digits))
    return parsed


def clock(value: float | dt.datetime | None) -> str:
    """London time of day, "10:13:05", from an epoch timestamp or an aware date-time."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromtimestamp(value, tz=LONDON)
    return value.astimezone(LONDON).strftime("%H:%M:%S")
