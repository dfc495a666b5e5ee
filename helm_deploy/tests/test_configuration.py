"""Configuration from values, secrets only referenced (issue 25, item 3)."""

from __future__ import annotations

import re

from chart import ROOT, Manifest, Manifests, one, pod_specs, render_fails

from tests.conftest import run_manage

SECRET_LIKE = re.compile(r"(^SECRET_KEY|_SECRET|PASSWORD|CONNECTION_STRING)$")
# The existing dashboard's secrets (and, for the audit log, the RDS instance's and the app role's).
EXPECTED_SECRETS = {
    "hmpps-nomis-sync-dashboard-application-insights": {"APPLICATIONINSIGHTS_CONNECTION_STRING"},
    "hmpps-nomis-sync-dashboard-auth-code": {"AUTH_CODE_CLIENT_ID", "AUTH_CODE_CLIENT_SECRET"},
    "hmpps-nomis-sync-dashboard-client-creds": {
        "CLIENT_CREDS_CLIENT_ID",
        "CLIENT_CREDS_CLIENT_SECRET",
    },
    "hmpps-nomis-sync-dashboard-session-secret": {"SECRET_KEY"},
    "hmpps-redis": {"REDIS_HOST", "REDIS_PASSWORD"},
    "rds-postgresql-instance-output": {"DATABASE_HOST", "DATABASE_NAME"},
    "hmpps-nomis-sync-dashboard-database-app": {"DATABASE_USERNAME", "DATABASE_PASSWORD"},
}
# What a namespace's secrets might hold, shaped as the settings expect each value.
SECRET_VALUES = {
    "SECRET_KEY": "chart-check-only-" + "k3y-" * 16,
    "DATABASE_HOST": "cloud-platform-abc.eu-west-2.rds.amazonaws.com:5432",
    "REDIS_HOST": "master.abc.euw2.cache.amazonaws.com",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        "IngestionEndpoint=https://ingestion.invalid/"
    ),
}


def secrets_by_name(container: Manifest) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in container.get("env", []):
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            found.setdefault(ref["name"], set()).add(entry["name"])
    return found


def test_no_secret_is_rendered_and_secret_values_only_come_from_secret_refs(
    manifests: Manifests,
) -> None:
    assert "Secret" not in {doc["kind"] for doc in manifests}
    assert not [name for name in one(manifests, "ConfigMap")["data"] if SECRET_LIKE.search(name)]
    for spec in pod_specs(manifests).values():
        for entry in spec["containers"][0].get("env", []):
            if SECRET_LIKE.search(entry["name"]):
                assert "value" not in entry, entry["name"]
                assert entry["valueFrom"]["secretKeyRef"]["name"]


def test_the_pods_take_the_existing_dashboards_secrets(manifests: Manifests) -> None:
    app = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert secrets_by_name(app) == EXPECTED_SECRETS


def test_a_secret_given_as_a_value_is_refused() -> None:
    for name in ("AUTH_CODE_CLIENT_SECRET", "SECRET_KEY", "REDIS_PASSWORD", "DATABASE_PASSWORD"):
        assert "looks like a secret" in render_fails("dev", f"env.{name}=oops")


def test_every_variable_given_is_one_the_dashboard_reads(manifests: Manifests) -> None:
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    # PORT is gunicorn's (gunicorn.conf.py); PRODUCT_ID is shown at /info.
    documented |= {"PORT", "PRODUCT_ID"}
    for spec in pod_specs(manifests).values():
        env = {entry["name"] for entry in spec["containers"][0].get("env", [])}
        assert env - documented == set()
    assert set(one(manifests, "ConfigMap")["data"]) - documented == set()


def environment_of(manifests: Manifests, kind: str) -> dict[str, str]:
    """The variables a pod would see, its secrets filled with plausible values."""
    spec = pod_specs(manifests)[kind]["containers"][0]
    env: dict[str, str] = {}
    if spec.get("envFrom"):
        env.update(one(manifests, "ConfigMap")["data"])
    for entry in spec.get("env", []):
        env[entry["name"]] = entry.get("value", SECRET_VALUES.get(entry["name"], "from-a-secret"))
    return env


SERVED = "from django.conf import settings as s; print(' '.join(s.ALLOWED_HOSTS))"


def test_the_dashboard_starts_with_each_environments_configuration(manifests: Manifests) -> None:
    """Production settings accept what the pods and the migration Job are given, and nothing
    required is missing; the dashboard serves exactly the ingress's host."""
    host = one(manifests, "Ingress")["spec"]["rules"][0]["host"]
    for kind in ("Deployment", "Job"):
        env = environment_of(manifests, kind)
        assert "DEBUG" not in env
        result = run_manage("check", "--deploy", env=env)
        assert result.returncode == 0, f"{kind}: {result.stdout}{result.stderr}"
        # Every deployment warning counts; only the built assets may be missing from a checkout
        # (make chart-check does not build them; the image does).
        warnings = set(re.findall(r"\((\w+\.W\d+)\)", result.stderr))
        assert warnings <= {"staticfiles.W004"}, f"{kind}: {result.stderr}"
        served = run_manage("shell", "-c", SERVED, env=env)
        assert served.stdout.strip().splitlines()[-1] == host


BEHIND_THE_INGRESS = """
from django.test import RequestFactory
from kernel.proxies import TrustedProxyMiddleware
for peer in ("{controller}", "203.0.113.9"):
    seen = []
    TrustedProxyMiddleware(lambda request: seen.append(request.is_secure()))(
        RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")
    )
    print(peer, seen[0])
"""


def test_requests_through_the_ingress_are_https_and_a_direct_claim_is_not(
    manifests: Manifests,
) -> None:
    """TLS ends at the ingress controllers: their X-Forwarded-Proto must be believed, or every
    request looks like plain HTTP and the https redirect loops; nobody else's is."""
    env = environment_of(manifests, "Deployment")
    # An ingress controller's pod address on the cluster's network, and a caller on the internet.
    script = BEHIND_THE_INGRESS.format(controller="172.20.41.7")
    result = run_manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    answers = re.findall(r"^(\S+ (?:True|False))$", result.stdout, re.MULTILINE)
    assert answers == ["172.20.41.7 True", "203.0.113.9 False"]
