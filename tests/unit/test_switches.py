"""NOMIS agency switches: read (N11) and "Activate prison" (N12), audited before it is sent."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient
from migrations_ui.models import AuditEvent
from migrations_ui.services.audit import AuditContext, AuditUnavailable
from migrations_ui.services.switches import prison_activate
from migrations_ui.types.visits import TYPE as VISITS
from tests.unit.conftest_visits import nomis_url
from upstream import ServerError

pytest_plugins = ["tests.unit.conftest_visits"]

SWITCH = nomis_url("/agency-switches/ACTIVITY/agency/MDI")


def test_a_switch_is_on_when_nomis_answers_204_and_off_for_404(tokens, requests_mock) -> None:
    client = NomisPrisonerApiClient(username="SYSCON_USER")
    requests_mock.get(SWITCH, status_code=204)
    assert client.agency_switch_on("ACTIVITY", "MDI") is True
    requests_mock.get(SWITCH, status_code=404, json={"status": 404})
    assert client.agency_switch_on("ACTIVITY", "MDI") is False


@pytest.mark.django_db
def test_activating_a_prison_is_recorded_before_and_after_the_call(
    tokens, requests_mock, syscon_user
) -> None:
    def recorded_first(request, context):
        assert AuditEvent.objects.get().outcome == "REQUESTED"
        context.status_code = 201
        return ""

    post = requests_mock.post(SWITCH, text=recorded_first)
    prison_activate(
        context=AuditContext(user=syscon_user),
        migration_type=VISITS,
        service_code="ACTIVITY",
        prison_id="MDI",
    )
    assert post.call_count == 1
    requested, succeeded = AuditEvent.objects.order_by("id")
    assert requested.subject_id == succeeded.subject_id
    assert (succeeded.action, succeeded.outcome) == ("ACTIVATE_PRISON", "SUCCEEDED")
    assert (succeeded.subject_kind, succeeded.subject_id) == ("AGENCY_SWITCH", "ACTIVITY MDI")
    assert succeeded.details == {"serviceCode": "ACTIVITY", "prisonId": "MDI"}


@pytest.mark.django_db
def test_a_failed_activation_is_recorded_as_failed(tokens, requests_mock, syscon_user) -> None:
    requests_mock.post(SWITCH, status_code=500, json={"status": 500})
    with pytest.raises(ServerError):
        prison_activate(
            context=AuditContext(user=syscon_user),
            migration_type=VISITS,
            service_code="ACTIVITY",
            prison_id="MDI",
        )
    assert AuditEvent.objects.order_by("id").last().outcome == "FAILED"


@pytest.mark.django_db
def test_nothing_is_sent_when_the_audit_log_cannot_be_written(
    tokens, requests_mock, syscon_user, monkeypatch
) -> None:
    def broken(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(AuditEvent.objects, "create", broken)
    with pytest.raises(AuditUnavailable):
        prison_activate(
            context=AuditContext(user=syscon_user),
            migration_type=VISITS,
            service_code="ACTIVITY",
            prison_id="MDI",
        )
    assert requests_mock.call_count == 0
