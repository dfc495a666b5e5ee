"""Visits paths, each relative to its service's prefix (sandbox.urls adds the prefixes)."""

from django.urls import path

from sandbox.entities.visits import views
from sandbox.views.common import methods

migration_patterns = [
    path("migrate/visits/rooms/usage", methods(GET=views.rooms_usage)),
]

nomis_patterns = [
    path("visits/ids", methods(GET=views.visit_ids)),
    path("visits/rooms/usage-count", methods(GET=views.rooms_usage_count)),
    path("visits/<str:visit_id>", methods(GET=views.visit)),
]

mapping_patterns = [
    path(
        "mapping/visits",
        methods(POST=views.create_visit_mapping, DELETE=views.delete_visit_mappings),
    ),
    path("mapping/visits/nomisId/<int:nomis_id>", methods(GET=views.by_nomis_id)),
    path("mapping/visits/vsipId/<str:vsip_id>", methods(GET=views.by_vsip_id)),
    path("mapping/visits/migrated/latest", methods(GET=views.latest_migrated)),
    path(
        "mapping/visits/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id, DELETE=views.delete_by_migration_id),
    ),
    path(
        "prison/<str:prison_id>/room/nomis-room-id/<path:description>",
        methods(GET=views.room_lookup),
    ),
    path(
        "prison/<str:prison_id>/room-mappings",
        methods(GET=views.room_list, POST=views.room_create),
    ),
    path(
        "prison/<str:prison_id>/room-mappings/nomis-room-id/<path:description>",
        methods(DELETE=views.room_delete),
    ),
]
