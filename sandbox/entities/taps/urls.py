"""Temporary Absence repair paths, relative to each service's prefix (sandbox.urls adds them).

NOMIS N5 is court sentencing's: TAPs reads the same prisoners.
"""

from django.urls import path

from sandbox.entities.taps import views
from sandbox.views.common import methods

mapping_patterns = [
    path("mapping/taps/migration-id/<str:migration_id>", methods(GET=views.by_migration_id)),
]
