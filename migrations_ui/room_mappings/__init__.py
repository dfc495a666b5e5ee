"""Visit room mappings: the admin pages operators use to map the NOMIS rooms visits need.

For whoever runs visits migrations (reference-dashboard.md §3): the visits type's roles and SYSCON.
"""

from __future__ import annotations

from kernel.tiles import ADMINISTRATION, Tile
from migrations_ui.types import visits
from migrations_ui.types.base import SYSCON_ROLE

PERMISSION = "migrations_ui.manage_room_mappings"
ROLES = (*visits.TYPE.roles, SYSCON_ROLE)
# The existing dashboard's address, so bookmarks keep working.
URL_PREFIX = "visits-room-mappings"
TILE = Tile(
    "Visit room mappings",
    f"/{URL_PREFIX}/prison",
    PERMISSION,
    group=ADMINISTRATION,
    description="Which DPS visit room each NOMIS room maps to, for visits migrations.",
)
