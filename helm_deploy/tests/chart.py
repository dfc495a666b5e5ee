"""Render the chart with the real helm, once per environment and set of extra values."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm_deploy" / "hmpps-nomis-sync-dashboard"
HELM = Path(os.environ.get("HELM", ROOT / ".tools" / "helm"))
ENVIRONMENTS = ("dev", "preprod", "prod")
RELEASE = "hmpps-nomis-sync-dashboard"
TAG = "2026-12-06.1234.abcdef0"

Manifest = dict[str, Any]
# One environment's rendered objects, as the `manifests` fixture gives them.
Manifests = tuple[Manifest, ...]


def namespace(environment: str) -> str:
    return f"nomis-sync-dashboard-{environment}"


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    require("helm", HELM.is_file(), "run `make chart-check`, which installs it into .tools/")
    return subprocess.run(
        [str(HELM), *args], capture_output=True, text=True, check=False, timeout=60
    )


def template_args(environment: str, *sets: str, tag: str | None = TAG) -> list[str]:
    args = ["template", RELEASE, str(CHART), "--namespace", namespace(environment)]
    args += ["-f", str(ROOT / "helm_deploy" / f"values-{environment}.yaml")]
    if tag is not None:
        args += ["--set", f"image.tag={tag}"]
    for value in sets:
        args += ["--set", value]
    return args


@functools.cache
def render(environment: str, *sets: str) -> tuple[Manifest, ...]:
    """The environment's objects, with any `--set` values added."""
    result = helm(*template_args(environment, *sets))
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render_fails(environment: str, *sets: str, tag: str | None = TAG) -> str:
    """helm's error when rendering must fail."""
    result = helm(*template_args(environment, *sets, tag=tag))
    assert result.returncode != 0, "rendering should have failed"
    return result.stderr


def one(manifests: tuple[Manifest, ...], kind: str) -> Manifest:
    found = [doc for doc in manifests if doc["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


def pod_specs(manifests: tuple[Manifest, ...]) -> dict[str, Manifest]:
    """Every pod template's spec, by the kind that owns it (Deployment, Job)."""
    return {
        doc["kind"]: doc["spec"]["template"]["spec"]
        for doc in manifests
        if doc["kind"] in ("Deployment", "Job")
    }
