"""Tunable settings, registered OAuth clients and users.

Every lifecycle timing of upstream-api.md §5.9 is a field of :class:`SandboxSettings`. Each can be
set from the environment as ``SANDBOX_<FIELD NAME IN UPPER CASE>`` and changed at run time with
``POST /__sandbox/settings``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A setting, client or user definition is invalid."""


@dataclass
class SandboxSettings:
    """Run-time knobs. Defaults finish a 10,000-visit migration in about a minute."""

    # -- Auth
    token_lifetime_seconds: int = 1200
    code_lifetime_seconds: int = 60
    refresh_token_lifetime_seconds: int = 12 * 3600
    # -- Lifecycle (upstream-api §5.9)
    page_size: int = 1000
    workers: int = 8
    # Simulated work per record (NOMIS read, DPS create, mapping write) of every type; the name
    # predates the other types and stays so SANDBOX_VISIT_DELAY_MS keeps working.
    visit_delay_ms: float = 30.0
    first_check_delay_s: float = 10.0
    recheck_delay_s: float = 10.0
    empty_check_interval_s: float = 1.0
    # Consecutive empty readings needed for completion (checkCount 0 … N-1).
    empty_readings: int = 11
    cancel_purge_interval_s: float = 0.2
    cancel_purge_total_s: float = 20.0
    max_deliveries: int = 3
    retry_delay_s: float = 1.0
    dlq_visibility_s: float = 30.0
    # Scheduled DLQ retry (§5.6): 0 means off, the upstream default since October 2025.
    dlq_retry_interval_s: float = 0.0
    # -- Faults
    # A "hang" fault holds the request this long (longer than any client timeout) unless cleared.
    hang_seconds: float = 65.0

    def update(self, values: dict[str, Any]) -> None:
        """Apply ``values`` (field name → value), converting to each field's type."""
        types = {f.name: f.type for f in dataclasses.fields(self)}
        converted = {}
        # Validate everything first so a bad value leaves the settings untouched.
        for key, raw in values.items():
            if key not in types:
                raise ConfigError(f"unknown setting {key!r}")
            converted[key] = _convert(key, types[key], raw)
        for key, value in converted.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxSettings:
        env = os.environ if environ is None else environ
        settings = cls()
        values = {}
        for f in dataclasses.fields(cls):
            name = f"SANDBOX_{f.name.upper()}"
            if name in env:
                values[f.name] = env[name]
        settings.update(values)
        return settings


def _convert(key: str, type_name: Any, raw: Any) -> Any:
    try:
        if type_name in ("int", int):
            if isinstance(raw, bool):
                raise TypeError
            return int(raw)
        if type_name in ("float", float):
            if isinstance(raw, bool):
                raise TypeError
            return float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {key!r} must be a number, not {raw!r}") from exc
    return raw


# -- Clients


@dataclass
class Client:
    client_id: str
    secret: str
    grant_types: tuple[str, ...]
    redirect_uris: list[str] = field(default_factory=list)
    authorities: list[str] = field(default_factory=list)


def default_clients() -> dict[str, Client]:
    """The clients the dashboard's ``.env.example`` and ``make run`` use (fixed values)."""
    clients = {
        "nomis-sync-dashboard-ui": Client(
            client_id="nomis-sync-dashboard-ui",
            secret="sandbox-ui-secret",
            grant_types=("authorization_code", "refresh_token"),
            redirect_uris=["http://localhost:8000/sign-in/callback", "http://localhost:8000"],
        ),
        "nomis-sync-dashboard-system": Client(
            client_id="nomis-sync-dashboard-system",
            secret="sandbox-system-secret",
            grant_types=("client_credentials",),
            authorities=[
                "ROLE_PRISONER_FROM_NOMIS__MIGRATION__RW",
                "ROLE_NOMIS_PRISONER_API__SYNCHRONISATION__RW",
                "ROLE_NOMIS_MAPPING_API__SYNCHRONISATION__RW",
                "ROLE_NOMIS_DPS_MAPPING__VISITS__RW",
                # The Activities API's checks (D1 needs it; D2 and D3 take it or ROLE_PRISON).
                "ROLE_ACTIVITY_ADMIN",
            ],
        ),
    }
    path = os.environ.get("SANDBOX_CLIENTS_FILE")
    if path:
        for raw in _load_json_list(path, "SANDBOX_CLIENTS_FILE"):
            try:
                client = Client(
                    client_id=str(raw["client_id"]),
                    secret=str(raw["client_secret"]),
                    grant_types=tuple(
                        raw.get("grant_types", ["authorization_code", "client_credentials"])
                    ),
                    redirect_uris=[str(u) for u in raw.get("redirect_uris", [])],
                    authorities=[_role(r) for r in raw.get("authorities", [])],
                )
            except (KeyError, TypeError) as exc:
                raise ConfigError(f"bad client in SANDBOX_CLIENTS_FILE: {raw!r}") from exc
            clients[client.client_id] = client
    extra = os.environ.get("SANDBOX_EXTRA_REDIRECT_URIS", "")
    for uri in (u.strip() for u in extra.split(",")):
        if uri and uri not in clients["nomis-sync-dashboard-ui"].redirect_uris:
            clients["nomis-sync-dashboard-ui"].redirect_uris.append(uri)
    return clients


# -- Users


@dataclass
class User:
    username: str
    password: str
    name: str
    roles: list[str]
    auth_source: str = "nomis"
    user_id: str = ""
    staff_id: int | None = None
    active_caseload: str | None = None


SANDBOX_PASSWORD = "password123456"


def default_users() -> dict[str, User]:
    users = {
        u.username: u
        for u in (
            User(
                "SYSCON_USER",
                SANDBOX_PASSWORD,
                "Sam Syscon",
                ["ROLE_MIGRATE_NOMIS_SYSCON"],
                user_id="485001",
                staff_id=485001,
                active_caseload="MDI",
            ),
            User(
                "VISITS_USER",
                SANDBOX_PASSWORD,
                "Vera Visits",
                ["ROLE_MIGRATE_VISITS"],
                user_id="485002",
                staff_id=485002,
                active_caseload="BXI",
            ),
            User(
                "SENTENCING_USER",
                SANDBOX_PASSWORD,
                "Sid Sentencing",
                ["ROLE_MIGRATE_SENTENCING"],
                user_id="485004",
                staff_id=485004,
                active_caseload="LEI",
            ),
            User(
                "ACTIVITIES_USER",
                SANDBOX_PASSWORD,
                "Ada Activities",
                ["ROLE_MIGRATE_ACTIVITIES"],
                user_id="485005",
                staff_id=485005,
                active_caseload="MDI",
            ),
            User(
                "APPOINTMENTS_USER",
                SANDBOX_PASSWORD,
                "Apu Appointments",
                ["ROLE_MIGRATE_APPOINTMENTS"],
                user_id="485006",
                staff_id=485006,
                active_caseload="LEI",
            ),
            User(
                "NO_ROLE_USER",
                SANDBOX_PASSWORD,
                "Nora Norole",
                [],
                user_id="485003",
                staff_id=485003,
                active_caseload="HEI",
            ),
        )
    }
    path = os.environ.get("SANDBOX_USERS_FILE")
    if path:
        for index, raw in enumerate(_load_json_list(path, "SANDBOX_USERS_FILE")):
            try:
                user = User(
                    username=str(raw["username"]).upper(),
                    password=str(raw.get("password", SANDBOX_PASSWORD)),
                    name=str(raw.get("name", raw["username"])),
                    roles=[_role(r) for r in raw.get("roles", [])],
                    auth_source=str(raw.get("auth_source", "nomis")),
                    user_id=str(raw.get("user_id", 490000 + index)),
                )
            except (KeyError, TypeError) as exc:
                raise ConfigError(f"bad user in SANDBOX_USERS_FILE: {raw!r}") from exc
            users[user.username] = user
    return users


def _role(role: Any) -> str:
    role = str(role)
    return role if role.startswith("ROLE_") else f"ROLE_{role}"


def _load_json_list(path: str, setting: str) -> list[dict[str, Any]]:
    """Read a JSON list of objects (or an object of objects keyed by name)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{setting}: cannot read {path}: {exc}") from exc
    if isinstance(data, dict):
        data = [{"username": k, "client_id": k, **v} for k, v in data.items()]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ConfigError(f"{setting}: expected a JSON list of objects")
    return data
