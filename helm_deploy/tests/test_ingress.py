"""The ingress: host and TLS per environment, allowlist, firewall; the NetworkPolicy (item 4)."""

from __future__ import annotations

import yaml
from chart import CHART, ROOT, Manifests, one, render, render_fails

HOSTS = {
    "dev": "nomis-sync-dashboard-dev.hmpps.service.justice.gov.uk",
    "preprod": "nomis-sync-dashboard-preprod.hmpps.service.justice.gov.uk",
    "prod": "nomis-sync-dashboard.hmpps.service.justice.gov.uk",
}
ALLOWLIST = "nginx.ingress.kubernetes.io/whitelist-source-range"


def test_each_environment_has_its_own_host_with_tls(environment: str, manifests: Manifests) -> None:
    spec = one(manifests, "Ingress")["spec"]
    assert [rule["host"] for rule in spec["rules"]] == [HOSTS[environment]]
    assert spec["tls"] == [
        {"hosts": [HOSTS[environment]], "secretName": "hmpps-nomis-sync-dashboard-cert"}
    ]
    assert one(manifests, "ConfigMap")["data"]["INGRESS_URL"] == f"https://{HOSTS[environment]}"


def test_rendering_fails_without_a_host() -> None:
    assert "ingress.host is required" in render_fails("dev", "ingress.host=")


def group_ranges(environment: str) -> list[str]:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    overrides = yaml.safe_load((ROOT / "helm_deploy" / f"values-{environment}.yaml").read_text())
    groups = {**values["allowlistGroups"], **overrides.get("allowlistGroups", {})}
    allowlist = {**values["allowlist"], **overrides.get("allowlist", {})}
    return [cidr for group in allowlist["groups"] for cidr in groups[group].values()]


def test_the_allowlist_is_the_named_groups_ranges(environment: str, manifests: Manifests) -> None:
    annotation = one(manifests, "Ingress")["metadata"]["annotations"][ALLOWLIST]
    assert annotation.split(",") == group_ranges(environment)


def test_named_ranges_join_the_groups_and_unknown_groups_are_refused(environment: str) -> None:
    sets = ("allowlist.gateway-a=198.51.100.7/32", "allowlist.gateway-b=198.51.100.8/32")
    annotation = one(render(environment, *sets), "Ingress")["metadata"]["annotations"][ALLOWLIST]
    assert annotation.split(",") == [*group_ranges(environment), *(s.split("=")[1] for s in sets)]
    message = render_fails(environment, "allowlist.groups[0]=nowhere")
    assert 'allowlist group "nowhere" is not defined' in message


def test_an_empty_allowlist_is_refused() -> None:
    assert "allowlist is empty" in render_fails("prod", "allowlist.groups=null")


def test_modsecurity_keeps_the_existing_dashboards_intent(
    environment: str, manifests: Manifests
) -> None:
    ingress = one(manifests, "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "modsec"
    assert annotations["nginx.ingress.kubernetes.io/enable-modsecurity"] == "true"
    snippet = annotations["nginx.ingress.kubernetes.io/modsecurity-snippet"]
    assert "SecRuleEngine On" in snippet
    assert "setvar:tx.paranoia_level=3" in snippet
    assert "setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'" in snippet
    for rule in ("949110", "959100"):
        assert f'SecRuleUpdateActionById {rule} "t:none,deny,status:406,' in snippet
    assert f"tag:namespace=nomis-sync-dashboard-{environment}" in snippet


def test_traffic_comes_in_only_from_the_ingress_controllers_and_monitoring(
    manifests: Manifests,
) -> None:
    policy = one(manifests, "NetworkPolicy")["spec"]
    selector = one(manifests, "Deployment")["spec"]["selector"]["matchLabels"]
    assert policy["podSelector"]["matchLabels"] == selector
    assert policy["policyTypes"] == ["Ingress"]
    sources = [rule["from"] for rule in policy["ingress"]]
    assert sources == [
        [{"namespaceSelector": {"matchLabels": {"component": "ingress-controllers"}}}],
        [{"namespaceSelector": {"matchLabels": {"component": "monitoring"}}}],
    ]
    for rule in policy["ingress"]:
        assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
