"""The telemetry A/B's dashboards: neither side is favoured by when it was started or measured."""

from __future__ import annotations

import statistics

from bench.run import TELEMETRY_ROUNDS, TELEMETRY_SIDES, telemetry_order


def _mean_position(order: list[str], side: str) -> float:
    return statistics.mean(i for i, s in enumerate(order) if s == side)


def test_each_side_has_more_than_one_dashboard_started_as_often_early_as_late() -> None:
    # One dashboard a side compared two arbitrary processes, which differed by as much as
    # telemetry costs.
    assert TELEMETRY_SIDES.count("on") == TELEMETRY_SIDES.count("off") >= 2
    started = list(TELEMETRY_SIDES)
    assert _mean_position(started, "on") == _mean_position(started, "off")


def test_every_round_measures_every_dashboard_once_with_neither_side_first_on_average() -> None:
    firsts = []
    for round_no in range(TELEMETRY_ROUNDS):
        order = telemetry_order(round_no)
        assert sorted(order) == list(range(len(TELEMETRY_SIDES)))
        sides = [TELEMETRY_SIDES[i] for i in order]
        assert _mean_position(sides, "on") == _mean_position(sides, "off")
        firsts.append(order[0])
    # The order turns round, so no one dashboard is always the first after another's requests.
    assert len(set(firsts)) == 2
