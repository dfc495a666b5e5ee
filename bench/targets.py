"""The benchmark's figures and its PASS/FAIL judgement, as ratios to references measured in the
same run, so a check means the same on an idle laptop and on a busy CI machine.

Each round measures two floors beside the pages: the dashboard's `/ping` through the whole
middleware stack (server and framework cost) and the sandbox's `/health/ping` (one upstream round
trip). A page's floor is `dashboard_requests x ping + critical_path x upstream ping`: what the
page cannot go below on this machine at that moment. Every figure is the median over the rounds.

- CPU-bound pages (0 ms added upstream latency, concurrency 1) must keep p50 / floor at or below
  the ratio calibrated for them (bench/targets.json).
- Upstream-bound pages (visits preview and details at 20 and 100 ms added latency) must keep
  p50 / critical path (round trips x the added latency) at or below their calibrated ratio.
- Fixed targets (targets.json's "fixed", issue 30) hold beside the calibrated ones, the lower
  bound winning: p50 / floor for home, the room table and every type's history page
  ("floor_of_kind"), p50 / critical path at 100 ms, and a page's worker CPU a request over
  /ping's in the same round (cpu_figures).
- Scaling: home, history and the room table serve at least 1.5 x as many requests a second at
  concurrency 16 as at 1, at 1 measured just before and just after 16 (`c1_rps_beside`); p99
  stays within 2.5 x p50 at concurrency 1 for every page, or, round by round, within the
  p99 / p50 the machine gave the /ping interleaved with it, when a loaded machine made that worse
  (p99_score).
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path
from typing import Any

from bench.load import Page, Setting, percentile

TARGETS_FILE = Path(__file__).resolve().parent / "targets.json"
# The floors' own names in the results.
PING = "floor: dashboard /ping"
UPSTREAM_PING = "floor: sandbox /health/ping"
FLOORS = (PING, UPSTREAM_PING)
ROOM_TABLE = "room table (203 rooms)"
SCALING_PAGES = ("home", "visits history", ROOM_TABLE)
SCALING_MIN = 1.5
PEAK_RSS_MB = 100
P99_OVER_P50_MAX = 2.5
# Calibration: a page's target is the highest ratio seen in the calibration runs, times this.
# With each page's floor taken from /pings interleaved with it, a page's ratio moved by 2-19 %
# between four calibration runs (home 2.33-2.65, 2026-11-30; 44 % for the seconds-long CSV export;
# home's moved by 40 % before, with the floor measured apart), while 2 ms more on home is about
# +0.9 (2 ms over a /ping of about 2.2 ms): a wider margin would let that pass.
CALIBRATION_MARGIN = 1.15
UPSTREAM_SETTINGS = (20, 100)
UPSTREAM_PAGES = ("visits preview", "visits details")
# The pages every migration type has ("<type> history" ...). A type's page with no calibrated
# target (a type added since the last calibration) is held to the highest calibrated target of
# its kind, so adding a type needs no edit to targets.json.
TYPE_PAGE_KINDS = ("history", "preview", "details", "progress")
# The overview (issue 29) with all eleven types running, judged against the slowest single
# upstream call at each setting (OVERVIEW_CALL) rather than a calibrated ratio (overview_checks):
# as deployed, figures shared for 5 s. Beside it, for the record, the worst case: every request
# reading them (the first after those 5 s), which costs the dashboard about 1 ms of CPU a call.
OVERVIEW_PAGES = ("overview", "overview (figures read at each request)")
OVERVIEW_CALL = "overview: slowest of its upstream calls"
OVERVIEW_SETTINGS = (0, 20, 100)
OVERVIEW_CALL_FACTOR = 1.2


def measurement(
    page: Page, setting: Setting, measured: dict[str, Any], round_no: int, floors: dict[str, float]
) -> dict[str, Any]:
    """One page's figures in one round (floors: this round's p50 of each floor, ms).

    Where the page's requests were interleaved with /ping (`measured["pings"]`), the dashboard
    part of its floor is those pings' p50: the same connection, so the same worker, at the same
    moments as the page.
    """
    latencies = measured["latencies"] or [0.0]
    pings = measured.get("pings") or []
    critical_ms = page.critical_path * setting.latency_ms
    ping = statistics.median(pings) if pings else floors.get(PING, 0.0)
    floor = page.dashboard_requests * ping + page.critical_path * floors.get(UPSTREAM_PING, 0.0)
    p50 = statistics.median(latencies)
    # The interleaved pings' time is not the page's: requests a second count the page's alone.
    busy_s = max(measured["elapsed_s"] - sum(pings) / 1000, 1e-9)
    row = {
        "dashboard_requests": page.dashboard_requests,
        "critical_path": page.critical_path,
        "page": page.name,
        "latency_ms": setting.latency_ms,
        "concurrency": setting.concurrency,
        "round": round_no,
        "requests": len(measured["latencies"]),
        "statuses": measured["statuses"],
        "p50_ms": round(p50, 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "rps": round(len(measured["latencies"]) / busy_s, 1),
        "floor_ms": round(floor, 3),
        "critical_path_ms": critical_ms,
    }
    if pings:
        row["ping_p50_ms"] = round(statistics.median(pings), 3)
        row["ping_p99_ms"] = round(percentile(pings, 99), 3)
    return row


def apply_round_floors(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each page of one round that has no interleaved pings of its own the floor of the
    whole round: the median of the floors measured in it.

    One floor measurement can meet a worker refreshing a cached 5,000-row history in the
    background (the /ping p50 then doubles); the round's median does not, and still follows the
    machine's load from round to round. A page measured with interleaved pings keeps its own:
    whatever slowed its worker slowed those pings alike.
    """
    samples: dict[str, list[float]] = {name: [] for name in FLOORS}
    for r in rows:
        if r["page"] in FLOORS:
            samples[r["page"]].append(r["p50_ms"])
        elif "ping_p50_ms" in r:
            samples[PING].append(r["ping_p50_ms"])
    floors = {name: statistics.median(values) for name, values in samples.items() if values}
    for row in rows:
        if row["page"] not in FLOORS:
            ping = row.get("ping_p50_ms", floors.get(PING, 0.0))
            row["floor_ms"] = round(
                row["dashboard_requests"] * ping
                + row["critical_path"] * floors.get(UPSTREAM_PING, 0.0),
                3,
            )
    return rows


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One figure per page and setting: the median over its rounds (ratios per round first)."""
    groups: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["page"], row["latency_ms"], row["concurrency"]), []).append(row)
    figures = []
    for (page, latency, concurrency), group in groups.items():
        statuses: dict[str, int] = {}
        for row in group:
            for code, seen in row["statuses"].items():
                statuses[str(code)] = statuses.get(str(code), 0) + seen
        ratios = [r["p50_ms"] / r["floor_ms"] for r in group if r["floor_ms"] > 0]
        # How far the machine stretched a request that does nothing, at the page's moments.
        ping_tails = [r["ping_p99_ms"] / r["ping_p50_ms"] for r in group if r.get("ping_p50_ms")]
        critical = group[0]["critical_path_ms"]
        figures.append(
            {
                "page": page,
                "latency_ms": latency,
                "concurrency": concurrency,
                "rounds": len(group),
                "requests": sum(r["requests"] for r in group),
                "statuses": statuses,
                **{
                    field: round(statistics.median(r[field] for r in group), 2)
                    for field in ("p50_ms", "p95_ms", "p99_ms", "rps", "floor_ms")
                },
                "critical_path_ms": critical,
                "p50_over_floor": round(statistics.median(ratios), 2) if ratios else None,
                "p50_over_critical_path": (
                    round(statistics.median(r["p50_ms"] for r in group) / critical, 3)
                    if critical
                    else None
                ),
                "p99_over_p50": round(
                    statistics.median(r["p99_ms"] / r["p50_ms"] for r in group), 2
                )
                if all(r["p50_ms"] > 0 for r in group)
                else None,
                "ping_p99_over_p50": round(statistics.median(ping_tails), 2)
                if ping_tails
                else None,
                # Each round's (page's p99 / p50, its pings' p99 / p50), for the tail check.
                "tail_rounds": [
                    (
                        round(r["p99_ms"] / r["p50_ms"], 3),
                        round(r["ping_p99_ms"] / r["ping_p50_ms"], 3)
                        if r.get("ping_p50_ms")
                        else None,
                    )
                    for r in group
                    if r["p50_ms"] > 0
                ],
                **_scaling(group),
            }
        )
    return figures


def _scaling(group: list[dict[str, Any]]) -> dict[str, float]:
    """Concurrency 16 against 1 measured beside it, per round, then the median over rounds.

    Beside `make test`, c=1 measured with the other pages and c=16 a minute later met different
    loads: their rounds' ratios ran from 1.1 to 2.6, and the ratio of the two medians failed
    runs whose rounds mostly passed.
    """
    if not all(r.get("c1_rps_beside") for r in group):
        return {}
    return {
        "c1_rps_beside": round(statistics.median(r["c1_rps_beside"] for r in group), 1),
        "scaling": round(statistics.median(r["rps"] / r["c1_rps_beside"] for r in group), 2),
    }


# -- Targets


@dataclasses.dataclass
class Check:
    name: str
    passed: bool
    detail: str
    # The page the check is about, for the report's per-page table ("" for the whole run).
    page: str = ""
    value: float | None = None
    target: float | None = None


def load_targets(path: Path = TARGETS_FILE) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {"floor": {}, "critical_path": {}}


def floor_target(targets: dict[str, Any], page: str) -> tuple[float | None, str]:
    """The page's p50 / floor bound, and what it is when not the page's own calibrated one ("" when
    it is): the lower of that (or the highest of its kind's) and its fixed target."""
    calibrated, borrowed = _calibrated_floor(targets, page)
    fixed_targets = targets.get("fixed", {})
    fixed = fixed_targets.get("floor", {}).get(page)
    if fixed is None:
        fixed = fixed_targets.get("floor_of_kind", {}).get(_kind(page))
    if fixed is not None and (calibrated is None or fixed < calibrated):
        return fixed, " (fixed target)"
    return calibrated, borrowed


def _kind(page: str) -> str:
    """ "history", "preview", "details" or "progress" for a type's page, else ""."""
    kind = page.rsplit(" ", 1)[-1]
    return kind if kind in TYPE_PAGE_KINDS else ""


def _calibrated_floor(targets: dict[str, Any], page: str) -> tuple[float | None, str]:
    own = targets["floor"].get(page)
    if own is not None:
        return own, ""
    kind = _kind(page)
    if not kind:
        return None, ""
    of_its_kind = [bound for name, bound in targets["floor"].items() if name.endswith(f" {kind}")]
    if not of_its_kind:
        return None, ""
    return max(of_its_kind), f" (not calibrated: the highest {kind} page's target)"


def _find(figures: list[dict[str, Any]], page: str, latency: int, concurrency: int) -> Any:
    for f in figures:
        if (f["page"], f["latency_ms"], f["concurrency"]) == (page, latency, concurrency):
            return f
    return None


def _cpu_bound(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        f
        for f in figures
        if f["latency_ms"] == 0
        and f["concurrency"] == 1
        and f["page"] not in FLOORS
        and f["page"] not in (*OVERVIEW_PAGES, OVERVIEW_CALL)
        and f["p50_over_floor"] is not None
    ]


def check_targets(report: dict[str, Any], targets: dict[str, Any]) -> list[Check]:
    figures = report["figures"]
    checks: list[Check] = []
    for f in _cpu_bound(figures):
        bound, borrowed = floor_target(targets, f["page"])
        ratio = f["p50_over_floor"]
        if bound is None:
            checks.append(
                Check(f"{f['page']}: p50 / floor", False, "no calibrated target", f["page"], ratio)
            )
            continue
        checks.append(
            Check(
                f"{f['page']}: p50 / floor <= {bound}",
                ratio <= bound,
                f"{f['p50_ms']:.2f} ms / {f['floor_ms']:.2f} ms = {ratio:.2f} <= {bound}{borrowed}",
                f["page"],
                ratio,
                bound,
            )
        )
    for page in UPSTREAM_PAGES:
        for latency in UPSTREAM_SETTINGS:
            f = _find(figures, page, latency, 1)
            key = f"{page} at {latency} ms"
            fixed = targets.get("fixed", {}).get("critical_path", {}).get(key)
            bound = min(
                (b for b in (targets["critical_path"].get(key), fixed) if b is not None),
                default=None,
            )
            if f is None or bound is None:
                continue
            ratio = f["p50_over_critical_path"]
            checks.append(
                Check(
                    f"{key}: p50 / critical path <= {bound}",
                    ratio <= bound,
                    f"{f['p50_ms']:.1f} ms / {f['critical_path_ms']} ms = {ratio:.3f} <= {bound}",
                    page,
                    ratio,
                    bound,
                )
            )
    for page in SCALING_PAGES:
        sixteen = _find(figures, page, 0, 16)
        if sixteen is None:
            continue
        # Only against concurrency 1 measured beside it: a figure without that fails.
        scale = sixteen.get("scaling")
        detail = (
            "no concurrency 1 measured beside it"
            if scale is None
            else f"median over rounds of c=16 / c=1 just before and after it: {scale:.2f} "
            f"(medians {sixteen['rps']:.0f} / {sixteen['c1_rps_beside']:.0f}) >= {SCALING_MIN}"
        )
        checks.append(
            Check(
                f"{page}: req/s at c=16 >= {SCALING_MIN} x c=1",
                scale is not None and scale >= SCALING_MIN,
                detail,
                page,
                scale,
                SCALING_MIN,
            )
        )
    checks += overview_checks(figures)
    machine_tail = machine_tail_of(figures)
    for f in figures:
        # Pages only: a floor is a reference, a fraction of a millisecond that a single
        # scheduler tick doubles.
        if f["latency_ms"] == 0 and f["concurrency"] == 1 and f["page"] not in FLOORS:
            if f["page"] in (OVERVIEW_CALL, OVERVIEW_PAGES[1]):
                continue  # a reference, as the floors are, and a worst case for the record
            score = p99_score(f, machine_tail)
            bounds = [round(p99_bound(ping, machine_tail), 2) for _, ping in f["tail_rounds"]]
            checks.append(
                Check(
                    f"{f['page']}: p99 <= {P99_OVER_P50_MAX} x p50 at c=1 (or the machine's tail)",
                    score is not None and score <= 1,
                    f"p99 / p50 = {f['p99_ms']:.2f} / {f['p50_ms']:.2f} = {f['p99_over_p50']}; "
                    f"median over rounds of p99 / p50 over the round's bound {bounds}: "
                    f"{or_dash(score)} <= 1",
                    f["page"],
                    score,
                    1.0,
                )
            )
    # One user signed in for the whole run, shorter than one token lifetime (20 minutes): its
    # system token must have been fetched once, across both workers.
    tokens = report["system_token_requests"]
    checks.append(
        Check("one system token per user per lifetime, all workers", tokens <= 1, f"{tokens} <= 1")
    )
    for pid, mb in report["peak_rss_mb_per_worker"].items():
        checks.append(
            Check(
                f"worker {pid} peak RSS <= {PEAK_RSS_MB} MB",
                mb <= PEAK_RSS_MB,
                f"{mb:.1f} <= {PEAK_RSS_MB}",
            )
        )
    cpu_bounds = targets.get("fixed", {}).get("cpu_over_ping", {})
    checks += cpu_checks(report.get("worker_cpu", {}).get("figures", {}), cpu_bounds)
    for page, figures_on_off in report.get("telemetry", {}).get("pages", {}).items():
        overhead = figures_on_off["overhead_pct"]
        checks.append(
            Check(
                f"{page} telemetry overhead <= 15 % (p50 on vs off, sampling 1.0, 0 ms, c=1)",
                overhead <= 15,
                f"{figures_on_off['on_p50_ms']:.2f} vs {figures_on_off['off_p50_ms']:.2f} ms: "
                f"{overhead:+.1f} % <= 15 %",
            )
        )
    telemetry_rows = report.get("telemetry", {}).get("rows", [])
    cpu_rows = report.get("worker_cpu", {}).get("rows", [])
    failed = [f for f in [*figures, *telemetry_rows, *cpu_rows] if not all_ok(f["statuses"])]
    checks.append(
        Check(
            "every measured response was 200",
            not failed,
            ", ".join(f"{f['page']}: {status_text(f['statuses'])}" for f in failed) or "all 200",
        )
    )
    return checks


def cpu_measured(page: str) -> bool:
    """Whether the benchmark measures the page's worker CPU a request beside /ping's: home,
    the room table and every type's history page."""
    return page in ("home", ROOM_TABLE) or _kind(page) == "history"


def cpu_figures(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per page, the median over rounds of its worker CPU a request (ms) and of that over the
    /ping's of the same round (rows: one a page a round, /ping's named PING)."""
    pings = {r["round"]: r["cpu_ms"] for r in rows if r["page"] == PING}
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["page"], []).append(row)
    figures = {}
    for page, group in groups.items():
        ratios = [r["cpu_ms"] / pings[r["round"]] for r in group if pings.get(r["round"])]
        figures[page] = {
            "requests": sum(r["requests"] for r in group),
            "cpu_ms": round(statistics.median(r["cpu_ms"] for r in group), 3),
            "over_ping": round(statistics.median(ratios), 2) if ratios else None,
        }
    return figures


def cpu_checks(figures: dict[str, dict[str, Any]], bounds: dict[str, float]) -> list[Check]:
    """Each page's worker CPU a request over /ping's against its bound (targets' fixed
    cpu_over_ping)."""
    checks = []
    for page, bound in bounds.items():
        f = figures.get(page)
        if f is None:
            continue  # not measured in this run (--pages)
        ratio = f["over_ping"]
        checks.append(
            Check(
                f"{page}: worker CPU a request <= {bound} x /ping's",
                ratio is not None and ratio <= bound,
                f"{f['cpu_ms']:.3f} ms / {figures.get(PING, {}).get('cpu_ms', 0):.3f} ms "
                f"= {or_dash(ratio)} <= {bound}",
                page,
                ratio,
                bound,
            )
        )
    return checks


def overview_checks(figures: list[dict[str, Any]]) -> list[Check]:
    """The overview as deployed, every type running: p50 at most 1.2 x the slowest single
    upstream call plus the page's floor, at each setting (issue 29).

    The slowest single call is OVERVIEW_CALL at the same added latency, measured just before the
    page (bench.run.slowest_call: the page's eleven M5 calls side by side, each batch's slowest);
    the floor is the page's own, as every page's: its dashboard requests x the /pings
    interleaved with it.
    """
    checks = []
    page = OVERVIEW_PAGES[0]
    for latency in OVERVIEW_SETTINGS:
        f = _find(figures, page, latency, 1)
        call = _find(figures, OVERVIEW_CALL, latency, 1)
        if f is None or call is None:
            continue
        bound = OVERVIEW_CALL_FACTOR * call["p50_ms"] + f["floor_ms"]
        ratio = round(f["p50_ms"] / bound, 3)
        checks.append(
            Check(
                f"{page} at {latency} ms: p50 <= {OVERVIEW_CALL_FACTOR} x the slowest single "
                "upstream call + floor",
                ratio <= 1,
                f"{f['p50_ms']:.2f} ms <= {OVERVIEW_CALL_FACTOR} x {call['p50_ms']:.2f} + "
                f"{f['floor_ms']:.2f} = {bound:.2f} ms",
                page,
                ratio,
                1.0,
            )
        )
    return checks


def machine_tail_of(figures: list[dict[str, Any]]) -> float | None:
    """The run's typical p99 / p50 of the /ping interleaved with the pages: how much the machine
    itself stretched its slowest requests while the pages were measured."""
    tails = [f["ping_p99_over_p50"] for f in figures if f.get("ping_p99_over_p50")]
    return statistics.median(tails) if tails else None


def p99_bound(ping_tail: float | None, machine_tail: float | None) -> float:
    """The highest p99 / p50 a page may have in a round: 2.5, or what the machine did in that
    round to a request that does nothing at the same moments (`ping_tail`), if that was worse.

    On an idle machine /ping's p99 is within 2.5 x its p50, so the bound is 2.5. Under load
    (`make test` beside the benchmark) the interleaved /ping's own p99 / p50 was 4-5: a request
    descheduled for a time slice or two, which no page can avoid. The page's own pings are
    capped at the run's typical ping tail, so a worker stalled by the page's own background work
    (its pings stalled alike) does not raise its own bound.
    """
    if ping_tail and machine_tail:
        machine = min(ping_tail, machine_tail)
    else:
        machine = ping_tail or machine_tail or 0.0
    return max(P99_OVER_P50_MAX, machine)


def p99_score(figure: dict[str, Any], machine_tail: float | None) -> float | None:
    """The median over rounds of the page's p99 / p50 over that round's bound: at most 1 passes.

    Round by round, because a burst of load stretches the page and its pings in the same round:
    beside `make test` one page's tails were 2.09, 2.65, 2.55, 2.67 and 1.99 while its pings'
    were 1.55, 5.02, 4.39, 2.26 and 2.00. Their medians apart (2.55 against 2.26) failed a page
    that was within its bound in four rounds of five.
    """
    rounds = figure.get("tail_rounds") or []
    if not rounds:
        return None
    return round(
        statistics.median(page / p99_bound(ping, machine_tail) for page, ping in rounds), 2
    )


def calibrate(reports: list[dict[str, Any]], margin: float = CALIBRATION_MARGIN) -> dict[str, Any]:
    """Targets from runs of today's code on an idle machine: the highest ratio seen, x margin."""
    floor: dict[str, float] = {}
    critical: dict[str, float] = {}
    for report in reports:
        for f in _cpu_bound(report["figures"]):
            floor[f["page"]] = max(floor.get(f["page"], 0.0), f["p50_over_floor"])
        for page in UPSTREAM_PAGES:
            for latency in UPSTREAM_SETTINGS:
                f = _find(report["figures"], page, latency, 1)
                if f:
                    key = f"{page} at {latency} ms"
                    critical[key] = max(critical.get(key, 0.0), f["p50_over_critical_path"])
    return {
        "calibrated_from": [r["generated"] for r in reports],
        "margin": margin,
        "floor": {page: round(value * margin, 1) for page, value in sorted(floor.items())},
        # Upstream-bound pages are mostly waiting: the margin applies to what is not waiting.
        "critical_path": {
            key: round(1 + (value - 1) * margin, 3) for key, value in sorted(critical.items())
        },
    }


def or_dash(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def all_ok(statuses: dict[Any, int]) -> bool:
    return {str(code) for code in statuses} <= {"200"}


def status_text(statuses: dict[Any, int]) -> str:
    return " ".join(f"{code}x{count}" for code, count in sorted(statuses.items(), key=str))
