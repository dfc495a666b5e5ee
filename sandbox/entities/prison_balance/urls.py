"""Prison balance paths, each relative to its service's prefix (sandbox.urls adds them)."""

from django.urls import path

from sandbox.entities.prison_balance import views
from sandbox.views.common import methods

nomis_patterns = [
    path("finance/prison/ids", methods(GET=views.prison_ids)),
]

mapping_patterns = [
    path(
        "mapping/prison-balance/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
]
