"""axe-core checks for browser tests (WCAG 2.2 AA)."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_axe = Axe()


def axe_violations(page: Any) -> list[str]:
    """Each WCAG 2.2 A/AA violation on the page: its rule and the elements breaking it."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    return [
        f"{v['id']} ({', '.join(str(t) for node in v['nodes'] for t in node['target'])})"
        for v in results.response["violations"]
    ]


def assert_no_axe_violations(page: Any) -> None:
    """Fail with axe's own report when the page has any WCAG 2.2 A/AA violation."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    assert results.violations_count == 0, results.generate_report()
