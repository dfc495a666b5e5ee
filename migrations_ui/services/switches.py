"""Turning a NOMIS agency switch on for a prison ("Activate prison"), audited like a start."""

from __future__ import annotations

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.services.audit import AuditContext, Subject, audited
from migrations_ui.types.base import MigrationType


def prison_activate(
    *, context: AuditContext, migration_type: MigrationType, service_code: str, prison_id: str
) -> None:
    """N12 for `service_code` (`ACTIVITY`, `APPOINTMENTS`) and the prison, recorded first.

    The subject is the switch itself ("ACTIVITY MDI"); the migration type is kept so the type's
    pages and the audit filter find it.
    """
    subject = Subject(
        kind=AuditEvent.SubjectKind.AGENCY_SWITCH,
        id=f"{service_code} {prison_id}",
        migration_type=migration_type.upstream_type,
    )
    with audited(
        context=context,
        action=AuditEvent.Action.ACTIVATE_PRISON,
        subject=subject,
        details={"serviceCode": service_code, "prisonId": prison_id},
    ):
        NomisPrisonerApiClient(
            username=getattr(context.user, "username", None) or None
        ).activate_agency(service_code, prison_id)
