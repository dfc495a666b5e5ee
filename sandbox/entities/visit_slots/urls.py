"""Visit Slots paths, each relative to its service's prefix (sandbox.urls adds the prefixes)."""

from django.urls import path

from sandbox.entities.visit_slots import views
from sandbox.views.common import methods

nomis_patterns = [
    path("visits/configuration/time-slots/ids", methods(GET=views.time_slot_ids)),
]

mapping_patterns = [
    path(
        "mapping/visit-slots/time-slots/nomis-prison-id/<str:prison_id>"
        "/nomis-day-of-week/<str:day>/nomis-slot-sequence/<int:sequence>",
        methods(GET=views.slot_mapping),
    ),
    path(
        "mapping/visit-slots/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
]
