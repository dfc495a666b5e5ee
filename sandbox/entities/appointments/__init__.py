"""Appointments (``APPOINTMENTS``): NOMIS appointment events (upstream-api-types §2.3, §5).

Each of MDI, LEI, BXI and HEI has 1,500 appointments, event ids ``500001``-``501500`` for MDI,
``510001``-``511500`` for LEI, ``520001``… for BXI and ``530001``… for HEI. Appointment ``k``
(1…1500) of a prison is in the future (tomorrow on) when ``k % 10`` is 1, 2 or 3 (450 per
prison), else in the past year; sub-types cycle through :data:`SUB_TYPES`.

- DPS ignores appointments ``k`` = 101 and 1101 (both future; e.g. 500101, 501101): event
  ``appointments-migration-entity-ignored``, no mapping, not counted as migrated.
- DPS rejects appointment ``k`` = 702 (future): 500702, 510702, 520702, 530702 fail, are retried
  and dead-lettered, so the failures page has something to show.

All of these are in the future, so MDI from tomorrow on estimates 450 and ends with 447 migrated
and 1 failed (a quick run: one prison with a ``fromDate`` of tomorrow). Mapped ones are skipped
("Will not migrate the appointment since it is migrated already, NOMIS event id is …").

The start, S3 ``POST /migrate/appointments``, takes ``{"prisonIds": [...], "fromDate"?,
"toDate"?}`` (an empty ``prisonIds``: 400). N3 ``GET /appointments/ids`` lists them and N4 ``GET
/appointments/counts`` counts them by sub-type. The entity body is ``{"eventId"}``; the "migrated"
count is P3 ``GET /mapping/appointments/migration-id/{id}``.

Its own calls, which sandbox faults affect, include ``/appointments/ids``,
``/mapping/appointments`` and on ``activitiesApi`` ``/migrate-appointment``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.entities.activities_family import PRISONS, optional_date
from sandbox.entities.base import DownstreamError, Entity, RecordFailed, StartRequest
from sandbox.util import BadRequest, dumps, format_ts, now_local, read_json

if TYPE_CHECKING:
    from sandbox.lifecycle import Job
    from sandbox.state import State

PER_PRISON = 1500
SUB_TYPES = ("ACTI", "CABA", "CHAP", "EDUC", "GYMW", "MEOT")
IGNORED = (101, 1101)  # appointment numbers (k) DPS declines to create
FAILING = (702,)  # appointment numbers (k) DPS rejects
FILTER_ORDER = ("fromDate", "toDate", "prisonIds")


def event_id(prison_id: str, k: int) -> int:
    return 500000 + PRISONS.index(prison_id) * 10000 + k


IGNORED_EVENT_IDS = frozenset(event_id(p, k) for p in PRISONS for k in IGNORED)
FAILING_EVENT_IDS = frozenset(event_id(p, k) for p in PRISONS for k in FAILING)


@dataclass(slots=True)
class Appointment:
    event_id: int
    prison_id: str
    event_date: date
    sub_type: str


@dataclass(slots=True)
class AppointmentMapping:
    event_id: int
    appointment_instance_id: int
    label: str | None
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "nomisEventId": self.event_id,
            "appointmentInstanceId": self.appointment_instance_id,
            "label": self.label,
            "mappingType": "MIGRATED",
            "whenCreated": format_ts(self.when_created),
        }


@dataclass
class AppointmentsData:
    """NOMIS appointments in event id order, and the mapping service's appointment mappings."""

    appointments: dict[int, Appointment]
    mappings: dict[int, AppointmentMapping] = field(default_factory=dict)
    by_label: dict[str, list[int]] = field(default_factory=dict)
    next_dps_id: int = 1

    def add(self, mapping: AppointmentMapping) -> None:
        self.mappings[mapping.event_id] = mapping
        if mapping.label is not None:
            self.by_label.setdefault(mapping.label, []).append(mapping.event_id)

    def select(
        self, prison_ids: list[str], from_date: date | None, to_date: date | None
    ) -> list[Appointment]:
        """N3 and N4: the prisons' appointments on or after/before the dates, by event id."""
        prisons = set(prison_ids)
        return [
            a
            for a in self.appointments.values()
            if a.prison_id in prisons
            and (from_date is None or a.event_date >= from_date)
            and (to_date is None or a.event_date <= to_date)
        ]


def appointments_data(state: State) -> AppointmentsData:
    data: AppointmentsData = state.stores["APPOINTMENTS"]
    return data


def build(scenario: str, today: date) -> AppointmentsData:
    appointments: dict[int, Appointment] = {}
    if scenario != "empty":
        for prison in PRISONS:
            for k in range(1, PER_PRISON + 1):
                if k % 10 in (1, 2, 3):
                    when = today + timedelta(days=1 + k * 7 % 90)
                else:
                    when = today - timedelta(days=k * 13 % 365)
                appointments[event_id(prison, k)] = Appointment(
                    event_id(prison, k), prison, when, SUB_TYPES[k % len(SUB_TYPES)]
                )
    return AppointmentsData(appointments)


def _filter_dates(flt: dict[str, Any]) -> tuple[date | None, date | None]:
    def one(name: str) -> date | None:
        return date.fromisoformat(flt[name]) if flt.get(name) else None

    return one("fromDate"), one("toDate")


class Appointments(Entity):
    migration_type = "APPOINTMENTS"
    slug = "appointments"
    event_prefix = "appointments"
    queue_id = "migrationappointments"
    urls_module = "sandbox.entities.appointments.urls"

    # -- Data

    def populate(
        self, state: State, scenario: str, *, now: datetime, history_size: int | None
    ) -> None:
        state.stores[self.migration_type] = build(scenario, now.date())

    def summary(self, state: State) -> dict[str, int]:
        data = appointments_data(state)
        return {"appointments": len(data.appointments), "appointmentMappings": len(data.mappings)}

    def migrated_count(self, state: State, migration_id: str) -> int:
        return len(appointments_data(state).by_label.get(migration_id, ()))

    # -- Lifecycle steps

    def start_request(self, raw: bytes) -> StartRequest:
        """S3: ``AppointmentsMigrationFilter``; ``prisonIds`` defaults to ``[]``."""
        data = read_json(raw)
        if not isinstance(data, dict):
            raise BadRequest("Validation failure: JSON parse error: expected an object")
        prison_ids = data.get("prisonIds")
        if prison_ids is None:
            prison_ids = []
        if not isinstance(prison_ids, list) or not all(isinstance(p, str) for p in prison_ids):
            raise BadRequest("Validation failure: prisonIds must be a list of strings")
        values = {
            "fromDate": optional_date(data, "fromDate"),
            "toDate": optional_date(data, "toDate"),
            "prisonIds": prison_ids,
        }
        body = {k: values[k] for k in FILTER_ORDER if values[k] is not None}
        return StartRequest(body=body, filter_json=dumps(body))

    def _selected(self, job: Job, body: Any) -> list[Appointment]:
        job.downstream("nomisPrisonerApi", "/appointments/ids")
        flt = body if isinstance(body, dict) else {}
        prison_ids = flt.get("prisonIds") or []
        if not prison_ids:
            # NOMIS requires prisonIds; the migration service passes its 400 on.
            raise BadRequest(
                "Bad Request: Validation failure: Required request parameter 'prisonIds' "
                "for method parameter type List is not present"
            )
        from_date, to_date = _filter_dates(flt)
        with job.lock:
            return appointments_data(job.state).select(prison_ids, from_date, to_date)

    def estimate(self, job: Job, body: Any) -> int:
        return len(self._selected(job, body))

    def page(self, job: Job, body: Any, page_number: int, size: int) -> list[Any]:
        chosen = self._selected(job, body)[page_number * size : (page_number + 1) * size]
        return [{"eventId": a.event_id} for a in chosen]

    def migrate(self, job: Job, body: Any) -> None:
        try:
            nomis_id = int(body["eventId"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordFailed(f"Malformed appointments message {body}") from exc
        data = appointments_data(job.state)
        job.downstream("mappingApi", f"/mapping/appointments/nomis-event-id/{nomis_id}")
        with job.lock:
            existing = data.mappings.get(nomis_id)
        if existing is not None:
            job.log(
                "INFO",
                "Will not migrate the appointment since it is migrated already, NOMIS event id "
                f"is {nomis_id}, appointment instance id is {existing.appointment_instance_id}",
            )
            return
        job.work()
        job.downstream("nomisPrisonerApi", f"/appointments/{nomis_id}")
        with job.lock:
            appointment = data.appointments.get(nomis_id)
        if appointment is None:
            raise RecordFailed(f"NOMIS appointment {nomis_id} not found")
        job.downstream("activitiesApi", "/migrate-appointment")
        if nomis_id in FAILING_EVENT_IDS:
            raise RecordFailed(
                f"Error: 400 Bad Request from POST /migrate-appointment: DPS rejected NOMIS "
                f"event id {nomis_id}"
            )
        if nomis_id in IGNORED_EVENT_IDS:
            job.event(
                f"{self.event_prefix}-migration-entity-ignored",
                {
                    "migrationId": job.migration_id,
                    "nomisEventId": str(nomis_id),
                    "prisonId": appointment.prison_id,
                    "reason": "DPS did not create the appointment: its category is not migrated",
                },
            )
            return
        with job.lock:
            dps_id = data.next_dps_id
            data.next_dps_id += 1
        try:
            job.downstream("mappingApi", "/mapping/appointments")
        except DownstreamError:
            job.send(
                "RETRY_MIGRATION_MAPPING",
                {"nomisEventId": nomis_id, "appointmentInstanceId": dps_id},
            )
            return
        if self._write_mapping(job, nomis_id, dps_id):
            job.event(
                f"{self.event_prefix}-migration-entity-migrated",
                {
                    "migrationId": job.migration_id,
                    "nomisEventId": str(nomis_id),
                    "appointmentInstanceId": str(dps_id),
                    "prisonId": appointment.prison_id,
                },
            )

    def retry_mapping(self, job: Job, body: Any) -> None:
        job.downstream("mappingApi", "/mapping/appointments")
        self._write_mapping(job, int(body["nomisEventId"]), int(body["appointmentInstanceId"]))

    def _write_mapping(self, job: Job, nomis_id: int, dps_id: int) -> bool:
        data = appointments_data(job.state)
        with job.lock:
            existing = data.mappings.get(nomis_id)
            if existing is None:
                data.add(AppointmentMapping(nomis_id, dps_id, job.migration_id, now_local()))
                return True
        job.event(
            "nomis-migration-appointment-duplicate",
            {
                "migrationId": job.migration_id,
                "nomisEventId": str(nomis_id),
                "duplicateAppointmentInstanceId": str(dps_id),
                "existingAppointmentInstanceId": str(existing.appointment_instance_id),
            },
        )
        return False


# The sandbox finds this type by this name (sandbox.entities).
ENTITY = Appointments()
