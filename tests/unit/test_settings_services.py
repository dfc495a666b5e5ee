"""The database and Redis as Cloud Platform gives them: RDS's secret parts, ElastiCache over TLS.

Settings are read in a fresh `manage.py` process with exactly the given environment, as in
test_settings; the real-service tests connect to PostgreSQL and to a Redis started here with TLS
and an auth token, so a form that only looks right in settings still fails.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require, run_manage
from tests.unit.test_settings import PRODUCTION

WITHOUT_DATABASE = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
WITHOUT_REDIS = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
# An RDS password may hold anything; none of it may be read as URL syntax.
AWKWARD_PASSWORD = "p@ss:w/rd#?&%"
RDS_PARTS = {
    # Cloud Platform's RDS secret gives the endpoint as "host:port".
    "DATABASE_HOST": "cloud-platform-abc.eu-west-2.rds.amazonaws.com:5433",
    "DATABASE_NAME": "db_abc",
    "DATABASE_USERNAME": "cp_user",
    "DATABASE_PASSWORD": AWKWARD_PASSWORD,
}


def settings_line(script: str, env: dict[str, str]) -> str:
    result = run_manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


DATABASE = (
    "from django.conf import settings as s; d = s.DATABASES['default']; "
    "print(repr((d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'], d['PASSWORD'], "
    "d['OPTIONS'].get('sslmode'))))"
)


def test_database_can_be_given_as_the_rds_secrets_parts() -> None:
    line = settings_line(DATABASE, {**WITHOUT_DATABASE, **RDS_PARTS})
    assert line == repr(
        (
            "django.db.backends.postgresql",
            "cloud-platform-abc.eu-west-2.rds.amazonaws.com",
            "5433",
            "db_abc",
            "cp_user",
            AWKWARD_PASSWORD,
            None,
        )
    )


def test_a_host_without_a_port_takes_database_port_and_sslmode_is_passed_on() -> None:
    env = {
        **WITHOUT_DATABASE,
        **RDS_PARTS,
        "DATABASE_HOST": "db.internal",
        "DATABASE_PORT": "6543",
        "DATABASE_SSLMODE": "require",
    }
    line = settings_line(DATABASE, env)
    assert line.startswith("('django.db.backends.postgresql', 'db.internal', '6543', ")
    assert line.endswith(", 'require')")


def test_the_database_password_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(AWKWARD_PASSWORD + "\n")
    parts = {k: v for k, v in RDS_PARTS.items() if k != "DATABASE_PASSWORD"}
    env = {**WITHOUT_DATABASE, **parts, "DATABASE_PASSWORD_FILE": str(secret)}
    assert f"'{AWKWARD_PASSWORD}'" in settings_line(DATABASE, env)


def test_every_missing_database_part_is_named() -> None:
    parts = {"DATABASE_HOST": RDS_PARTS["DATABASE_HOST"]}
    result = run_manage("check", env={**WITHOUT_DATABASE, **parts})
    assert result.returncode != 0
    assert (
        "Missing required environment variables: "
        "DATABASE_NAME, DATABASE_PASSWORD, DATABASE_USERNAME." in result.stderr
    )


def test_a_database_url_and_parts_together_are_refused() -> None:
    result = run_manage("check", env={**PRODUCTION, **RDS_PARTS})
    assert result.returncode != 0
    assert "either as DATABASE_URL or as DATABASE_HOST" in result.stderr


def test_migrate_alone_uses_the_owners_credentials_given_as_parts() -> None:
    env = {
        **WITHOUT_DATABASE,
        **RDS_PARTS,
        "DATABASE_MIGRATE_USERNAME": "owner",
        "DATABASE_MIGRATE_PASSWORD": "owner-secret",
    }
    script = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['USER'], d['PASSWORD'], d['HOST'], s.DATABASE_APP_ROLE)"
    )
    assert settings_line(script, env) == (
        f"cp_user {AWKWARD_PASSWORD} cloud-platform-abc.eu-west-2.rds.amazonaws.com cp_user"
    )


@pytest.mark.needs_postgres
@pytest.mark.django_db
def test_the_parts_reach_a_real_postgresql_and_migrate_runs_as_the_owner(
    postgres_url: str,
) -> None:
    name = connection.settings_dict["NAME"]
    env = {
        **WITHOUT_DATABASE,
        "DATABASE_HOST": "127.0.0.1:5432",
        "DATABASE_NAME": name,
        # A role that does not exist: only `migrate` may connect, and as the owner.
        "DATABASE_USERNAME": "nsd_no_such_role",
        "DATABASE_PASSWORD": "unused",
        "DATABASE_MIGRATE_USERNAME": "postgres",
        "DATABASE_MIGRATE_PASSWORD": "unused-with-trust-auth",
    }
    result = run_manage("migrate", "--plan", env=env)
    assert result.returncode == 0, result.stderr
    assert "No planned migration operations" in result.stdout
    app = {**env, "DATABASE_USERNAME": "postgres"}
    script = (
        "from django.db import connection as c; c.ensure_connection(); "
        "cur = c.cursor(); cur.execute('SELECT current_database()'); print(cur.fetchone()[0])"
    )
    assert settings_line(script, app) == name


REDIS = "from django.conf import settings as s; print(s.REDIS_URL, s.CACHES['default']['LOCATION'])"


def test_redis_can_be_given_as_elasticache_gives_it_with_tls_on_by_default() -> None:
    env = {
        **WITHOUT_REDIS,
        "REDIS_HOST": "master.nomis-sync.abc.euw2.cache.amazonaws.com",
        "REDIS_PASSWORD": AWKWARD_PASSWORD,
    }
    url = "rediss://:p%40ss%3Aw%2Frd%23%3F%26%25@master.nomis-sync.abc.euw2.cache.amazonaws.com:6379/0"
    assert settings_line(REDIS, env) == f"{url} {url}"
    plain = {**env, "REDIS_TLS_ENABLED": "false", "REDIS_PORT": "6380"}
    assert settings_line(REDIS, plain).startswith("redis://:p%40ss")
    assert ".amazonaws.com:6380/0" in settings_line(REDIS, plain)


def test_redis_url_and_redis_host_together_are_refused() -> None:
    result = run_manage("check", env={**PRODUCTION, "REDIS_HOST": "redis.internal"})
    assert result.returncode != 0
    assert "either as REDIS_URL or as REDIS_HOST" in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Redis that speaks only TLS and wants an auth token, as ElastiCache does."""
    server = shutil.which("redis-server")
    openssl = shutil.which("openssl")
    require("redis-server and openssl", bool(server and openssl), "apt-get install redis openssl")
    folder = tmp_path_factory.mktemp("tls-redis")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(str(openssl), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    process = subprocess.Popen(
        [
            *(str(server), "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1"),
            *("--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-auth-clients", "no"),
            *("--requirepass", AWKWARD_PASSWORD, "--save", "", "--appendonly", "no"),
            *("--dir", str(folder)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        # The test certificate is trusted through OpenSSL's own variable, as a platform CA would
        # be through the image's store: redis-py verifies the server's certificate either way.
        yield {"REDIS_HOST": "localhost", "REDIS_PORT": str(port), "SSL_CERT_FILE": str(cert)}
    finally:
        process.terminate()
        process.wait(timeout=10)


# The session cache and the /health ping, both through the URL the settings built.
ROUND_TRIP = (
    "from django.core.cache import cache; from kernel.health import configured_checks; "
    "cache.set('tls-check', 'kept', 30); configured_checks()['redis'].run(); "
    "print(cache.get('tls-check'))"
)


def test_sessions_and_health_reach_redis_over_tls_with_the_auth_token(
    tls_redis: dict[str, str],
) -> None:
    env = {**WITHOUT_REDIS, **tls_redis, "REDIS_PASSWORD": AWKWARD_PASSWORD}
    assert settings_line(ROUND_TRIP, env) == "kept"


def test_a_wrong_auth_token_or_no_tls_does_not_reach_it(tls_redis: dict[str, str]) -> None:
    wrong = {**WITHOUT_REDIS, **tls_redis, "REDIS_PASSWORD": "not-the-token"}
    result = run_manage("shell", "-c", ROUND_TRIP, env=wrong)
    assert result.returncode != 0
    assert "AuthenticationError" in result.stderr
    plain = {**wrong, "REDIS_PASSWORD": AWKWARD_PASSWORD, "REDIS_TLS_ENABLED": "false"}
    result = run_manage("shell", "-c", ROUND_TRIP, env=plain)
    assert result.returncode != 0
    assert "ConnectionError" in result.stderr
