"""Official Visits paths, each relative to its service's prefix (sandbox.urls adds them)."""

from django.urls import path

from sandbox.entities.official_visits import views
from sandbox.views.common import methods

nomis_patterns = [
    path("official-visits/ids", methods(GET=views.visit_ids)),
    path("official-visits/ids/all-from-id", methods(GET=views.visit_ids_from_id)),
]

mapping_patterns = [
    path(
        "mapping/official-visits/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
]
