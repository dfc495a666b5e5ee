"""Activities paths, each relative to its service's prefix (sandbox.urls adds the prefixes).

Besides the type's own endpoints this serves the prison settings the activities and
appointments pre-flight checks read (N10-N12) and the Activities API (D1-D3).
"""

from django.urls import path

from sandbox.entities.activities import api_views, views
from sandbox.views.common import methods

nomis_patterns = [
    path("activities/ids", methods(GET=views.activity_ids)),
    path(
        "activities/rates-with-unknown-incentives",
        methods(GET=views.rates_with_unknown_incentives),
    ),
    path("activities/without-schedule-rules", methods(GET=views.without_schedule_rules)),
    path("prisons/<str:prison_id>/incentive-levels", methods(GET=views.incentive_levels)),
    path(
        "agency-switches/<str:service_code>/agency/<str:agency_id>",
        methods(GET=views.switch_status, POST=views.switch_on),
    ),
]

mapping_patterns = [
    path(
        "mapping/activities/migration-count/migration-id/<str:migration_id>",
        methods(GET=views.migration_count),
    ),
    path(
        "mapping/activities/migration/nomis-course-activity-id/<int:course_activity_id>",
        methods(GET=views.activity_mapping),
    ),
    path(
        "mapping/activities/migration/migration-id/<str:migration_id>",
        methods(GET=views.by_migration_id),
    ),
]

migration_patterns = [
    path("migrate/activities/<str:migration_id>/end", methods(PUT=views.end_activities)),
    path(
        "migrate/activities/<str:migration_id>/move-start-dates",
        methods(PUT=views.move_start_dates),
    ),
]

activities_api_patterns = [
    path("rollout/<str:prison_code>", methods(GET=api_views.rollout)),
    path("prison/<str:prison_code>/prison-pay-bands", methods(GET=api_views.pay_bands)),
    path("prison/prison-regime/<str:prison_code>", methods(GET=api_views.prison_regime)),
]
