"""bench/results/<name>.json, .md and .png: per page the absolute figures, the floor, the ratio,
the target and PASS/FAIL."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from bench.targets import Check, or_dash, status_text

RESULTS = Path(__file__).resolve().parent / "results"

HEADER = (
    "| page | upstream ms | c | requests | p50 ms | p95 ms | p99 ms | req/s | floor ms "
    "| ratio | target | result | p99 / p50 | its /ping's p99 / p50 | statuses |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)

NOTES = """Notes:
- Every figure is the median of its rounds; rounds alternate the order of the pages. The floor
  is dashboard requests x the dashboard's /ping plus upstream round trips x the sandbox's
  /health/ping. At concurrency 1 and 0 ms each page request follows a /ping on the same
  connection (so the same worker, at the same moment), and those pings are its dashboard floor;
  elsewhere the floors are measured before every page and taken as the round's median. "ratio" is
  p50 / floor at 0 ms added upstream latency, p50 / critical path (round trips x the added
  latency) at 20 and 100 ms.
- Targets are calibrated (bench/targets.json): the highest ratio seen on an idle machine for
  today's code, times a margin; `python -m bench.calibrate` writes them from result files.
- p99 must stay within 2.5 x p50 at concurrency 1, or, round by round, within the p99 / p50 of
  the /ping interleaved with the page in that round where a loaded machine stretched that
  further (capped at the run's median ping tail, so a worker's own stall does not excuse itself).
- visits preview is the user's "Continue to preview": the start form's POST and the GET it
  redirects to, timed as one. The other types' previews are their GET alone.
- sign-in is the whole redirect round trip of a new browser session: the dashboard's /sign-in,
  HMPPS Auth's form and its POST, the callback's code exchange and the home page.
- history is served from each worker's copy of the upstream list for up to 5 s, so most of its
  requests wait for no upstream call and its ratio can be below 1."""


def row_text(figure: dict[str, Any], check: Check | None) -> str:
    ratio: float | None
    if check is not None and check.value is not None:
        # The figure its target is for: at concurrency 16, the scaling over concurrency 1.
        ratio = check.value
    elif figure["latency_ms"] == 0:
        ratio = figure.get("p50_over_floor")
    else:
        ratio = figure.get("p50_over_critical_path")
    ratio_text = "-" if ratio is None else f"{ratio:.2f}"
    target = "-" if check is None or check.target is None else f"{check.target:g}"
    result = "-" if check is None else ("PASS" if check.passed else "FAIL")
    return (
        f"| {figure['page']} | {figure['latency_ms']} | {figure['concurrency']} "
        f"| {figure['requests']} | {figure['p50_ms']:.2f} | {figure['p95_ms']:.2f} "
        f"| {figure['p99_ms']:.2f} | {figure['rps']:.0f} | {figure['floor_ms']:.2f} "
        f"| {ratio_text} | {target} | {result} | {or_dash(figure.get('p99_over_p50'))} "
        f"| {or_dash(figure.get('ping_p99_over_p50'))} | {status_text(figure['statuses'])} |"
    )


def _check_for(figure: dict[str, Any], checks: list[Check]) -> Check | None:
    """The ratio check of a figure's own page and setting."""
    for check in checks:
        if check.page != figure["page"] or check.target is None:
            continue
        if figure["concurrency"] == 16 and "c=16" in check.name:
            return check
        if figure["concurrency"] == 1 and figure["latency_ms"] == 0 and "floor" in check.name:
            return check
        if figure["latency_ms"] and f"at {figure['latency_ms']} ms" in check.name:
            return check
    return None


def write(report: dict[str, Any], checks: list[Check], name: str) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {**report, "checks": [dataclasses.asdict(c) for c in checks]}
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2))
    figures = sorted(
        report["figures"], key=lambda f: (f["latency_ms"], f["concurrency"], _order(report, f))
    )
    lines = [HEADER, *(row_text(f, _check_for(f, checks)) for f in figures)]
    failed = [c for c in checks if not c.passed]
    lines += [
        "",
        f"{len(checks) - len(failed)} of {len(checks)} targets pass.",
        "",
        "| target | result | measured |",
        "|---|---|---|",
    ]
    lines += [f"| {c.name} | {'PASS' if c.passed else 'FAIL'} | {c.detail} |" for c in checks]
    cpu = report.get("worker_cpu", {}).get("figures")
    if cpu:
        cpu_checks = {c.page: c for c in checks if "worker CPU" in c.name}
        lines += [
            "",
            "Worker CPU a request (all threads of both workers), each page alone at 0 ms, c=1, "
            "the median over rounds:",
            "",
            "| page | CPU ms a request | x /ping's (same round) | target | result |",
            "|---|---|---|---|---|",
        ]
        for page, f in cpu.items():
            check = cpu_checks.get(page)
            target = "-" if check is None else f"{check.target:g}"
            result = "-" if check is None else ("PASS" if check.passed else "FAIL")
            lines.append(
                f"| {page} | {f['cpu_ms']:.3f} | {or_dash(f['over_ping'])} | {target} | {result} |"
            )
    telemetry = report.get("telemetry")
    if telemetry and telemetry["pages"]:
        lines += [
            "",
            "Telemetry (Application Insights through OpenTelemetry, sampling 1.0, exported to the "
            f"sandbox: {telemetry['envelopes_received']} envelopes received), 0 ms, c=1, "
            f"{telemetry.get('dashboards_a_side', 1)} new dashboards a side taking turns:",
            "",
            "| page | p50 off ms | p50 on ms | overhead | worker CPU ms a request, off | on |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {page} | {f['off_p50_ms']:.2f} | {f['on_p50_ms']:.2f} "
            f"| {f['overhead_pct']:+.1f} % | {f.get('off_cpu_ms', '-')} "
            f"| {f.get('on_cpu_ms', '-')} |"
            for page, f in telemetry["pages"].items()
        ]
    lines += [
        "",
        f"Peak RSS per worker (MB): {report['peak_rss_mb_per_worker']}; "
        f"{report['rounds']} rounds; {report['duration_s']} s; niceness "
        f"{report.get('nice', 0)}; load average at the end "
        f"{', '.join(f'{v:.2f}' for v in report['machine']['load_average'])}.",
        "",
        NOTES,
    ]
    markdown = "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(markdown)
    _chart(report, RESULTS / f"{name}.png")
    return markdown


def _order(report: dict[str, Any], figure: dict[str, Any]) -> int:
    names = report.get("page_order", [])
    return names.index(figure["page"]) if figure["page"] in names else len(names)


def _chart(report: dict[str, Any], path: Path) -> None:
    """Each page's p50 / floor at 0 ms, concurrency 1, against its target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = [
        f
        for f in report["figures"]
        if f["latency_ms"] == 0 and f["concurrency"] == 1 and f.get("p50_over_floor") is not None
    ]
    figures.sort(key=lambda f: _order(report, f))
    targets = {c["page"]: c["target"] for c in report["checks"] if "floor" in c["name"]}
    names = [f["page"] for f in figures]
    height = max(4.0, 0.22 * len(names) + 1.5)
    figure, axes = plt.subplots(figsize=(9, height))
    positions = range(len(names))
    colours = [
        "#d4351c"
        if targets.get(f["page"]) and f["p50_over_floor"] > targets[f["page"]]
        else "#1d70b8"
        for f in figures
    ]
    axes.barh(list(positions), [f["p50_over_floor"] for f in figures], color=colours)
    for y, f in enumerate(figures):
        target = targets.get(f["page"])
        if target:
            axes.plot([target, target], [y - 0.4, y + 0.4], color="#0b0c0c", linewidth=2)
    axes.set_yticks(list(positions))
    axes.set_yticklabels(names, fontsize=7)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("p50 / floor (log scale); black bar: target; red: over target")
    axes.set_title("Dashboard pages against the same-run floor (0 ms upstream, concurrency 1)")
    axes.grid(True, axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
