"""Build the production image (and the sandbox's) from the one Dockerfile, with buildah.

    python -m container.build [--bases auto|official|local] [--target runtime|sandbox|all]

The Dockerfile's bases default to the official Python and Node images. Where those cannot be
pulled (no route to a public registry, as on the development machines), equivalent local bases are
built from Debian packages with mmdebstrap, imported, and passed in as build arguments. They are
tagged by a hash of their recipe, so they are built once and again only when the recipe changes.

pip and npm inside the build reach their registries with the machine's own configuration and CA
bundle, mounted read-only for the build's RUN steps only: never copied into a layer.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from container.buildah import Failure, buildah, image_exists, layer_sizes, podman, require

REPO = Path(__file__).resolve().parent.parent
DASHBOARD_IMAGE = "localhost/hmpps-nomis-sync-dashboard"
SANDBOX_IMAGE = "localhost/hmpps-nomis-sync-dashboard-sandbox"

# The production image's size budget, from its measurement on 2026-12-06 (uncompressed layers):
# 333 MB in all on the local Debian base, 111 MB of it over the base (dependencies 122 MB on disk
# before pip is removed, the dashboard and its hashed assets 11 MB). About 10 % room: a new
# dependency of any size is a decision to make, not a surprise. The total is judged only on the
# local base; the official base's size is not ours to budget.
SIZE_BUDGET_MB = {"added": 125, "total": 360}


@dataclass(frozen=True)
class Base:
    """A local stand-in for an official base image, from Debian's packages."""

    name: str
    suite: str
    packages: tuple[str, ...]
    replaces: str

    @property
    def tag(self) -> str:
        """Named by what it contains: a changed recipe is a new base, built once."""
        recipe = f"{self.suite} --variant=apt --include={','.join(sorted(self.packages))}"
        digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
        return f"localhost/nomis-sync-base-{self.name}:{digest}"


# Python 3.11 is bookworm's. Node 20 is trixie's (sass needs Node 20.19 or later; bookworm has 18);
# only the built assets leave that stage. Without tzdata the settings fail on Europe/London.
BASES = {
    "PYTHON_BASE": Base(
        "python",
        "bookworm",
        ("python3", "python3-venv", "ca-certificates", "tzdata"),
        "python:3.11-slim-bookworm",
    ),
    "NODE_BASE": Base(
        "node", "trixie", ("nodejs", "npm", "ca-certificates"), "node:20-bookworm-slim"
    ),
}

OFFICIAL_REGISTRY = "https://registry-1.docker.io/v2/"
DEBIAN_MIRROR = "http://deb.debian.org/debian/dists/bookworm/Release"
PACKAGE_REGISTRIES = {
    "PyPI": "https://pypi.org/simple/pip/",
    "npm": "https://registry.npmjs.org/npm",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bases", choices=["auto", "official", "local"], default="auto")
    parser.add_argument("--target", choices=["runtime", "sandbox", "all"], default="all")
    args = parser.parse_args(argv)

    require("buildah")
    _check_reachable(PACKAGE_REGISTRIES, "the build installs packages from it")
    bases = args.bases
    if bases == "auto":
        bases = "official" if _answers(OFFICIAL_REGISTRY) else "local"
        print(
            f"image: official bases {'can' if bases == 'official' else 'cannot'} be pulled: "
            f"using {bases} bases"
        )
    base_args = local_bases() if bases == "local" else {}
    targets = ["sandbox", "runtime"] if args.target == "all" else [args.target]
    for target in targets:
        started = time.monotonic()
        build(target, base_args, pull=bases == "official")
        print(f"image: built {target} in {time.monotonic() - started:.0f} s")
    if "runtime" in targets:
        official = f"docker.io/library/{BASES['PYTHON_BASE'].replaces}"
        base = base_args.get("PYTHON_BASE", official)
        check_size(DASHBOARD_IMAGE, base, local=bases == "local")


def local_bases() -> dict[str, str]:
    """Build any local base that is missing; return the build arguments naming them."""
    chosen = {}
    for argument, base in BASES.items():
        if not image_exists(base.tag):
            require("mmdebstrap")
            require("podman")
            _check_reachable({"Debian": DEBIAN_MIRROR}, "the local bases come from its packages")
            _make_base(base)
        chosen[argument] = base.tag
    return chosen


def _make_base(base: Base) -> None:
    started = time.monotonic()
    print(f"image: building the local {base.name} base ({base.suite}: {', '.join(base.packages)})")
    with tempfile.TemporaryDirectory(prefix="nomis-sync-base-") as folder:
        tarball = Path(folder) / "base.tar"
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                require("mmdebstrap"),
                "--quiet",
                "--variant=apt",
                f"--include={','.join(base.packages)}",
                base.suite,
                str(tarball),
            ],
            check=True,
        )
        podman("import", str(tarball), base.tag)
    print(f"image: {base.tag} in {time.monotonic() - started:.0f} s")


def build(target: str, base_args: dict[str, str], *, pull: bool) -> None:
    name = DASHBOARD_IMAGE if target == "runtime" else SANDBOX_IMAGE
    build_args = {**base_args, **build_info()}
    command = [
        "bud",
        "--isolation",
        "chroot",
        # The OCI format has no HEALTHCHECK; the Docker format keeps it.
        "--format",
        "docker",
        "--layers",
        f"--pull={'true' if pull else 'never'}",
        "--target",
        target,
        "--tag",
        f"{name}:latest",
    ]
    for key, value in build_args.items():
        command += ["--build-arg", f"{key}={value}"]
    for mount in registry_config_mounts():
        command += ["--volume", mount]
    buildah(*command, str(REPO), capture=False)


def build_info() -> dict[str, str]:
    """The build number and git ref the image reports at /info (from CI, else from git)."""
    ref = os.environ.get("GIT_REF") or _git("rev-parse", "HEAD") or "unknown"
    return {
        "BUILD_NUMBER": os.environ.get("BUILD_NUMBER") or time.strftime("%Y-%m-%d") + ".local",
        "GIT_REF": ref,
        "GIT_BRANCH": (
            os.environ.get("GIT_BRANCH") or _git("rev-parse", "--abbrev-ref", "HEAD") or "unknown"
        ),
    }


def _git(*args: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", *args],  # noqa: S607 - git from PATH
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else ""


# Where pip looks for its machine-wide configuration (and so finds it again inside the build).
PIP_CONFIGS = (Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf"))


def registry_config_mounts() -> list[str]:
    """This machine's pip and npm configuration and the files it names, read-only, same paths.

    pip reads /etc/pip.conf and /etc/xdg/pip/pip.conf wherever it runs; npm reads ~/.npmrc, so the
    machine's global npmrc is mounted as root's. A machine without them (a normal Docker setup)
    mounts nothing and the build uses the registries directly.
    """
    mounts: dict[str, str] = {}
    for config in PIP_CONFIGS:
        if config.is_file():
            mounts[str(config)] = str(config)
            parsed = configparser.ConfigParser()
            parsed.read(config)
            for key in ("cert", "constraint", "constraints"):
                value = parsed.get("global", key, fallback="")
                if value and Path(value).is_file():
                    mounts[value] = value
    npmrc = _npm_global_config()
    if npmrc:
        mounts[str(npmrc)] = "/root/.npmrc"
        for line in npmrc.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "cafile" and Path(value.strip().strip('"')).is_file():
                path = value.strip().strip('"')
                mounts[path] = path
    return [f"{source}:{target}:ro" for source, target in mounts.items()]


def _npm_global_config() -> Path | None:
    try:
        result = subprocess.run(
            ["npm", "config", "get", "globalconfig"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except FileNotFoundError:
        return None
    path = Path(result.stdout.strip())
    return path if result.returncode == 0 and path.is_file() else None


def check_size(name: str, base: str, *, local: bool) -> None:
    """Measure the production image; fail if it has outgrown its budget."""
    total = sum(layer_sizes(name)) / 1e6
    added = total - sum(layer_sizes(base)) / 1e6
    print(f"image: {name} is {total:.0f} MB ({added:.0f} MB over its base)")
    if added > SIZE_BUDGET_MB["added"] or (local and total > SIZE_BUDGET_MB["total"]):
        raise Failure(
            f"the image is over its size budget ({SIZE_BUDGET_MB['added']} MB over the base, "
            f"{SIZE_BUDGET_MB['total']} MB in all on the local base): see container/build.py"
        )


def _context() -> ssl.SSLContext:
    # The machine's CA bundle, as pip is told to use it (a proxy may sign the registries' names).
    cafile = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
    return ssl.create_default_context(cafile=cafile if Path(cafile).is_file() else None)


def _answers(url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=_context()):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True  # a registry answering 401 is reachable
    except (TimeoutError, urllib.error.URLError, OSError):
        return False


def _check_reachable(registries: dict[str, str], why: str) -> None:
    for name, url in registries.items():
        if not _answers(url, timeout=10):
            raise Failure(f"{name} cannot be reached at {url}, and {why}: check the network")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as error:
        sys.exit(f"image: {error.cmd[0]} failed (exit {error.returncode})")
