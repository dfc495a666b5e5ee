"""Court Sentencing paths, each relative to its service's prefix (sandbox.urls adds them)."""

from django.urls import path

from sandbox.entities.court_sentencing import views
from sandbox.views.common import methods

nomis_patterns = [
    path("prisoners/ids/all", methods(GET=views.prisoner_ids)),
]

mapping_patterns = [
    path(
        "mapping/court-sentencing/prisoner/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
    path(
        "mapping/court-sentencing/prisoner/<str:offender_no>",
        methods(GET=views.prisoner_mapping),
    ),
]
