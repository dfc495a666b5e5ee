"""Adding and deleting visit room mappings, each recorded in the audit log before it is sent."""

from __future__ import annotations

from migrations_ui.clients.mapping_api import MappingApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.services.audit import AuditContext, Subject, audited


def _subject(prison_id: str, nomis_room: str) -> Subject:
    return Subject(kind=AuditEvent.SubjectKind.ROOM_MAPPING, id=f"{prison_id} / {nomis_room}")


def _client(context: AuditContext) -> MappingApiClient:
    return MappingApiClient(username=getattr(context.user, "username", None) or None)


def room_mapping_add(
    *, context: AuditContext, prison_id: str, nomis_room: str, dps_room: str, is_open: bool
) -> None:
    """R2: map a NOMIS room to a DPS room. A mapped room is refused upstream (400 or 409)."""
    with audited(
        context=context,
        action=AuditEvent.Action.ADD_ROOM_MAPPING,
        subject=_subject(prison_id, nomis_room),
        details={"dpsRoom": dps_room, "isOpen": is_open},
    ):
        _client(context).add_room_mapping(
            prison_id, nomis_room=nomis_room, dps_room=dps_room, is_open=is_open
        )


def room_mapping_delete(
    *, context: AuditContext, prison_id: str, nomis_room: str, dps_room: str, is_open: bool
) -> None:
    """R3: remove a room's mapping; what it mapped to is kept in the audit details."""
    with audited(
        context=context,
        action=AuditEvent.Action.DELETE_ROOM_MAPPING,
        subject=_subject(prison_id, nomis_room),
        details={"dpsRoom": dps_room, "isOpen": is_open},
    ):
        _client(context).delete_room_mapping(prison_id, nomis_room)
