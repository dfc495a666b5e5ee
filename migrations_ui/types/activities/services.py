"""The activities run's follow-up actions, each audited like a start (requested, then outcome)."""

from __future__ import annotations

from migrations_ui.clients.migration_api import MigrationApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.services.audit import AuditContext, Subject, audited
from migrations_ui.types.base import MigrationType


def _client(context: AuditContext) -> MigrationApiClient:
    return MigrationApiClient(username=getattr(context.user, "username", None) or None)


def activities_end(
    *, context: AuditContext, migration_type: MigrationType, migration_id: str, end_date: str
) -> None:
    """S11: end the NOMIS activities the run migrated (the service ends them on `end_date`)."""
    with audited(
        context=context,
        action=AuditEvent.Action.END_ACTIVITIES,
        subject=Subject.migration(migration_type.upstream_type, migration_id),
        details={"nomisActivityEndDate": end_date},
    ):
        _client(context).end_activities(migration_id)


def start_dates_move(
    *,
    context: AuditContext,
    migration_type: MigrationType,
    migration_id: str,
    current_start_date: str,
    new_start_date: str,
) -> list[str]:
    """S12: move the run's DPS start dates (and NOMIS end dates); DPS's warnings, if any."""
    with audited(
        context=context,
        action=AuditEvent.Action.MOVE_START_DATE,
        subject=Subject.migration(migration_type.upstream_type, migration_id),
        details={"activityStartDate": current_start_date, "newActivityStartDate": new_start_date},
    ) as attempt:
        warnings = _client(context).move_activity_start_dates(migration_id, new_start_date)
        if warnings:
            attempt.message = "Warnings from DPS: " + "; ".join(warnings)
    return warnings
