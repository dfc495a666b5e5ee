"""Allocations paths, each relative to its service's prefix (sandbox.urls adds the prefixes)."""

from django.urls import path

from sandbox.entities.allocations import views
from sandbox.views.common import methods

nomis_patterns = [
    path("allocations/ids", methods(GET=views.allocation_ids)),
    path("allocations/suspended", methods(GET=views.suspended)),
    path("allocations/missing-pay-bands", methods(GET=views.missing_pay_bands)),
]

mapping_patterns = [
    path(
        "mapping/allocations/migration/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
    path(
        "mapping/allocations/migration/nomis-allocation-id/<int:allocation_id>",
        methods(GET=views.allocation_mapping),
    ),
]
