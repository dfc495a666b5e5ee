"""Activities API (``/activities-api``): D1-D3, the dashboard's DPS pre-flight checks (§4.3)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.entities.activities_family import (
    DEFAULT_PAY_BANDS,
    NO_REGIME,
    OWN_PAY_BANDS,
    PRISONS,
    ROLLOUT,
)
from sandbox.util import error_response, json_response
from sandbox.views.common import require_role

ADMIN_ROLE = "ROLE_ACTIVITY_ADMIN"
PRISON_ROLE = "ROLE_PRISON"
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


@require_role(ADMIN_ROLE)
def rollout(request: HttpRequest, prison_code: str) -> HttpResponse:
    """D1 ``GET /rollout/{prisonCode}``: always 200; an unknown prison has every flag false."""
    activities, appointments, live = ROLLOUT.get(prison_code, (False, False, False))
    return json_response(
        {
            "prisonCode": prison_code,
            "activitiesRolledOut": activities,
            "appointmentsRolledOut": appointments,
            "externalActivitiesRolledOut": False,
            "maxDaysToExpiry": 21,
            "prisonLive": live,
        }
    )


@require_role(PRISON_ROLE, ADMIN_ROLE)
def pay_bands(request: HttpRequest, prison_code: str) -> HttpResponse:
    """D2: the prison's own pay bands, else the ``DEFAULT`` ones (so never empty, as upstream)."""
    own = OWN_PAY_BANDS.get(prison_code)
    aliases, code, base = (own, prison_code, 100) if own else (DEFAULT_PAY_BANDS, "DEFAULT", 0)
    return json_response(
        [
            {
                "id": base + n,
                "displaySequence": n,
                "alias": alias,
                "description": f"Pay band {n}",
                "nomisPayBand": n,
                "prisonCode": code,
            }
            for n, alias in enumerate(aliases, start=1)
        ]
    )


@require_role(PRISON_ROLE, ADMIN_ROLE)
def prison_regime(request: HttpRequest, prison_code: str) -> HttpResponse:
    """D3: one row per day; 404 for a prison without slot times (HEI) or unknown to DPS."""
    if prison_code not in PRISONS or prison_code in NO_REGIME:
        return error_response(404, f"Not found: No prison regime found for prison {prison_code}")
    base = (PRISONS.index(prison_code) + 1) * 10
    return json_response(
        [
            {
                "id": base + n,
                "prisonCode": prison_code,
                "amStart": "08:30",
                "amFinish": "11:45",
                "pmStart": "13:45",
                "pmFinish": "16:45",
                "edStart": "17:30",
                "edFinish": "19:15",
                "dayOfWeek": day,
            }
            for n, day in enumerate(DAYS, start=1)
        ]
    )
