"""Appointments (`APPOINTMENTS`): upstream-api-types.md §2.3, with §6.3 fixed.

One or more prisons' appointments, optionally between two dates. The preview checks each
prison's NOMIS switch (with "Activate prison") and shows the counts as a copyable CSV block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrations_ui.types.appointments import checks
from migrations_ui.types.appointments.forms import AppointmentsMigrationForm
from migrations_ui.types.base import Line, MigrationType, entity_field, text_list


def _text(filter: Mapping[str, Any], key: str) -> str:
    value = filter.get(key)
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def summary(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("prisonIds", "Prison codes", text_list(filter.get("prisonIds")), "prison-codes"),
        Line("fromDate", "Earliest appointment date", _text(filter, "fromDate")),
        Line("toDate", "Latest appointment date", _text(filter, "toDate")),
    ]


def filter_lines(filter: Mapping[str, Any]) -> list[Line]:
    return [
        Line("prisons", "Prisons", text_list(filter.get("prisonIds"))),
        Line("from", "From date", _text(filter, "fromDate")),
        Line("to", "To date", _text(filter, "toDate")),
    ]


def extra_urls(migration_type: MigrationType) -> list[Any]:
    from django.urls import path

    from migrations_ui.types.activities_family.views import ActivatePrisonView, csv_download_path

    return [
        csv_download_path(migration_type, checks.CSV_CHECKS),
        path(
            "start/activate-prison",
            ActivatePrisonView.as_view(
                migration_type=migration_type, service_code=checks.SWITCH_SERVICE
            ),
            name="activate-prison",
        ),
    ]


TYPE = MigrationType(
    slug="appointments",
    upstream_type="APPOINTMENTS",
    url_prefix="appointments-migration",
    description="Appointments of one or more prisons, from NOMIS to DPS.",
    start_path="appointments",
    name="Appointments",
    records="appointments",
    sample_form=lambda tomorrow: {"prisonIds": "LEI", "fromDate": tomorrow},
    roles=("MIGRATE_APPOINTMENTS",),
    form=AppointmentsMigrationForm,
    estimate=checks.estimate,
    summary=summary,
    filter_lines=filter_lines,
    entity_id_label="Event ID",
    entity_id=entity_field("eventId"),
    already_migrated_log=(
        "Will not migrate the appointment since it is migrated already, NOMIS event id is"
    ),
    extra_checks=checks.CHECKS,
    templates={
        "_preview_checks.html": "migrations_ui/appointments/_preview_checks.html",
        "preview.html": "migrations_ui/appointments/preview.html",
    },
    extra_urls=extra_urls,
)
