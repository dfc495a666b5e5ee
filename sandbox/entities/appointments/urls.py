"""Appointments paths, each relative to its service's prefix (sandbox.urls adds the prefixes)."""

from django.urls import path

from sandbox.entities.appointments import views
from sandbox.views.common import methods

nomis_patterns = [
    path("appointments/ids", methods(GET=views.appointment_ids)),
    path("appointments/counts", methods(GET=views.appointment_counts)),
]

mapping_patterns = [
    path(
        "mapping/appointments/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
    path(
        "mapping/appointments/nomis-event-id/<int:event_id>",
        methods(GET=views.appointment_mapping),
    ),
]
