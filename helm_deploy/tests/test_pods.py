"""Pods that survive a real cluster (issue 25, item 2)."""

from __future__ import annotations

import runpy

import pytest
from chart import ROOT, Manifest, Manifests, one, pod_specs, render, render_fails
from gunicorn.config import Config

REPLICAS = {"dev": 2, "preprod": 2, "prod": 4}
# The image's appuser (Dockerfile).
APP_UID = 2000
# Benchmark and local measurements (values.yaml): gunicorn master 89 MB, peak 112 MB per worker.
MEASURED_PEAK_MIB = (89 + 2 * 112) * 1000 * 1000 / 1024 / 1024


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def deadline_seconds(manifests: Manifests) -> float:
    return float(one(manifests, "ConfigMap")["data"]["REQUEST_DEADLINE_SECONDS"])


def container(manifests: Manifests) -> Manifest:
    return one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"][0]


def test_replicas_per_environment_at_least_two_and_four_in_prod(
    environment: str, manifests: Manifests
) -> None:
    hpa = one(manifests, "HorizontalPodAutoscaler")["spec"]
    assert hpa["minReplicas"] == REPLICAS[environment]
    assert hpa["maxReplicas"] >= hpa["minReplicas"]
    assert hpa["scaleTargetRef"]["name"] == one(manifests, "Deployment")["metadata"]["name"]
    # The autoscaler owns the count; the Deployment does not fight it on each upgrade.
    assert "replicas" not in one(manifests, "Deployment")["spec"]


def test_without_the_autoscaler_the_deployment_keeps_the_count(environment: str) -> None:
    manifests = render(environment, "autoscaling.enabled=false")
    assert one(manifests, "Deployment")["spec"]["replicas"] == REPLICAS[environment]
    assert "HorizontalPodAutoscaler" not in {doc["kind"] for doc in manifests}


def test_rolling_updates_never_take_a_pod_away_first(manifests: Manifests) -> None:
    strategy = one(manifests, "Deployment")["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    assert strategy["rollingUpdate"]["maxSurge"] >= 1
    assert one(manifests, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_pods_spread_across_nodes(manifests: Manifests) -> None:
    spec = one(manifests, "Deployment")["spec"]
    by_key = {c["topologyKey"]: c for c in spec["template"]["spec"]["topologySpreadConstraints"]}
    nodes = by_key["kubernetes.io/hostname"]
    assert nodes["maxSkew"] == 1
    assert nodes["whenUnsatisfiable"] == "DoNotSchedule"
    assert nodes["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"]
    assert "topology.kubernetes.io/zone" in by_key


def test_every_probe_asks_ping_which_depends_on_no_other_service(manifests: Manifests) -> None:
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container(manifests)[name]
        assert probe["httpGet"] == {"path": "/ping", "port": "http"}


@pytest.mark.parametrize("probe", ["livenessProbe", "readinessProbe"])
def test_a_pod_busy_until_its_deadline_is_neither_unready_nor_restarted(
    manifests: Manifests, probe: str
) -> None:
    """Every thread is back within REQUEST_DEADLINE_SECONDS, even when an upstream hangs."""
    spec = container(manifests)[probe]
    assert spec["periodSeconds"] * spec["failureThreshold"] > deadline_seconds(manifests)


def test_pods_finish_requests_in_flight_before_they_stop(manifests: Manifests) -> None:
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    sleep = container(manifests)["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    assert int(sleep[1]) > deadline_seconds(manifests)
    # After preStop, SIGTERM: gunicorn then waits up to its graceful timeout for its workers.
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    graceful = settings.get("graceful_timeout", Config().graceful_timeout)
    assert pod["terminationGracePeriodSeconds"] > int(sleep[1]) + graceful


def test_every_container_has_requests_and_limits_from_the_measured_memory(
    manifests: Manifests,
) -> None:
    for kind, spec in pod_specs(manifests).items():
        for each in spec["containers"]:
            resources = each["resources"]
            for bound in ("requests", "limits"):
                assert set(resources[bound]) == {"cpu", "memory"}, (kind, bound)
            assert mebibytes(resources["limits"]["memory"]) > mebibytes(
                resources["requests"]["memory"]
            )
    app = container(manifests)["resources"]
    assert mebibytes(app["requests"]["memory"]) >= MEASURED_PEAK_MIB
    assert mebibytes(app["limits"]["memory"]) >= 1.5 * MEASURED_PEAK_MIB


def test_every_pod_runs_locked_down_as_the_images_user(manifests: Manifests) -> None:
    for kind, spec in pod_specs(manifests).items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, kind
        assert pod["runAsUser"] == APP_UID
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        tmp = {v["name"]: v for v in spec["volumes"]}["tmp"]
        assert "emptyDir" in tmp
        for each in spec["containers"]:
            context = each["securityContext"]
            assert context["runAsNonRoot"] is True
            assert context["runAsUser"] == APP_UID
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert {"name": "tmp", "mountPath": "/tmp"} in each["volumeMounts"]


def test_no_service_account_token_is_mounted(manifests: Manifests) -> None:
    assert one(manifests, "ServiceAccount")["automountServiceAccountToken"] is False
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == one(manifests, "ServiceAccount")["metadata"]["name"]


def test_rendering_fails_without_an_image_tag(environment: str) -> None:
    assert "image.tag is required" in render_fails(environment, tag=None)
    assert "image.tag is required" in render_fails(environment, tag="")


def test_the_image_is_the_tagged_build(manifests: Manifests) -> None:
    for spec in pod_specs(manifests).values():
        image = spec["containers"][0]["image"]
        assert image.startswith("ghcr.io/ministryofjustice/hmpps-nomis-sync-dashboard:")
        assert not image.endswith(":latest")


def checksum(manifests: Manifests) -> str:
    return one(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"][
        "checksum/config"
    ]


def test_a_change_of_configuration_rolls_the_pods(environment: str, manifests: Manifests) -> None:
    assert checksum(render(environment)) == checksum(manifests)
    assert checksum(render(environment, "env.LOG_LEVEL=DEBUG")) != checksum(manifests)
    # The new image alone rolls them anyway; the checksum follows only the configuration.
    assert checksum(render(environment, "image.pullPolicy=Always")) == checksum(manifests)
