"""Every rendered object is valid offline, and the migration hook can run on a first install.

The Kubernetes objects are checked against the 1.35 API's schemas in their strict form (an
unknown or misspelt field is an error), bundled by the `kubernetes-validate` package: kubectl
cannot validate without a cluster to ask. PrometheusRule and ServiceMonitor are custom resources
the API's schemas do not know; tools/validate-crds.mjs checks them with the validators
prometheus-operator's models generate from its API types.
"""

from __future__ import annotations

import copy
import json
import subprocess

import kubernetes_validate
import pytest
from chart import ROOT, Manifest, Manifests, one

from tests.conftest import require

KUBERNETES = "1.35.0"
MONITORING = "monitoring.coreos.com/v1"
CRD_VALIDATOR = ROOT / "tools" / "validate-crds.mjs"


def test_every_kubernetes_object_is_valid_for_the_1_35_api(manifests: Manifests) -> None:
    checked = 0
    for doc in manifests:
        if doc["apiVersion"] == MONITORING:
            continue
        version = kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        assert version == "1.35", doc["kind"]
        checked += 1
    assert checked == len(manifests) - 2


def test_the_strict_schema_refuses_a_misspelt_field(manifests: Manifests) -> None:
    broken = copy.deepcopy(one(manifests, "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def validate_crds(objects: list[Manifest]) -> subprocess.CompletedProcess[str]:
    node_modules = ROOT / ".tools" / "node_modules" / "@kubernetes-models"
    require("node tools", node_modules.is_dir(), "run `make chart-check` (tools/install.sh node)")
    return subprocess.run(
        ["node", str(CRD_VALIDATOR)],
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )


def test_the_prometheus_rule_and_service_monitor_match_their_own_schema(
    manifests: Manifests,
) -> None:
    monitoring = [doc for doc in manifests if doc["apiVersion"] == MONITORING]
    assert {doc["kind"] for doc in monitoring} == {"PrometheusRule", "ServiceMonitor"}
    result = validate_crds(monitoring)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_crd_validator_refuses_a_broken_rule(manifests: Manifests) -> None:
    rule = copy.deepcopy(one(manifests, "PrometheusRule"))
    first = rule["spec"]["groups"][0]["rules"][0]
    first["for"] = "five minutes"
    del first["expr"]
    result = validate_crds([rule])
    assert result.returncode == 1
    assert "must have required property expr" in result.stdout
    assert "/for must match pattern" in result.stdout


def hook_weight(doc: Manifest) -> int | None:
    annotations = doc["metadata"].get("annotations") or {}
    if "helm.sh/hook" not in annotations:
        return None
    return int(annotations.get("helm.sh/hook-weight", "0"))


def referenced(pod: Manifest) -> set[tuple[str, str]]:
    """(kind, name) of every object a pod spec needs to exist before it can start."""
    needs = {("ServiceAccount", pod.get("serviceAccountName", "default"))}
    for volume in pod.get("volumes", []):
        for key, kind, field in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
            ("persistentVolumeClaim", "PersistentVolumeClaim", "claimName"),
        ):
            if key in volume:
                needs.add((kind, volume[key][field]))
    for each in pod.get("initContainers", []) + pod["containers"]:
        for source in each.get("envFrom", []):
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if key in source:
                    needs.add((kind, source[key]["name"]))
        for entry in each.get("env", []):
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = entry.get("valueFrom", {}).get(key)
                if ref:
                    needs.add((kind, ref["name"]))
    return needs


def test_the_migration_hook_uses_only_what_exists_before_a_first_install(
    manifests: Manifests,
) -> None:
    """Helm runs pre-install hooks before it creates the release's other objects: whatever the
    Job needs must come from the namespace, or be a hook itself with a lower weight."""
    job = one(manifests, "Job")
    weight = hook_weight(job)
    assert weight is not None
    rendered = {(doc["kind"], doc["metadata"]["name"]): doc for doc in manifests}
    needs = referenced(job["spec"]["template"]["spec"])
    assert ("Secret", "rds-postgresql-instance-output") in needs
    for kind, name in needs:
        doc = rendered.get((kind, name))
        if doc is None:
            continue  # the namespace's own: its secrets, its default ServiceAccount
        earlier = hook_weight(doc)
        assert earlier is not None and earlier < weight, f"{kind}/{name} is not there yet"


def test_the_first_install_check_notices_an_ordinary_object(manifests: Manifests) -> None:
    job = copy.deepcopy(one(manifests, "Job"))
    pod = job["spec"]["template"]["spec"]
    pod["serviceAccountName"] = one(manifests, "ServiceAccount")["metadata"]["name"]
    with pytest.raises(AssertionError, match="is not there yet"):
        test_the_migration_hook_uses_only_what_exists_before_a_first_install(
            tuple(doc if doc["kind"] != "Job" else job for doc in manifests)
        )
