"""The image build and check's own logic (container/); `make image-check` runs the real image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from container import build, check
from container.buildah import Failure, require
from sandbox.testing import free_port

REPO = Path(__file__).resolve().parents[2]


def test_a_missing_tool_is_one_line_naming_the_debian_package(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(Failure) as failure:
        require("mmdebstrap")
    assert str(failure.value) == "image: mmdebstrap is not installed: apt-get install -y mmdebstrap"


def test_a_registry_that_cannot_be_reached_fails_the_build_at_once(monkeypatch) -> None:
    closed = f"http://127.0.0.1:{free_port()}/simple/"
    monkeypatch.setattr(build, "PACKAGE_REGISTRIES", {"PyPI": closed})
    monkeypatch.setattr(build, "require", lambda command: command)
    monkeypatch.setattr(build, "build", lambda *args, **kwargs: pytest.fail("built anyway"))
    with pytest.raises(Failure) as failure:
        build.main(["--bases", "local"])
    assert str(failure.value) == (
        f"image: PyPI cannot be reached at {closed}, and the build installs packages from it: "
        "check the network"
    )


def test_a_local_base_is_named_by_what_it_contains() -> None:
    python = build.BASES["PYTHON_BASE"]
    same = build.Base(python.name, python.suite, tuple(reversed(python.packages)), python.replaces)
    more = build.Base(python.name, python.suite, (*python.packages, "curl"), python.replaces)
    newer = build.Base(python.name, "trixie", python.packages, python.replaces)
    assert same.tag == python.tag
    assert len({python.tag, more.tag, newer.tag}) == 3
    assert re.fullmatch(r"localhost/nomis-sync-base-python:[0-9a-f]{12}", python.tag)


def test_the_local_bases_stand_in_for_the_dockerfiles_defaults() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for argument, base in build.BASES.items():
        assert f"ARG {argument}={base.replaces}\n" in dockerfile


def test_an_image_over_its_size_budget_fails(monkeypatch) -> None:
    sizes = {"image": [200_000_000, 140_000_000], "base": [200_000_000]}
    monkeypatch.setattr(build, "layer_sizes", lambda name: sizes[name])
    with pytest.raises(Failure, match="over its size budget"):
        build.check_size("image", "base", local=True)
    sizes["image"] = [200_000_000, 111_000_000]
    build.check_size("image", "base", local=True)


def test_the_machines_registry_configuration_is_mounted_read_only_never_copied(
    tmp_path, monkeypatch
) -> None:
    bundle = tmp_path / "ca.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text(f"[global]\ncert = {bundle}\nconstraint = {tmp_path}/absent.txt\n")
    npmrc = tmp_path / "npmrc"
    npmrc.write_text(f'cafile="{bundle}"\nfund=false\n')
    monkeypatch.setattr(build, "PIP_CONFIGS", (pip_conf, tmp_path / "missing.conf"))
    monkeypatch.setattr(build, "_npm_global_config", lambda: npmrc)

    mounts = build.registry_config_mounts()

    assert mounts == [
        f"{pip_conf}:{pip_conf}:ro",
        f"{bundle}:{bundle}:ro",
        f"{npmrc}:/root/.npmrc:ro",
    ]
    # Mounted for RUN steps only: the Dockerfile itself copies no configuration or certificate.
    dockerfile = (REPO / "Dockerfile").read_text()
    assert not re.search(r"^(COPY|ADD) .*(pip\.conf|npmrc|\.crt|\.pem)", dockerfile, re.MULTILINE)


def test_writes_outside_tmp_are_found_except_the_runtimes_own_mark_on_run() -> None:
    before = {"/app": (10, 0o40755, 1), "/run": (10, 0o40755, 1), "/etc/hosts": (5, 0o100644, 1)}
    assert check.changed_paths(before, dict(before)) == []
    moved_run = {**before, "/run": (10, 0o40755, 2)}
    assert check.changed_paths(before, moved_run) == []
    written = {**before, "/app/.gunicorn": (0, 0o40700, 3), "/etc/hosts": (6, 0o100644, 2)}
    assert check.changed_paths(before, written) == ["/app/.gunicorn", "/etc/hosts"]
    assert check.changed_paths(before, {**before, "/run": (10, 0o40777, 1)}) == ["/run"]
    removed = {path: info for path, info in before.items() if path != "/etc/hosts"}
    assert check.changed_paths(before, removed) == ["/etc/hosts"]


def test_dev_only_packages_are_what_the_image_must_not_hold() -> None:
    dev_only = check.dev_only_packages()
    assert {"pytest", "playwright", "ruff", "mypy", "requests_mock", "factory_boy"} <= dev_only
    assert not {"django", "gunicorn", "requests", "psycopg"} & dev_only


def test_the_production_stage_copies_no_sandbox_tests_or_tools() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    runtime = dockerfile[dockerfile.index("AS runtime") :]
    copied = re.findall(r"^COPY (?:--from=\S+ )?(.+?) \S+$", runtime, re.MULTILINE)
    assert copied, "no COPY found in the runtime stage"
    for sources in copied:
        for source in sources.split():
            assert not source.startswith(("sandbox", "tests", "bench", "node_modules", ".")), source
    assert dockerfile.rstrip().splitlines()[-1].startswith("CMD"), "runtime must be the last stage"
    assert "\nUSER 2000:2000\n" in runtime
