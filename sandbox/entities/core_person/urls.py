"""Core Person paths, each relative to its service's prefix (sandbox.urls adds them)."""

from django.urls import path

from sandbox.entities.core_person import views
from sandbox.views.common import methods

nomis_patterns = [
    path("prisoners/id-ranges", methods(GET=views.id_ranges)),
    path("prisoners/ids-in-range", methods(GET=views.ids_in_range)),
]

mapping_patterns = [
    path(
        "mapping/core-person-religion/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
]
