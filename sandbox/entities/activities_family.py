"""The activities family's shared sandbox pieces: NOMIS activities data (the Activities,
Allocations and Appointments entities all read it), the prison settings, and two view helpers.

One :class:`ActivitiesData` per scenario, kept under ``state.stores["ACTIVITIES"]``:

- prison settings read by the dashboard's pre-flight checks (upstream-api-types §2.1, §2.3):
  NOMIS incentive levels (N10), NOMIS agency switches (N11, N12; the ``APPOINTMENTS`` switch
  lives here too) and the Activities API's rollout, pay bands and regime (D1-D3);
- NOMIS course activities (N1, N15, N16) and their allocations (N2, N13, N14);
- the mapping service's activity mappings (P1), which the Allocations plug-in reads as well.

Prisons and their settings exist in every scenario (so a start in ``empty`` finds the prison and
an estimate of 0); activities and allocations only outside ``empty``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

from sandbox.util import BadRequest, error_response, format_ts, now_local

if TYPE_CHECKING:
    from sandbox.state import State

PRISONS = ("MDI", "LEI", "BXI", "HEI")

# -- Prison settings

LEVEL_NAMES = {
    "BAS": "Basic",
    "STD": "Standard",
    "ENH": "Enhanced",
    "EN2": "Enhanced 2",
    "EN3": "Enhanced 3",
}
INCENTIVE_LEVELS = {
    "MDI": ("BAS", "STD", "ENH"),
    "LEI": ("BAS", "STD", "ENH", "EN2"),
    "BXI": ("BAS", "STD", "ENH", "EN2", "EN3"),
    "HEI": ("BAS", "STD"),
}
# NOMIS agency switches on at the start of a scenario (N11); N12 turns more on.
SWITCHES_ON = {
    "ACTIVITY": ("LEI", "BXI"),
    "APPOINTMENTS": ("MDI", "LEI"),
}
# Activities API rollout (D1): (activitiesRolledOut, appointmentsRolledOut, prisonLive).
ROLLOUT = {
    "MDI": (False, True, False),
    "LEI": (True, True, True),
    "BXI": (True, False, False),
    "HEI": (False, False, False),
}
# Prisons with their own DPS pay bands (D2); the others get the DEFAULT bands, as upstream.
OWN_PAY_BANDS = {"MDI": ("Low", "Medium", "High")}
DEFAULT_PAY_BANDS = ("Lowest", "Low", "Medium", "High")
# Prisons without slot times in DPS (D3 answers 404).
NO_REGIME = ("HEI",)

# -- Course activities

ACTIVITIES_PER_PRISON = 40
COURSE_ID_BASE = {"MDI": 11000, "LEI": 12000, "BXI": 13000, "HEI": 14000}
# Positions (1…40) of the activities without schedule rules: 10% of each prison's.
WITHOUT_SCHEDULE_RULES = (7, 17, 27, 37)
DESCRIPTIONS = (
    "Kitchens AM",
    "Gym PM",
    "Education Maths",
    "Laundry",
    "Gardens",
    "Workshop 1",
    "Library",
    "Industrial Cleaning",
    "Barbering",
    "Recycling",
)
# MDI's pre-flight check rows (N13-N15): allocation positions and pay rate rows.
MDI_SUSPENDED = ((11001, 2), (11004, 5), (11010, 1))  # (courseActivityId, allocation number)
MDI_MISSING_PAY_BANDS = ((11002, 3), (11009, 4))
MDI_UNKNOWN_INCENTIVE_RATES = ((11003, "5", "EN2"), (11008, "2", "EN2"))
# MDI course activities whose DPS activities cannot move start date (S12 warnings).
MDI_EDITED_IN_DPS = (11005, 11012)


def tomorrow() -> date:
    return now_local().date() + timedelta(days=1)


@dataclass
class PrisonSettings:
    incentive_levels: dict[str, tuple[str, ...]]
    # serviceCode -> agency ids switched on (``*ALL*`` switches every agency on).
    switches: dict[str, set[str]]

    def known(self, prison_id: str) -> bool:
        return prison_id in self.incentive_levels


@dataclass(slots=True)
class CourseActivity:
    course_activity_id: int
    prison_id: str
    description: str
    start_date: date
    has_schedule_rules: bool
    # NOMIS activities become 1 or 2 DPS activities (a split regime).
    dps_count: int
    end_date: date | None = None

    def id_json(self) -> dict[str, Any]:
        return {
            "courseActivityId": self.course_activity_id,
            "hasScheduleRules": self.has_schedule_rules,
        }


@dataclass(slots=True)
class Allocation:
    allocation_id: int
    course_activity_id: int
    prison_id: str
    offender_no: str
    start_date: date
    end_date: date | None
    incentive_level: str
    suspended: bool = False
    pay_band: str | None = "1"

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


@dataclass(slots=True)
class ActivityMapping:
    """``POST /mapping/activities/migration``; ids are null for an activity DPS ignored."""

    course_activity_id: int
    activity_id: int | None
    activity_id2: int | None
    label: str | None
    when_created: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "nomisCourseActivityId": self.course_activity_id,
            "activityId": self.activity_id,
            "activityId2": self.activity_id2,
            "label": self.label,
            "whenCreated": format_ts(self.when_created),
        }


@dataclass
class ActivitiesData:
    prisons: PrisonSettings
    activities: dict[int, CourseActivity] = field(default_factory=dict)
    allocations: dict[int, Allocation] = field(default_factory=dict)
    mappings: dict[int, ActivityMapping] = field(default_factory=dict)
    by_label: dict[str, list[int]] = field(default_factory=dict)
    next_dps_id: int = 1

    def add(self, mapping: ActivityMapping) -> None:
        self.mappings[mapping.course_activity_id] = mapping
        if mapping.label is not None:
            self.by_label.setdefault(mapping.label, []).append(mapping.course_activity_id)

    def require_prison(self, prison_id: str | None) -> str:
        """The NOMIS 400 of N1, N2 and the pre-flight checks for an unknown prison."""
        if not prison_id:
            raise BadRequest(
                "Validation failure: Required request parameter 'prisonId' for method "
                "parameter type String is not present"
            )
        if not self.prisons.known(prison_id):
            raise UnknownPrison(prison_id)
        return prison_id

    def course_activities(
        self, prison_id: str, course_activity_id: int | None = None
    ) -> list[CourseActivity]:
        """N1: a prison's active activities with allocated prisoners, in id order."""
        return [
            a
            for a in self.activities.values()
            if a.prison_id == prison_id
            and (course_activity_id is None or a.course_activity_id == course_activity_id)
        ]

    def active_allocations(
        self, prison_id: str, course_activity_id: int | None, active_on: date
    ) -> list[Allocation]:
        """N2 (and N13, N14): allocations active on a day, of activities with schedule rules.

        Activities without schedule rules are never created in DPS, so NOMIS leaves their
        allocations out (they must be ended in NOMIS instead).
        """
        return [
            a
            for a in self.allocations.values()
            if a.prison_id == prison_id
            and (course_activity_id is None or a.course_activity_id == course_activity_id)
            and self.activities[a.course_activity_id].has_schedule_rules
            and a.active_on(active_on)
        ]


class UnknownPrison(Exception):
    """NOMIS: "Bad request: Prison with id=XYZ does not exist" (400)."""

    def __init__(self, prison_id: str) -> None:
        super().__init__(f"Bad request: Prison with id={prison_id} does not exist")


def activities_data(state: State) -> ActivitiesData:
    data: ActivitiesData = state.stores["ACTIVITIES"]
    return data


def _offender_no(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXY"
    digits = rng.randrange(1000, 10000)
    return f"{rng.choice('ABGH')}{digits}{rng.choice(letters)}{rng.choice(letters)}"


def build(scenario: str, today: date) -> ActivitiesData:
    prisons = PrisonSettings(
        incentive_levels=dict(INCENTIVE_LEVELS),
        switches={code: set(on) for code, on in SWITCHES_ON.items()},
    )
    data = ActivitiesData(prisons)
    if scenario == "empty":
        return data
    rng = random.Random(4040)  # noqa: S311 - deterministic scenario data, not secrets
    suspended = set(MDI_SUSPENDED)
    missing_pay_band = set(MDI_MISSING_PAY_BANDS)
    for prison in PRISONS:
        levels = INCENTIVE_LEVELS[prison]
        for n in range(1, ACTIVITIES_PER_PRISON + 1):
            course_id = COURSE_ID_BASE[prison] + n
            data.activities[course_id] = CourseActivity(
                course_activity_id=course_id,
                prison_id=prison,
                description=f"{DESCRIPTIONS[(n - 1) % len(DESCRIPTIONS)]} {(n - 1) // 10 + 1}",
                start_date=today - timedelta(days=30 + 9 * n),
                has_schedule_rules=n not in WITHOUT_SCHEDULE_RULES,
                dps_count=2 if n % 8 == 0 else 1,
            )
            # 10 to 14 allocations (12 on average); every third activity has one that ends in
            # 30 days, so a later activeOnDate finds fewer.
            for k in range(1, 11 + n % 5):
                allocation_id = course_id * 100 + k
                data.allocations[allocation_id] = Allocation(
                    allocation_id=allocation_id,
                    course_activity_id=course_id,
                    prison_id=prison,
                    offender_no=_offender_no(rng),
                    start_date=today - timedelta(days=7 + (n * 5 + k * 3) % 60),
                    end_date=today + timedelta(days=30) if k == 1 and n % 3 == 0 else None,
                    incentive_level=levels[k % len(levels)],
                    suspended=(course_id, k) in suspended,
                    pay_band=None if (course_id, k) in missing_pay_band else str(1 + k % 3),
                )
    return data


# -- Request parsing shared by the three types' start bodies and NOMIS parameters


def optional_date(raw: dict[str, Any], name: str) -> str | None:
    """A ``LocalDate?`` field: null and ``""`` (Jackson) mean absent; anything else must parse."""
    value = raw.get(name)
    if value is None or value == "":
        return None
    message = f"Validation failure: {name} must be a date like 2020-03-23, was {value!r}"
    if not isinstance(value, str):
        raise BadRequest(message)
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise BadRequest(message) from exc


def optional_long(raw: dict[str, Any], name: str) -> int | None:
    """A ``Long?`` field: the dashboard sends numbers as strings, which Jackson coerces."""
    value = raw.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRequest(f"Validation failure: {name} must be a number, was {value!r}")
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise BadRequest(f"Validation failure: {name} must be a number, was {value!r}") from exc


def required_prison(raw: dict[str, Any]) -> str:
    value = raw.get("prisonId")
    if not isinstance(value, str) or not value:
        raise BadRequest("Validation failure: JSON parse error: prisonId is required")
    return value


# -- Views' helpers, for the family's NOMIS endpoints


def nomis_prison_check(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NOMIS answers an unknown ``prisonId`` with its own 400 wording ("Bad request: …")."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except UnknownPrison as exc:
            return error_response(400, str(exc))

    return wrapper


def query_date(request: HttpRequest, name: str) -> date | None:
    value = request.GET.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"Validation failure: {name} must be a date, was {value!r}") from exc
