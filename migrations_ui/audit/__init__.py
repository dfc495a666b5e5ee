"""The audit log's review pages: the list, its CSV export, one event (settling a lost answer) and
the metrics Prometheus alerts on."""

from __future__ import annotations

from kernel.tiles import ADMINISTRATION, Tile

PERMISSION = "migrations_ui.view_audit_log"
TILE = Tile(
    "Audit log",
    "/audit/",
    PERMISSION,
    group=ADMINISTRATION,
    description="Who started, cancelled and purged what, and when.",
)
