"""The benchmark's PASS/FAIL judgement (issue 7's targets), on made-up measurements."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench import run as bench

PAGES = ("home", "history", "history-5000", "preview", "details", "progress", "failures", "health")


def _row(page: str, latency: int, concurrency: int, p50: float, **extra: Any) -> dict[str, Any]:
    critical = 0 if page == "home" else latency
    return {
        "page": page,
        "latency_ms": latency,
        "concurrency": concurrency,
        "requests": 400,
        "statuses": {"200": 400},
        "p50_ms": p50,
        "p95_ms": p50 * 1.2,
        "p99_ms": p50 * 1.5,
        "rps": 1000.0,
        "critical_path_ms": critical,
        "p50_over_critical_path": None,
        "token_requests_per_1000": 0.0,
        **extra,
    }


@pytest.fixture
def passing() -> dict[str, Any]:
    fast = {"home": 1.0, "history": 2.0, "history-5000": 3.0, "details": 2.5, "progress": 2.0}
    rows = [_row(page, 0, 1, fast.get(page, 4.0)) for page in PAGES]
    rows += [_row(page, 0, 16, 10.0) for page in PAGES]
    rows += [_row(page, 100, 1, 106.0) for page in PAGES]
    return {
        "results": rows,
        "system_token_requests": 1,
        "peak_rss_mb_per_worker": {"101": 90.0, "102": 95.0},
        "telemetry": {
            "rows": [
                {**_row(page, 0, 1, p50), "telemetry": side}
                for page, off in (("home", 1.0), ("history", 2.0))
                for side, p50 in (("off", off), ("on", off * 1.1))
            ],
            "envelopes_received": 1800,
            "pages": {
                "home": {"off_p50_ms": 1.0, "on_p50_ms": 1.1, "overhead_pct": 10.0},
                "history": {"off_p50_ms": 2.0, "on_p50_ms": 2.2, "overhead_pct": 10.0},
            },
        },
    }


def _failed(report: dict[str, Any]) -> list[str]:
    return [c.name for c in bench.check_targets(report) if not c.passed]


def test_every_target_is_checked_and_passes_on_good_figures(passing) -> None:
    names = [c.name for c in bench.check_targets(passing)]
    assert _failed(passing) == []
    for expected in (
        "home p50 <= 3 ms at 0 ms, c=1",
        "history p50 <= 6 ms at 0 ms, c=1",
        "history (5,000 upstream) p50 <= 15 ms at 0 ms, c=1",
        "details p50 <= 5 ms at 0 ms, c=1",
        "progress fragment p50 <= 3 ms at 0 ms, c=1",
        "preview p50 <= 1.2 x 100 + 10 ms at 100 ms",
        "details p50 <= 1.2 x critical path + 10 ms at 100 ms",
        "home >= 800 req/s at 0 ms, c=16",
        "one system token per user per lifetime, all workers",
        "every measured response was 200",
        "home telemetry overhead <= 15 % (p50 on vs off, sampling 1.0, 0 ms, c=1)",
        "history telemetry overhead <= 15 % (p50 on vs off, sampling 1.0, 0 ms, c=1)",
    ):
        assert expected in names
    assert sum(name.endswith("p99 <= 3 x p50 at 0 ms, c=1") for name in names) == len(PAGES)
    assert sum("peak RSS" in name for name in names) == 2


def _set(report: dict[str, Any], page: str, latency: int, concurrency: int, **values: Any):
    report = copy.deepcopy(report)
    for row in report["results"]:
        if (row["page"], row["latency_ms"], row["concurrency"]) == (page, latency, concurrency):
            row.update(values)
    return report


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        (("home", 0, 1, {"p50_ms": 3.2}), "home p50 <= 3 ms at 0 ms, c=1"),
        (("history", 0, 1, {"p50_ms": 6.5}), "history p50 <= 6 ms at 0 ms, c=1"),
        (("details", 0, 1, {"p50_ms": 5.1}), "details p50 <= 5 ms at 0 ms, c=1"),
        (("progress", 0, 1, {"p50_ms": 3.1}), "progress fragment p50 <= 3 ms at 0 ms, c=1"),
        (("failures", 0, 1, {"p99_ms": 12.5}), "failures p99 <= 3 x p50 at 0 ms, c=1"),
        (("preview", 100, 1, {"p50_ms": 131.0}), "preview p50 <= 1.2 x 100 + 10 ms at 100 ms"),
        (
            ("details", 100, 1, {"p50_ms": 131.0}),
            "details p50 <= 1.2 x critical path + 10 ms at 100 ms",
        ),
        (("home", 0, 16, {"rps": 799.0}), "home >= 800 req/s at 0 ms, c=16"),
        (
            ("preview", 0, 16, {"statuses": {"200": 399, "form 200": 1}}),
            "every measured response was 200",
        ),
    ],
)
def test_a_missed_target_fails(passing, change, failed) -> None:
    page, latency, concurrency, values = change
    assert _failed(_set(passing, page, latency, concurrency, **values)) == [failed]


def test_a_second_token_or_a_large_worker_fails(passing) -> None:
    report = {**passing, "system_token_requests": 2, "peak_rss_mb_per_worker": {"7": 121.0}}
    assert _failed(report) == [
        "one system token per user per lifetime, all workers",
        "worker 7 peak RSS <= 120 MB",
    ]


def test_telemetry_overhead_above_15_percent_fails(passing) -> None:
    report = copy.deepcopy(passing)
    report["telemetry"]["pages"]["history"].update(on_p50_ms=2.32, overhead_pct=16.0)
    assert _failed(report) == [
        "history telemetry overhead <= 15 % (p50 on vs off, sampling 1.0, 0 ms, c=1)"
    ]


def test_a_failed_response_with_telemetry_on_fails(passing) -> None:
    report = copy.deepcopy(passing)
    report["telemetry"]["rows"][1]["statuses"] = {"200": 399, "500": 1}
    assert _failed(report) == ["every measured response was 200"]


def test_without_the_telemetry_pass_there_is_no_telemetry_target(passing) -> None:
    report = {k: v for k, v in passing.items() if k != "telemetry"}
    assert not [c for c in bench.check_targets(report) if "telemetry" in c.name]
