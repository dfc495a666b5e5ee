"""Shared pieces for the visits unit tests: a fake system token and upstream payloads.

Personas are in tests/conftest.py; factories for payloads of any type in tests/factories.py.

Imported by the test modules that need them (`from tests.unit.conftest_visits import *`).
"""

from __future__ import annotations

from typing import Any

import pytest

from migrations_ui.clients.migration_api import MigrationApiClient
from migrations_ui.clients.nomis_prisoner_api import NomisPrisonerApiClient


class FakeTokens:
    """Stands in for accounts.system_token: hands out numbered tokens and records drops."""

    def __init__(self) -> None:
        self.issued: list[tuple[str | None, str]] = []
        self.dropped: list[tuple[str | None, str]] = []

    def system_token(self, username: str | None) -> str:
        token = f"token-{len(self.issued) + 1}-{username}"
        self.issued.append((username, token))
        return token

    def drop_system_token(self, username: str | None, token: str) -> None:
        self.dropped.append((username, token))


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> FakeTokens:
    fake = FakeTokens()
    monkeypatch.setattr("accounts.system_token.system_token", fake.system_token)
    monkeypatch.setattr("accounts.system_token.drop_system_token", fake.drop_system_token)
    return fake


@pytest.fixture
def migration_api(tokens: FakeTokens) -> MigrationApiClient:
    """A client whose `url()` builds the exact addresses to mock."""
    return MigrationApiClient(username="VISITS_USER")


@pytest.fixture
def nomis_api(tokens: FakeTokens) -> NomisPrisonerApiClient:
    return NomisPrisonerApiClient(username="VISITS_USER")


def history_json(
    migration_id: str = "2022-03-14T10:13:56",
    *,
    status: str = "COMPLETED",
    migrated: int = 0,
    failed: int = 0,
    estimated: int = 0,
    ended: str | None = "2022-03-14T10:14:01.478531",
    filter: str | None = '{"prisonIds":["HEI"],"visitTypes":["SCON"],"ignoreMissingRoom":false}',
) -> dict[str, Any]:
    return {
        "migrationId": migration_id,
        "id": migration_id,
        "isNew": False,
        "whenStarted": f"{migration_id}.878627",
        "whenEnded": ended,
        "estimatedRecordCount": estimated,
        "filter": filter,
        "recordsMigrated": migrated,
        "recordsFailed": failed,
        "migrationType": "VISITS",
        "status": status,
    }


def active_json(
    migration_id: str | None = "2022-03-14T11:45:12",
    *,
    status: str | None = "STARTED",
    migrated: int | None = 1000,
    to_be_processed: int = 23100,
    being_processed: int = 10,
    failed: int = 100,
    estimated: int | None = 205630,
) -> dict[str, Any]:
    return {
        "recordsMigrated": migrated,
        "toBeProcessedCount": to_be_processed,
        "beingProcessedCount": being_processed,
        "recordsFailed": failed,
        "migrationId": migration_id,
        "whenStarted": f"{migration_id}.11" if migration_id else None,
        "estimatedRecordCount": estimated,
        "migrationType": "VISITS" if migration_id else None,
        "status": status,
    }


def page_json(total: int) -> dict[str, Any]:
    return {
        "content": [{"visitId": 1}] if total else [],
        "pageable": {"pageNumber": 0, "pageSize": 1},
        "totalElements": total,
        "totalPages": total,
        "size": 1,
        "number": 0,
    }


def dlq_message_json(
    message_id: str, migration_id: str, visit_id: int | None = 1
) -> dict[str, Any]:
    body: dict[str, Any] = {"visitId": visit_id} if visit_id is not None else {"pageNumber": 3}
    return {
        "messageId": message_id,
        "body": {
            "type": "MIGRATE_ENTITY" if visit_id is not None else "MIGRATE_BY_PAGE",
            "context": {
                "type": "VISITS",
                "migrationId": migration_id,
                "estimatedCount": 10,
                "properties": {},
                "body": body,
            },
        },
    }


def sign_in(client: Any, user: Any) -> Any:
    """A test client signed in as `user`, with an unexpired HMPPS Auth token in its session."""
    import time

    from accounts import session as signed_in

    client.force_login(user)
    session = client.session
    session[signed_in.TOKEN_EXPIRES_AT] = time.time() + 3600
    session.save()
    return client


@pytest.fixture
def visits_client(client: Any, visits_user: Any, tokens: FakeTokens) -> Any:
    return sign_in(client, visits_user)


def migration_url(path: str) -> str:
    return MigrationApiClient(username=None).url(path)


def nomis_url(path: str) -> str:
    return NomisPrisonerApiClient(username=None).url(path)
