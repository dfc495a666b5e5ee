"""The mapping service (`hmpps-nomis-mapping-service`): visit room mappings, R1-R3.

Contract: upstream-api.md §7.3 and upstream-api-types.md §3. Room descriptions are path segments
and are percent-encoded (they may hold spaces, slashes, ampersands or quotes).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from migrations_ui.clients.base import SystemTokenClient
from upstream import path_segment


class RoomMapping(NamedTuple):
    """One `RoomMappingDto`: a NOMIS room and the DPS room it maps to.

    A tuple, made by position: a prison's room table reads hundreds, and this is about half the
    cost of a frozen dataclass made by keyword (timeit).
    """

    prison_id: str
    nomis_room: str
    dps_room: str
    is_open: bool

    @classmethod
    def from_json(cls, data: Any) -> RoomMapping:
        if not isinstance(data, dict):
            raise ValueError("room mapping")
        nomis_room, dps_room = data.get("nomisRoomDescription"), data.get("vsipId")
        if not isinstance(nomis_room, str) or not isinstance(dps_room, str):
            raise ValueError("room mapping")
        return cls(
            str(data.get("prisonId") or ""), nomis_room, dps_room, data.get("isOpen") is True
        )


class MappingApiClient(SystemTokenClient):
    service = "mapping service"
    url_setting = "MAPPING_API_URL"
    timeout_key = "mappingApi"

    def room_mappings(self, prison_id: str) -> list[RoomMapping]:
        """R1 `GET /prison/{prisonId}/room-mappings`: every mapped room, by description."""
        mappings = self.room_mappings_if_changed(prison_id, known_body=None)[1]
        assert mappings is not None  # noqa: S101 (no body given: always decoded)
        return mappings

    def room_mappings_if_changed(
        self, prison_id: str, *, known_body: bytes | None
    ) -> tuple[bytes, list[RoomMapping] | None]:
        """R1 as `room_mappings`, with its body; None for the list when the body is `known_body`,
        which the caller has decoded already (the room table, `selectors.room_mappings`).
        """
        response = self.call("GET", f"/prison/{path_segment(prison_id)}/room-mappings")
        if response.content == known_body:
            return response.content, None
        body = self.json_of(response)
        if not isinstance(body, list):
            raise self.malformed(response, "room mapping list")
        try:
            return response.content, [RoomMapping.from_json(item) for item in body]
        except ValueError as exc:
            raise self.malformed(response, "room mapping list") from exc

    def add_room_mapping(
        self, prison_id: str, *, nomis_room: str, dps_room: str, is_open: bool
    ) -> None:
        """R2 `POST /prison/{prisonId}/room-mappings`: 201; 400 (or 409) if the room is mapped."""
        self.call(
            "POST",
            f"/prison/{path_segment(prison_id)}/room-mappings",
            json_body={"vsipId": dps_room, "nomisRoomDescription": nomis_room, "isOpen": is_open},
        )

    def delete_room_mapping(self, prison_id: str, nomis_room: str) -> None:
        """R3 `DELETE /prison/{prisonId}/room-mappings/nomis-room-id/{description}`: 204."""
        self.call(
            "DELETE",
            f"/prison/{path_segment(prison_id)}/room-mappings/nomis-room-id/"
            f"{path_segment(nomis_room)}",
        )
