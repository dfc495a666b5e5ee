"""Start-up configuration: required variables, production checks, and the asset pin."""

from __future__ import annotations

import json
import re
from importlib.metadata import metadata, version
from pathlib import Path

from tests.conftest import run_manage

ROOT = Path(__file__).resolve().parents[2]

REQUIRED = [
    "ACTIVITIES_API_URL",
    "AUTH_CODE_CLIENT_ID",
    "AUTH_CODE_CLIENT_SECRET",
    "CLIENT_CREDS_CLIENT_ID",
    "CLIENT_CREDS_CLIENT_SECRET",
    "DATABASE_URL",
    "HMPPS_AUTH_URL",
    "INGRESS_URL",
    "MAPPING_API_URL",
    "NOMIS_MIGRATION_API_URL",
    "NOMIS_PRISONER_API_URL",
    "REDIS_URL",
    "SECRET_KEY",
    # Token verification is on whenever DEBUG is off, so its address is required too.
    "TOKEN_VERIFICATION_API_URL",
]

PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "INGRESS_URL": "https://nomis-sync-dashboard.hmpps.service.justice.gov.uk",
    "HMPPS_AUTH_URL": "https://sign-in.hmpps.service.justice.gov.uk/auth",
    "NOMIS_MIGRATION_API_URL": "https://prisoner-nomis-migration.hmpps.service.justice.gov.uk",
    "NOMIS_PRISONER_API_URL": "https://nomis-prisoner-api.aks-live-1.studio-hosting.service.justice.gov.uk",
    "MAPPING_API_URL": "https://nomis-sync-prisoner-mapping.hmpps.service.justice.gov.uk",
    "ACTIVITIES_API_URL": "https://activities-api.prison.service.justice.gov.uk",
    "TOKEN_VERIFICATION_API_URL": "https://token-verification-api.prison.service.justice.gov.uk",
    "AUTH_CODE_CLIENT_ID": "ui-client",
    "AUTH_CODE_CLIENT_SECRET": "ui-secret",
    "CLIENT_CREDS_CLIENT_ID": "system-client",
    "CLIENT_CREDS_CLIENT_SECRET": "system-secret",
    "DATABASE_URL": "postgres://user@db.internal:5432/dashboard",
    "REDIS_URL": "rediss://redis.internal:6379/0",
}


def test_production_start_up_names_every_missing_variable_at_once() -> None:
    result = run_manage("check")
    assert result.returncode != 0
    line = next(
        line for line in result.stderr.splitlines() if "Missing required environment" in line
    )
    for name in REQUIRED:
        assert name in line, name


def test_one_missing_variable_is_named_alone() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "MAPPING_API_URL"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "Missing required environment variables: MAPPING_API_URL." in result.stderr


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(PRODUCTION["SECRET_KEY"] + "\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    env["SECRET_KEY_FILE"] = str(secret_file)
    result = run_manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_production_values() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked_for() -> None:
    script = "from django.conf import settings; print(settings.DEBUG)"
    assert (
        run_manage("shell", "-c", script, env=PRODUCTION).stdout.strip().splitlines()[-1] == "False"
    )
    env = {**PRODUCTION, "DEBUG": "true"}
    assert run_manage("shell", "-c", script, env=env).stdout.strip().splitlines()[-1] == "True"


def test_token_verification_is_on_in_deployed_settings_unless_explicitly_disabled() -> None:
    script = "from django.conf import settings; print(settings.TOKEN_VERIFICATION_ENABLED)"

    def enabled(**extra: str) -> str:
        env = {**PRODUCTION, **extra}
        return run_manage("shell", "-c", script, env=env).stdout.strip().splitlines()[-1]

    assert enabled() == "True"
    assert enabled(TOKEN_VERIFICATION_ENABLED="false") == "False"
    # Development keeps it off unless asked for.
    assert enabled(DEBUG="true") == "False"
    without_url = {k: v for k, v in PRODUCTION.items() if k != "TOKEN_VERIFICATION_API_URL"}
    result = run_manage("check", env=without_url)
    assert "Missing required environment variables: TOKEN_VERIFICATION_API_URL." in result.stderr
    result = run_manage("check", env={**without_url, "TOKEN_VERIFICATION_ENABLED": "false"})
    assert result.returncode == 0, result.stderr


def test_postgresql_connections_give_up_after_a_few_seconds() -> None:
    script = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    options = run_manage("shell", "-c", script, env=PRODUCTION).stdout.strip().splitlines()[-1]
    assert "'connect_timeout': 5" in options
    env = {**PRODUCTION, "DATABASE_URL": PRODUCTION["DATABASE_URL"] + "?connect_timeout=12"}
    options = run_manage("shell", "-c", script, env=env).stdout.strip().splitlines()[-1]
    assert "'connect_timeout': 12" in options


def test_env_example_documents_every_variable_the_settings_read() -> None:
    settings_source = (ROOT / "nomis_sync" / "settings.py").read_text()
    read = set(re.findall(r'(?:_read|_value)\(\s*"([A-Z_]+)"', settings_source))
    read |= set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', settings_source))
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert read - documented == set()


def test_govuk_frontend_is_pinned_to_the_release_the_macros_target() -> None:
    """govuk-frontend-jinja's README table names the GOV.UK Frontend release each version ports."""
    macros_version = version("govuk-frontend-jinja")
    readme = metadata("govuk-frontend-jinja").get_payload()  # type: ignore[attr-defined]
    row = re.search(
        rf"\[{re.escape(macros_version)}\]\([^)]*\)\s*\|\s*\[(\d+\.\d+\.\d+)\]", readme or ""
    )
    assert row, f"no compatibility row for govuk-frontend-jinja {macros_version}"
    targeted = row.group(1)
    package = json.loads((ROOT / "package.json").read_text())
    assert package["dependencies"]["govuk-frontend"] == targeted
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/govuk-frontend"]["version"] == targeted
