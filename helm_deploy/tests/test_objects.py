"""What the chart renders: the objects, the migration hook and the alerts (issue 25, item 1)."""

from __future__ import annotations

from chart import Manifest, Manifests, one, render

from migrations_ui.audit.metrics import GAUGES

EXPECTED_KINDS = {
    "ConfigMap",
    "Deployment",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Job",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "PrometheusRule",
    "Service",
    "ServiceAccount",
    "ServiceMonitor",
}


def env_of(container: Manifest) -> dict[str, Manifest]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def secret_ref(entry: Manifest) -> tuple[str, str]:
    ref = entry["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def test_each_environment_renders_every_object_a_deployment_needs(manifests: Manifests) -> None:
    assert sorted(doc["kind"] for doc in manifests) == sorted(EXPECTED_KINDS)


def test_the_service_the_ingress_and_the_monitor_all_reach_the_pods_http_port(
    manifests: Manifests,
) -> None:
    deployment, service = one(manifests, "Deployment"), one(manifests, "Service")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    [port] = service["spec"]["ports"]
    assert (port["name"], port["targetPort"]) == ("http", "http")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    backend = one(manifests, "Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"] == {"name": service["metadata"]["name"], "port": {"name": "http"}}
    monitor = one(manifests, "ServiceMonitor")["spec"]
    assert monitor["selector"]["matchLabels"] == service["spec"]["selector"]
    assert monitor["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "60s"}]


def test_the_migration_job_runs_before_install_and_upgrade_as_the_tables_owner(
    manifests: Manifests,
) -> None:
    job = one(manifests, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    env = env_of(container)
    # The owner (RDS's master user) migrates; the grants then go to the application's role.
    assert secret_ref(env["DATABASE_MIGRATE_USERNAME"]) == (
        "rds-postgresql-instance-output",
        "database_username",
    )
    assert secret_ref(env["DATABASE_MIGRATE_PASSWORD"])[1] == "database_password"
    assert secret_ref(env["DATABASE_USERNAME"])[0] == "hmpps-nomis-sync-dashboard-database-app"
    # The pods never hold the owner's credentials.
    app = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert not any(name.startswith("DATABASE_MIGRATE") for name in env_of(app))


def alerts(manifests: Manifests) -> dict[str, Manifest]:
    rule = one(manifests, "PrometheusRule")
    return {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}


def test_alerts_watch_5xx_restarts_unavailable_replicas_and_unknown_audit_outcomes(
    environment: str, manifests: Manifests
) -> None:
    rules = alerts(manifests)
    assert set(rules) == {
        "NomisSyncDashboard5xxResponses",
        "NomisSyncDashboardPodRestarts",
        "NomisSyncDashboardReplicasUnavailable",
        "NomisSyncDashboardAuditOutcomeUnknown",
    }
    ns = f'"nomis-sync-dashboard-{environment}"'
    five = rules["NomisSyncDashboard5xxResponses"]["expr"]
    assert "nginx_ingress_controller_requests" in five
    assert 'status=~"5.."' in five
    assert f"exported_namespace={ns}" in five
    assert (
        "kube_pod_container_status_restarts_total" in rules["NomisSyncDashboardPodRestarts"]["expr"]
    )
    unavailable = rules["NomisSyncDashboardReplicasUnavailable"]["expr"]
    deployment = one(manifests, "Deployment")["metadata"]["name"]
    assert f'deployment="{deployment}"' in unavailable
    for rule in rules.values():
        assert f"namespace={ns}" in rule["expr"]
        assert rule["labels"]["severity"]
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["message"]


def test_the_audit_alert_reads_the_gauges_the_dashboard_serves(manifests: Manifests) -> None:
    expr = alerts(manifests)["NomisSyncDashboardAuditOutcomeUnknown"]["expr"]
    served = {name for name, _help in GAUGES.values()}
    assert served == {
        "nomis_sync_dashboard_audit_outcome_unknown",
        "nomis_sync_dashboard_audit_outcome_missing",
    }
    assert 'nomis_sync_dashboard_audit_outcome_(unknown|missing)"' in expr
    assert expr.rstrip().endswith("> 0")


def test_alerts_and_the_monitor_can_be_left_out() -> None:
    kinds = {
        doc["kind"] for doc in render("dev", "alerts.enabled=false", "serviceMonitor.enabled=false")
    }
    assert "PrometheusRule" not in kinds
    assert "ServiceMonitor" not in kinds
