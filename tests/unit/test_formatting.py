"""Display formats shared by every page (kernel.formatting)."""

from __future__ import annotations

import datetime as dt

import pytest

from kernel.formatting import LONDON, datetime_display


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026-12-05T17:33:12.123456789", "5 Dec 2026, 17:33"),
        ("2022-03-14T10:13:56", "14 Mar 2022, 10:13"),
        # GOV.UK's short months: September is "Sept".
        ("2024-09-30T08:05:00", "30 Sept 2024, 08:05"),
        (dt.datetime(2024, 6, 1, 9, 0, tzinfo=dt.UTC), "1 Jun 2024, 10:00"),
        (dt.datetime(2024, 1, 1, 0, 0, tzinfo=LONDON), "1 Jan 2024, 00:00"),
        (None, ""),
        ("", ""),
    ],
)
def test_date_times_are_compact_and_in_london_time(value: object, shown: str) -> None:
    assert datetime_display(value) == shown  # type: ignore[arg-type]
