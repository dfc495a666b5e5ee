"""The benchmark's figures and PASS/FAIL judgement (issue 16's same-run ratios), on made-up
measurements: no server is started here."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bench import calibrate as bench_calibrate
from bench import report as bench_report
from bench import targets as bench
from bench.load import Page, Setting, percentile

PING_MS, UPSTREAM_PING_MS = 0.6, 0.4
# name -> (dashboard requests, critical path, p50 ms)
PAGES = {
    "home": (1, 0, 1.8),
    "visits history": (1, 1, 1.5),
    "visits preview": (2, 1, 6.0),
    "visits details": (1, 1, 4.0),
    "audit review (100,000 events)": (1, 0, 9.0),
}
TARGETS = {
    "floor": {"home": 4.0, "visits history": 2.0, "visits preview": 6.0, "visits details": 5.0,
              "audit review (100,000 events)": 20.0},
    "critical_path": {"visits preview at 100 ms": 1.1, "visits details at 100 ms": 1.1},
}  # fmt: skip


def _rows(page: str, p50: float, *, latency: int = 0, concurrency: int = 1, rps: float = 500.0):
    requests, critical, _ = PAGES.get(page, (1, 0, 0))
    floors = {bench.PING: PING_MS, bench.UPSTREAM_PING: UPSTREAM_PING_MS}
    rows = []
    for round_no, wobble in enumerate((1.0, 1.1, 0.9)):
        latencies = [p50 * wobble] * 98 + [p50 * wobble * 1.5] * 2
        measured = {"latencies": latencies, "statuses": {200: 100}, "elapsed_s": 100 / rps}
        rows.append(
            bench.measurement(
                Page(page, "/", critical, dashboard_requests=requests),
                Setting(latency, concurrency, 100),
                measured,
                round_no,
                floors,
            )
        )
    return rows


def _with_rates_beside(rows: list[dict[str, Any]], c1_rps: tuple[float, ...]):
    for row, rate in zip(rows, c1_rps, strict=True):
        row["c1_rps_beside"] = rate
    return rows


@pytest.fixture
def passing() -> dict[str, Any]:
    rows = []
    for page, (_, _, p50) in PAGES.items():
        rows += _rows(page, p50, rps=1000 / p50)
    # Concurrency 1 beside 16 as fast as at 1 with the other pages: scaling 1.8 for both.
    rows += _with_rates_beside(_rows("home", 3.0, concurrency=16, rps=1000.0), (1000 / 1.8,) * 3)
    rows += _with_rates_beside(
        _rows("visits history", 3.0, concurrency=16, rps=1200.0), (1000 / 1.5,) * 3
    )
    rows += _rows("visits preview", 105.0, latency=100)
    rows += _rows("visits details", 104.0, latency=100)
    return {
        "generated": "2026-11-29T20:00:00Z",
        "figures": bench.aggregate(rows),
        "system_token_requests": 1,
        "peak_rss_mb_per_worker": {"101": 90.0, "102": 95.0},
        "telemetry": {
            "rows": [],
            "envelopes_received": 1800,
            "pages": {"home": {"off_p50_ms": 1.0, "on_p50_ms": 1.1, "overhead_pct": 10.0}},
        },
    }


def _failed(report: dict[str, Any], targets: dict[str, Any] = TARGETS) -> list[str]:
    return [c.name for c in bench.check_targets(report, targets) if not c.passed]


def _figure(report: dict[str, Any], page: str, latency: int = 0, concurrency: int = 1):
    return next(
        f
        for f in report["figures"]
        if (f["page"], f["latency_ms"], f["concurrency"]) == (page, latency, concurrency)
    )


def test_a_pages_floor_is_its_dashboard_requests_and_upstream_round_trips() -> None:
    preview = _rows("visits preview", 6.0)[0]
    # 2 dashboard requests (the form's POST and the preview) and 1 upstream round trip.
    assert preview["floor_ms"] == pytest.approx(2 * PING_MS + UPSTREAM_PING_MS)
    assert _rows("home", 1.8)[0]["floor_ms"] == pytest.approx(PING_MS)


def test_each_figure_is_the_median_of_its_rounds(passing) -> None:
    home = _figure(passing, "home")
    assert home["rounds"] == 3
    assert home["p50_ms"] == pytest.approx(1.8)
    assert home["p50_over_floor"] == pytest.approx(1.8 / PING_MS, abs=0.01)
    assert home["statuses"] == {"200": 300}


def test_every_kind_of_target_is_checked_and_passes_on_good_figures(passing) -> None:
    names = [c.name for c in bench.check_targets(passing, TARGETS)]
    assert _failed(passing) == []
    for expected in (
        "home: p50 / floor <= 4.0",
        "audit review (100,000 events): p50 / floor <= 20.0",
        "visits preview at 100 ms: p50 / critical path <= 1.1",
        "home: req/s at c=16 >= 1.5 x c=1",
        "visits history: req/s at c=16 >= 1.5 x c=1",
        "one system token per user per lifetime, all workers",
        "every measured response was 200",
        "home telemetry overhead <= 15 % (p50 on vs off, sampling 1.0, 0 ms, c=1)",
    ):
        assert expected in names
    assert sum(
        name.endswith("p99 <= 2.5 x p50 at c=1 (or the machine's tail)") for name in names
    ) == len(PAGES)


def _set(report: dict[str, Any], page: str, latency: int, concurrency: int, **values: Any):
    report = copy.deepcopy(report)
    _figure(report, page, latency, concurrency).update(values)
    return report


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        (("home", 0, 1, {"p50_over_floor": 4.1}), "home: p50 / floor <= 4.0"),
        (("visits details", 0, 1, {"p50_over_floor": 5.2}), "visits details: p50 / floor <= 5.0"),
        (
            ("visits preview", 100, 1, {"p50_over_critical_path": 1.12}),
            "visits preview at 100 ms: p50 / critical path <= 1.1",
        ),
        (("home", 0, 16, {"scaling": 1.44}), "home: req/s at c=16 >= 1.5 x c=1"),
        (
            ("visits history", 0, 1, {"tail_rounds": [(2.6, None)] * 3}),
            "visits history: p99 <= 2.5 x p50 at c=1 (or the machine's tail)",
        ),
        (
            ("visits preview", 0, 1, {"statuses": {"200": 299, "form 200": 1}}),
            "every measured response was 200",
        ),
    ],
)
def test_a_missed_target_fails(passing, change, failed) -> None:
    page, latency, concurrency, values = change
    assert _failed(_set(passing, page, latency, concurrency, **values)) == [failed]


def _with_page(report: dict[str, Any], page: str, p50: float) -> dict[str, Any]:
    """The report with one more page measured at 0 ms, concurrency 1 (p50 / floor = p50 / 0.6)."""
    return {**report, "figures": [*report["figures"], *bench.aggregate(_rows(page, p50))]}


@pytest.mark.parametrize(
    ("p50", "passes"),
    [(1.1, True), (1.3, False)],  # p50 / floor: 1.83 against the history pages' highest, 2.0
)
def test_a_new_types_page_is_held_to_the_highest_calibrated_target_of_its_kind(
    passing, p50, passes
) -> None:
    # "x history" has no calibrated target: a type added since the calibration.
    report = _with_page(passing, "x history", p50)
    (check,) = [c for c in bench.check_targets(report, TARGETS) if "x history: p50" in c.name]
    assert check.name == "x history: p50 / floor <= 2.0"
    assert check.passed is passes
    assert check.detail.endswith("(not calibrated: the highest history page's target)")


def test_a_page_of_no_type_kind_without_a_target_still_fails() -> None:
    assert bench.floor_target(TARGETS, "room table (203 rooms)") == (None, "")
    assert bench.floor_target(TARGETS, "x failures") == (None, "")
    assert bench.floor_target(TARGETS, "visits details") == (5.0, "")
    assert bench.floor_target({"floor": {"home": 3.0}}, "x details") == (None, "")


@pytest.mark.parametrize(
    ("beside", "scaling", "passes"),
    [
        # 16 served 1,000 a second in every round; 1 beside it served these. Rounds' pairs:
        # 1.6, 1.47 and 1.79. One round under 1.5 does not fail it...
        ((625.0, 680.0, 560.0), 1.6, True),
        # ...two of three (1.43, 1.25, 1.79) do.
        ((700.0, 800.0, 560.0), 1.43, False),
    ],
)
def test_scaling_is_the_median_of_each_rounds_16_over_the_1_measured_beside_it(
    passing, beside, scaling, passes
) -> None:
    rows = _with_rates_beside(_rows("home", 3.0, concurrency=16, rps=1000.0), beside)
    figures = [f for f in passing["figures"] if (f["page"], f["concurrency"]) != ("home", 16)]
    report = {**passing, "figures": [*figures, *bench.aggregate(rows)]}
    sixteen = _figure(report, "home", concurrency=16)
    assert sixteen["scaling"] == pytest.approx(scaling, abs=0.01)
    check = next(
        c for c in bench.check_targets(report, TARGETS) if "c=16" in c.name and c.page == "home"
    )
    assert check.passed is passes
    assert check.value == pytest.approx(scaling, abs=0.01)


def test_concurrency_16_without_concurrency_1_beside_it_fails_rather_than_passing_unchecked(
    passing,
) -> None:
    rows = _rows("home", 3.0, concurrency=16, rps=1000.0)
    figures = [f for f in passing["figures"] if (f["page"], f["concurrency"]) != ("home", 16)]
    report = {**passing, "figures": [*figures, *bench.aggregate(rows)]}
    check = next(
        c for c in bench.check_targets(report, TARGETS) if c.name.startswith("home: req/s")
    )
    assert not check.passed
    assert check.detail == "no concurrency 1 measured beside it"


def test_a_page_without_a_calibrated_target_fails_rather_than_passing_unchecked(passing) -> None:
    targets = copy.deepcopy(TARGETS)
    del targets["floor"]["visits details"]
    assert _failed(passing, targets) == ["visits details: p50 / floor"]


def test_a_second_token_a_large_worker_or_telemetry_overhead_fails(passing) -> None:
    report = {**passing, "system_token_requests": 2, "peak_rss_mb_per_worker": {"7": 101.0}}
    report["telemetry"] = copy.deepcopy(passing["telemetry"])
    report["telemetry"]["pages"]["home"].update(on_p50_ms=1.16, overhead_pct=16.0)
    assert _failed(report) == [
        "one system token per user per lifetime, all workers",
        "worker 7 peak RSS <= 100 MB",
        "home telemetry overhead <= 15 % (p50 on vs off, sampling 1.0, 0 ms, c=1)",
    ]


def test_calibration_takes_the_highest_ratio_seen_times_the_margin(passing) -> None:
    slower = _set(passing, "home", 0, 1, p50_over_floor=3.5)
    targets = bench.calibrate([passing, slower], margin=1.3)
    assert targets["floor"]["home"] == round(3.5 * 1.3, 1)
    # Upstream-bound: the margin applies to the part that is not waiting.
    ratio = _figure(passing, "visits preview", 100)["p50_over_critical_path"]
    assert targets["critical_path"]["visits preview at 100 ms"] == round(1 + (ratio - 1) * 1.3, 3)
    assert _failed(passing, targets) == []


def test_a_home_page_2_ms_slower_fails_the_calibrated_target(passing) -> None:
    targets = bench.calibrate([passing])
    slower = []
    for page, (_, _, p50) in PAGES.items():
        slower += _rows(page, p50 + (2.0 if page == "home" else 0.0))
    report = {**passing, "figures": bench.aggregate(slower)}
    assert "home: p50 / floor <= " + str(targets["floor"]["home"]) in _failed(report, targets)


def test_the_report_shows_each_pages_figures_floor_ratio_target_and_result(
    passing, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(bench_report, "RESULTS", tmp_path)
    report = _set(passing, "visits details", 0, 1, p50_over_floor=5.2)
    report.update(
        rounds=3,
        duration_s=100.0,
        page_order=list(PAGES),
        machine={"load_average": (1, 1, 1)},
        nice=-10,
    )
    checks = bench.check_targets(report, TARGETS)
    markdown = bench_report.write(report, checks, "latest")
    assert (tmp_path / "latest.png").stat().st_size > 1000
    assert (tmp_path / "latest.json").exists()
    home = next(line for line in markdown.splitlines() if line.startswith("| home | 0 | 1 |"))
    assert "| 1.80 |" in home  # p50
    assert f"| {PING_MS:.2f} | 3.00 | 4 | PASS |" in home  # floor, ratio, target, result
    details = next(
        line for line in markdown.splitlines() if line.startswith("| visits details | 0 | 1")
    )
    assert "| 5.20 | 5 | FAIL |" in details
    # At concurrency 16 the ratio beside the 1.5 target is the scaling (1,000 / 556 a second),
    # not p50 / floor.
    sixteen = next(line for line in markdown.splitlines() if line.startswith("| home | 0 | 16 |"))
    assert "| 1.80 | 1.5 | PASS |" in sixteen
    # The priority it ran at, which decides how much a busy machine could stretch its tails.
    assert "3 rounds; 100.0 s; niceness -10;" in markdown


def test_a_rounds_pages_share_the_median_of_the_floors_measured_before_each() -> None:
    def floor(name: str, p50: float) -> dict[str, Any]:
        return {"page": name, "p50_ms": p50}

    page = _rows("visits preview", 6.0)[0]  # 2 dashboard requests, 1 upstream round trip
    rows = [
        floor(bench.PING, 0.6),
        floor(bench.PING, 0.7),
        # Met a worker refreshing a 5,000-row history in the background: not the machine's floor.
        floor(bench.PING, 1.5),
        floor(bench.UPSTREAM_PING, 0.4),
        floor(bench.UPSTREAM_PING, 0.5),
        floor(bench.UPSTREAM_PING, 0.3),
        page,
    ]
    bench.apply_round_floors(rows)
    assert page["floor_ms"] == pytest.approx(2 * 0.7 + 0.4)


def test_a_page_interleaved_with_pings_takes_its_floor_from_them_and_its_rate_excludes_them():
    # 100 requests of 5 ms, each after a /ping on the same connection (the same worker): a
    # machine twice as slow at that moment makes both twice as slow, so the ratio holds.
    ratios = []
    for slowdown in (1.0, 2.0):
        measured = {
            "latencies": [5.0 * slowdown] * 100,
            "pings": [2.0 * slowdown] * 99 + [9.0],
            "statuses": {200: 100},
            "elapsed_s": 100 * 7.0 * slowdown / 1000,
        }
        row = bench.measurement(
            Page("home", "/", 0),
            Setting(0, 1, 100, interleave_ping=True),
            measured,
            0,
            {bench.PING: 0.6, bench.UPSTREAM_PING: 0.4},
        )
        assert row["ping_p50_ms"] == pytest.approx(2.0 * slowdown)
        # Not the round's 0.6 ms measured apart.
        assert row["floor_ms"] == pytest.approx(2.0 * slowdown)
        # Requests a second are the page's alone: 100 in the 0.5 s (x slowdown) it took.
        assert row["rps"] == pytest.approx(
            100 / (0.7 * slowdown - (99 * 2.0 * slowdown + 9.0) / 1000), rel=0.01
        )
        ratios.append(row["p50_ms"] / row["floor_ms"])
    assert ratios == [pytest.approx(2.5), pytest.approx(2.5)]


def test_a_page_with_its_own_pings_keeps_them_and_the_rest_of_the_round_shares_the_median():
    interleaved = _rows("visits details", 4.0)[0] | {"ping_p50_ms": 2.0}
    signing_in = _rows("visits preview", 6.0)[0]  # no pings of its own
    rows = [
        {"page": bench.PING, "p50_ms": 0.6},
        {"page": bench.UPSTREAM_PING, "p50_ms": 0.4},
        interleaved,
        _rows("home", 1.8)[0] | {"ping_p50_ms": 0.8},
        signing_in,
    ]
    bench.apply_round_floors(rows)
    assert interleaved["floor_ms"] == pytest.approx(2.0 + 0.4)
    # The round's dashboard floor: the median of 0.6 (measured alone), 2.0 and 0.8 (interleaved).
    assert signing_in["floor_ms"] == pytest.approx(2 * 0.8 + 0.4)


@pytest.mark.parametrize(
    ("page_tails", "own_ping_tails", "other_pings_tail", "passes"),
    [
        ((2.4,) * 3, (None,) * 3, None, True),
        ((3.0,) * 3, (None,) * 3, None, False),  # no pings: plain 2.5
        ((3.0,) * 3, (2.0,) * 3, 2.0, False),  # an idle machine: still 2.5
        ((3.0,) * 3, (4.0,) * 3, 4.0, True),  # a loaded machine stretched a request that does
        ((5.0,) * 3, (4.0,) * 3, 4.0, False),  # nothing as much, but not as much as this
        # Its own pings stalled (the page's worker busy with the page's own background work)
        # while the rest of the run's pings were not: the run's figure bounds it.
        ((3.0,) * 3, (6.0,) * 3, 2.0, False),
        # Round by round (seen beside `make test`): the page was within its round's bound in
        # four rounds of five, although the median of its tails (2.55) is above the median of
        # its pings' (2.26)...
        ((2.09, 2.65, 2.55, 2.67, 1.99), (1.55, 5.02, 4.39, 2.26, 2.0), 3.89, True),
        # ...while a page stretched in three rounds its pings were not fails.
        ((2.6, 2.4, 2.3, 2.67, 2.7), (1.55, 5.02, 4.39, 2.26, 2.0), 3.89, False),
    ],
)
def test_a_pages_tail_is_bounded_by_2_5_or_by_what_the_machine_did_to_its_pings_in_that_round(
    passing, page_tails, own_ping_tails, other_pings_tail, passes
) -> None:
    report = copy.deepcopy(passing)
    for f in report["figures"]:
        if f["latency_ms"] == 0 and f["concurrency"] == 1:
            f["ping_p99_over_p50"] = other_pings_tail
    history = _figure(report, "visits history")
    history["tail_rounds"] = list(zip(page_tails, own_ping_tails, strict=True))
    failed = _failed(report)
    name = "visits history: p99 <= 2.5 x p50 at c=1 (or the machine's tail)"
    assert (name not in failed) is passes
    assert [n for n in failed if n != name] == []


def test_each_rounds_tail_is_kept_with_its_pings_tail() -> None:
    rows = _rows("home", 2.0)
    for row, (ping_p50, ping_p99) in zip(rows, ((1.0, 2.0), (1.0, 5.0), (1.0, 1.5)), strict=True):
        row.update(ping_p50_ms=ping_p50, ping_p99_ms=ping_p99)
    (home,) = bench.aggregate(rows)
    # _rows' p99 is 1.5 x its p50 in every round.
    assert home["tail_rounds"] == [(1.5, 2.0), (1.5, 5.0), (1.5, 1.5)]


@pytest.mark.parametrize(
    ("count", "pct", "expected"),
    [(100, 99, 99), (100, 50, 50), (100, 100, 100), (300, 99, 297), (101, 50, 51), (1, 99, 1)],
)
def test_percentiles_are_nearest_rank(count: int, pct: float, expected: int) -> None:
    # In reverse order, so the order they arrive in does not matter: the p99 of 100 is the second
    # slowest, so one stall in a round of 100 does not make that round's p99.
    values = [float(v) for v in range(count, 0, -1)]
    assert percentile(values, pct) == expected


# -- Issue 30: fixed targets beside the calibrated ones, and each page's worker CPU a request

FIXED = {
    "floor": {"home": 2.0, "room table (203 rooms)": 3.5},
    "floor_of_kind": {"history": 2.0},
    "critical_path": {"visits details at 100 ms": 1.05},
    "cpu_over_ping": {"home": 2.5},
}
WITH_FIXED = {**TARGETS, "fixed": FIXED}


@pytest.mark.parametrize(
    ("calibrated", "page", "expected"),
    [
        # The fixed bound is lower than the calibrated one: it holds.
        ({"home": 3.0}, "home", (2.0, " (fixed target)")),
        # A calibrated bound lower than the fixed one still holds (no regression let through).
        ({"home": 1.8}, "home", (1.8, "")),
        # Every type's history page, calibrated or not.
        ({"visits history": 2.9}, "taps history", (2.0, " (fixed target)")),
        ({"visits history": 2.9}, "visits history", (2.0, " (fixed target)")),
        # Not a type's history page, though its name contains the word.
        (
            {"visits history (5,000 past migrations)": 5.1},
            "visits history (5,000 past migrations)",
            (5.1, ""),
        ),
        ({}, "room table (203 rooms)", (3.5, " (fixed target)")),
        ({"visits details": 3.9}, "visits details", (3.9, "")),
    ],
)
def test_a_pages_floor_bound_is_the_lower_of_its_calibrated_and_fixed_targets(
    calibrated: dict[str, float], page: str, expected: tuple[float, str]
) -> None:
    assert bench.floor_target({"floor": calibrated, "fixed": FIXED}, page) == expected


def test_the_fixed_targets_fail_figures_the_calibrated_ones_pass(passing) -> None:
    # home: 1.8 ms over a 0.6 ms floor (3.0) passes its calibrated 4.0, not the fixed 2.0;
    # details at 100 ms: 1.06 passes the calibrated 1.1, not the fixed 1.05.
    report = _set(passing, "visits details", 100, 1, p50_over_critical_path=1.06)
    assert _failed(report) == []
    assert _failed(report, WITH_FIXED) == [
        "home: p50 / floor <= 2.0",
        "visits details at 100 ms: p50 / critical path <= 1.05",
    ]


def test_calibrating_keeps_the_fixed_targets(passing, tmp_path, monkeypatch) -> None:
    targets_file = tmp_path / "targets.json"
    targets_file.write_text(json.dumps({**TARGETS, "fixed": FIXED}))
    monkeypatch.setattr(bench_calibrate, "TARGETS_FILE", targets_file)
    runs = []
    for n in range(3):
        path = tmp_path / f"calibration-{n}.json"
        path.write_text(json.dumps(passing))
        runs.append(str(path))
    assert bench_calibrate.main(runs) == 0
    written = json.loads(targets_file.read_text())
    assert written["fixed"] == FIXED
    assert written["floor"]["home"] == round(3.0 * bench.CALIBRATION_MARGIN, 1)


def _cpu_rows(ping_ms: tuple[float, ...], home_ms: tuple[float, ...]) -> list[dict[str, Any]]:
    rows = []
    for round_no, (ping, home) in enumerate(zip(ping_ms, home_ms, strict=True)):
        for page, cpu in ((bench.PING, ping), ("home", home)):
            rows.append(
                {"page": page, "round": round_no, "requests": 100, "statuses": {"200": 100},
                 "cpu_ms": cpu}
            )  # fmt: skip
    return rows


def test_a_pages_cpu_is_the_median_over_rounds_of_its_ratio_to_the_same_rounds_ping() -> None:
    # A loaded round makes both dearer: per-round ratios 2.0, 2.0 and 3.0.
    figures = bench.cpu_figures(_cpu_rows((1.0, 2.0, 1.0), (2.0, 4.0, 3.0)))
    assert figures["home"] == {"requests": 300, "cpu_ms": 3.0, "over_ping": 2.0}
    assert figures[bench.PING]["cpu_ms"] == 1.0


@pytest.mark.parametrize(("home_ms", "passes"), [((2.4,) * 3, True), ((2.6,) * 3, False)])
def test_homes_worker_cpu_is_held_to_its_fixed_ratio_to_pings(passing, home_ms, passes) -> None:
    rows = _cpu_rows((1.0,) * 3, home_ms)
    report = {**passing, "worker_cpu": {"rows": rows, "figures": bench.cpu_figures(rows)}}
    name = "home: worker CPU a request <= 2.5 x /ping's"
    failed = [n for n in _failed(report, WITH_FIXED) if "p50 / floor" not in n]
    assert failed == ([] if passes else [name])


def test_a_cpu_measurements_error_response_fails_the_run(passing) -> None:
    rows = _cpu_rows((1.0,) * 3, (2.0,) * 3)
    rows[1]["statuses"] = {"500": 1, "200": 99}
    report = {**passing, "worker_cpu": {"rows": rows, "figures": bench.cpu_figures(rows)}}
    assert _failed(report) == ["every measured response was 200"]


def test_the_report_shows_each_pages_worker_cpu_beside_pings(passing, tmp_path, monkeypatch):
    monkeypatch.setattr(bench_report, "RESULTS", tmp_path)
    rows = _cpu_rows((1.2,) * 3, (2.7,) * 3)
    report = copy.deepcopy(passing)
    report.update(
        rounds=3,
        duration_s=100.0,
        machine={"load_average": (1, 1, 1)},
        worker_cpu={"rows": rows, "figures": bench.cpu_figures(rows)},
    )
    markdown = bench_report.write(report, bench.check_targets(report, WITH_FIXED), "latest")
    lines = markdown.splitlines()
    assert "| home | 2.700 | 2.25 | 2.5 | PASS |" in lines
    assert f"| {bench.PING} | 1.200 | 1.00 | - | - |" in lines
