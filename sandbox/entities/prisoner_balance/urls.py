"""Prisoner balance paths, each relative to its service's prefix (sandbox.urls adds them)."""

from django.urls import path

from sandbox.entities.prisoner_balance import views
from sandbox.views.common import methods

nomis_patterns = [
    path("finance/prisoners/ids", methods(GET=views.prisoner_ids)),
]

mapping_patterns = [
    path(
        "mapping/prisoner-balance/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
]
