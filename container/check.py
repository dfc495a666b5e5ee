"""Run the built production image as a deployment would, and show that it works.

    python -m container.check        (make image-check, after make image)

The image runs under `buildah run` on the machine's network, with production settings, against the
sandbox (from its own image) and the real Redis and PostgreSQL. Each step prints one line; a step
that fails prints the containers' logs and exits non-zero. Everything it creates (containers, a
database and its two roles, a Redis database's keys) is removed at the end, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import redis
import requests
from psycopg import sql

from bench.load import sign_in
from container.build import DASHBOARD_IMAGE, REPO, SANDBOX_IMAGE
from container.buildah import Failure, buildah, inspect_image, require, storage_args
from container.constraints import pinned, unpinned
from sandbox.testing import SandboxError, SandboxServer, free_port

# The image's user, as the Dockerfile creates it and the chart's runAsUser expects.
APP_UID = 2000
# gunicorn's graceful_timeout (its default): the time a SIGTERM leaves requests in flight to finish.
GRACE_SECONDS = 30
# The Redis database the check uses (the test suite uses 0, the benchmark 14).
REDIS_DB = 13
# Long enough that the request is surely in flight when SIGTERM arrives.
SLOW_UPSTREAM_MS = 3000


class CheckFailed(Exception):
    pass


def expect(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass
class Container:
    """A working container from an image, running one command at a time on the host network."""

    image: str
    name: str
    log: Path
    process: subprocess.Popen[bytes] | None = None
    mounted: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    def create(self) -> Container:
        buildah("from", "--pull=never", "--name", self.name, self.image)
        return self

    def run(self, *command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603 - buildah with arguments built here
            self._command(command), capture_output=True, text=True, timeout=timeout, check=False
        )
        with self.log.open("a") as log:
            log.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}")
        return result

    def start(self, *command: str) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - buildah with arguments built here
                self._command(command), stdout=log, stderr=subprocess.STDOUT
            )

    def _command(self, command: tuple[str, ...]) -> list[str]:
        args = [require("buildah"), *storage_args(), "run", "--isolation", "chroot"]
        # /tmp is the one writable place, as an emptyDir is in the chart.
        args += ["--mount", "type=tmpfs,destination=/tmp"]
        for key, value in self.env.items():
            args += ["--env", f"{key}={value}"]
        return [*args, self.name, "--", *command]

    def first_process(self) -> int:
        """The host PID of the container's first process (what the command became).

        `buildah run` starts a chroot runtime, which starts an exec helper, which starts the
        command; a signal sent to `buildah run` is not passed on, so it must go to this one.
        """
        if self.process is None:
            raise CheckFailed(f"{self.name} is not running")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            generation = [self.process.pid]
            while generation:
                for pid in generation:
                    if pid != self.process.pid and not _cmdline(pid)[0].startswith("buildah"):
                        return pid
                generation = [child for pid in generation for child in _children(pid)]
            time.sleep(0.1)
        raise CheckFailed(f"no process found under buildah run ({self.process.pid})")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(CheckFailed, ProcessLookupError):
                os.kill(self.first_process(), signal.SIGKILL)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def files(self) -> dict[str, tuple[int, int, int]]:
        """Every path in the root filesystem with its size, mode and modification time."""
        if self.mounted is None:
            self.mounted = Path(buildah("mount", self.name).stdout.strip())
        found = {}
        for folder, dirs, names in os.walk(self.mounted):
            for name in [*dirs, *names]:
                path = Path(folder) / name
                info = path.lstat()
                relative = "/" + str(path.relative_to(self.mounted))
                found[relative] = (info.st_size, info.st_mode, info.st_mtime_ns)
        return found

    def remove(self) -> None:
        self.stop()
        buildah("rm", self.name, check=False)

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _children(pid: int) -> list[int]:
    # Every thread's children: buildah is a Go program, whose threads all start processes, and
    # /proc/PID/task/PID/children lists only the main thread's.
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return [""]
    return [part.decode() for part in raw.split(b"\0") if part] or [""]


def _uids(pid: int) -> list[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return [int(value) for value in line.split()[1:]]
    return []


class ImageSandbox(SandboxServer):
    """The sandbox, run from its own image (the docker compose target) rather than this checkout."""

    def __init__(self, container: Container, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.container = container

    def start(self) -> ImageSandbox:
        self.container.env = dict(self._env)
        self.container.start(
            "python", "manage.py", "sandbox", "--host", self.host, "--port", str(self.port),
            "--scenario", self.scenario,
        )  # fmt: skip
        _wait_until(
            lambda: _get(f"{self.url}/auth/health/ping").status_code == 200,
            self._startup_timeout,
            f"the sandbox image did not answer on {self.url}",
            self.container,
        )
        return self

    def stop(self) -> None:
        self.container.stop()


# -- Steps


@dataclass
class Context:
    workdir: Path
    port: int
    sandbox: ImageSandbox
    dashboard: Container
    redis_url: str
    database: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    session: requests.Session | None = None

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}"


def main() -> None:
    require("buildah")
    started = time.monotonic()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="nomis-sync-image-check-") as folder,
            prepared(Path(folder)) as context,
        ):
            for step in STEPS:
                run_step(step, context)
    except CheckFailed as failure:
        sys.exit(f"image-check: FAILED: {failure}")
    print(f"image-check: passed in {time.monotonic() - started:.0f} s")


def run_step(step: Callable[[Context], str], context: Context) -> None:
    started = time.monotonic()
    try:
        detail = step(context)
    except (CheckFailed, requests.RequestException, SandboxError, AssertionError) as failure:
        print(f"image-check: FAIL {step.__doc__}: {failure}", file=sys.stderr)
        for container in (context.dashboard, context.sandbox.container):
            print(f"--- {container.name} log (last lines) ---", container.tail(), file=sys.stderr)
        raise CheckFailed(f"{step.__doc__}") from failure
    print(f"image-check: ok   {step.__doc__} ({time.monotonic() - started:.1f} s){detail}")


@contextlib.contextmanager
def prepared(workdir: Path) -> Iterator[Context]:
    """The two containers, a database and a Redis database; all removed afterwards."""
    suffix = f"{os.getpid()}"
    for image in (DASHBOARD_IMAGE, SANDBOX_IMAGE):
        if buildah("inspect", "--type", "image", f"{image}:latest", check=False).returncode:
            raise Failure(f"{image} has not been built: run make image first")
    port = free_port()
    base = f"http://localhost:{port}"
    sandbox = ImageSandbox(
        Container(
            f"{SANDBOX_IMAGE}:latest", f"nomis-sync-check-sandbox-{suffix}", workdir / "sandbox.log"
        ),
        fast=True,
        extra_redirect_uris=[f"{base}/sign-in/callback", base],
    )
    context = Context(
        workdir=workdir,
        port=port,
        sandbox=sandbox,
        dashboard=Container(
            f"{DASHBOARD_IMAGE}:latest",
            f"nomis-sync-check-dashboard-{suffix}",
            workdir / "dashboard.log",
        ),
        redis_url=_redis_url(),
        config=inspect_image(f"{DASHBOARD_IMAGE}:latest"),
    )
    try:
        with _database(suffix) as database:
            context.database = database
            sandbox.container.create()
            context.dashboard.create()
            sandbox.start()
            context.dashboard.env = production_env(context)
            yield context
    finally:
        context.dashboard.remove()
        sandbox.container.remove()
        _flush_redis(context.redis_url)


def production_env(context: Context) -> dict[str, str]:
    """Production settings: DEBUG off, token verification on, real Redis and PostgreSQL.

    Only plain HTTP differs (NO_HTTPS): there is no TLS-terminating ingress in front of the
    container here, and secure cookies would not be sent back over HTTP.
    """
    sandbox = context.sandbox.url
    return {
        "DEBUG": "false",
        "NO_HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORT": str(context.port),
        "INGRESS_URL": context.base,
        "DATABASE_URL": context.database["app_url"],
        "DATABASE_MIGRATE_URL": context.database["owner_url"],
        "REDIS_URL": context.redis_url,
        "CACHE_KEY_PREFIX": f"image-check-{os.getpid()}",
        "HMPPS_AUTH_URL": f"{sandbox}/auth",
        "TOKEN_VERIFICATION_API_URL": f"{sandbox}/verification",
        "NOMIS_MIGRATION_API_URL": f"{sandbox}/nomis-migration-api",
        "NOMIS_PRISONER_API_URL": f"{sandbox}/nomis-prisoner-api",
        "MAPPING_API_URL": f"{sandbox}/mapping-api",
        "ACTIVITIES_API_URL": f"{sandbox}/activities-api",
        "AUTH_CODE_CLIENT_ID": "nomis-sync-dashboard-ui",
        "AUTH_CODE_CLIENT_SECRET": "sandbox-ui-secret",
        "CLIENT_CREDS_CLIENT_ID": "nomis-sync-dashboard-system",
        "CLIENT_CREDS_CLIENT_SECRET": "sandbox-system-secret",
    }


# What must never ship: the repository's other parts, tools and secrets, anywhere in the image.
FORBIDDEN_PATHS = ("/app/tests", "/app/sandbox", "/app/bench", "/app/.venv", "/app/docs")
FORBIDDEN_NAMES = frozenset({"node_modules", ".git", ".env", "db.sqlite3"})
# Where the image's Python packages are (the Dockerfile's virtual environment).
SITE_PACKAGES = "/opt/venv/lib/python3.11/site-packages"
# Build tools, by the names of their commands.
FORBIDDEN_COMMANDS = ("gcc", "cc", "make", "node", "npm", "git", "pip", "pip3")


def step_contents(context: Context) -> str:
    """the image holds the dashboard only, and carries its labels"""
    files = context.dashboard.files()
    found = [path for path in files if path.startswith(FORBIDDEN_PATHS)]
    found += [path for path in files if Path(path).name in FORBIDDEN_NAMES]
    for folder in ("/usr/bin", "/usr/local/bin", "/bin", "/opt/venv/bin"):
        found += [f"{folder}/{name}" for name in FORBIDDEN_COMMANDS if f"{folder}/{name}" in files]
    installed = {
        Path(path).name.split("-")[0].lower() for path in files if path.startswith(SITE_PACKAGES)
    }
    found += sorted(f"{SITE_PACKAGES}/{name}" for name in dev_only_packages() & installed)
    expect(not found, f"the image holds what it must not: {sorted(found)[:20]}")
    labels = context.config["Docker"]["config"].get("Labels") or {}
    for label in (
        "org.opencontainers.image.source",
        "org.opencontainers.image.revision",
        "uk.gov.justice.hmpps.build-number",
    ):
        expect(
            labels.get(label) not in (None, "", "unknown"), f"label {label} is {labels.get(label)}"
        )
    return f": {len(files)} paths; revision {labels['org.opencontainers.image.revision'][:12]}"


def dev_only_packages() -> set[str]:
    """Distribution names (as site-packages spells them) in requirements-dev.txt only."""
    dev = pinned(REPO / "requirements-dev.txt").keys() - pinned(REPO / "requirements.txt").keys()
    return {name.replace("-", "_") for name in dev}


def step_pinned(context: Context) -> str:
    """every Python package in the image is the version constraints.txt pins"""
    dist_info = re.compile(re.escape(SITE_PACKAGES) + r"/([^/]+)-([^/-]+)\.dist-info")
    matches = [dist_info.fullmatch(path) for path in context.dashboard.files()]
    installed = {match[1]: match[2] for match in matches if match}
    expect(installed, "no packages found in the image's /opt/venv")
    problems = unpinned(installed, pinned())
    expect(not problems, f"the image's packages are not as pinned: {problems}")
    return f": {len(installed)} packages"


def step_migrate(context: Context) -> str:
    """database migrations apply through the image's own command, as the owner role"""
    result = context.dashboard.run("python", "manage.py", "migrate", "--noinput")
    if result.returncode != 0:
        raise CheckFailed(f"manage.py migrate exited {result.returncode}")
    with psycopg.connect(context.database["app_dsn"]) as connection:
        applied = connection.execute("SELECT count(*) FROM django_migrations").fetchone()
        rights = connection.execute(
            "SELECT has_table_privilege('migrations_ui_auditevent', 'INSERT'),"
            " has_table_privilege('migrations_ui_auditevent', 'UPDATE')"
        ).fetchone()
    if not applied or not applied[0]:
        raise CheckFailed("no migrations recorded")
    if rights != (True, False):
        raise CheckFailed(f"the app role's rights on the audit log are {rights}, not insert only")
    return f": {applied[0]} migrations; the app role may insert audit events, not update them"


def step_start(context: Context) -> str:
    """gunicorn starts, with the image's own command, as the non-root user"""
    # Anything the runtime itself puts in the root filesystem (mount points) exists before the
    # "before" picture is taken.
    context.dashboard.run("true")
    context.config["files_before"] = context.dashboard.files()
    command = context.config["Docker"]["config"]["Cmd"]
    context.dashboard.start(*command)
    _wait_until(
        lambda: _get(f"{context.base}/ping").status_code == 200,
        30,
        f"the dashboard did not answer on {context.base}/ping",
        context.dashboard,
    )
    master = context.dashboard.first_process()
    processes = [master, *_children(master)]
    if "gunicorn" not in " ".join(_cmdline(master)):
        raise CheckFailed(f"the first process is {_cmdline(master)}, not gunicorn")
    for pid in processes:
        if set(_uids(pid)) != {APP_UID}:
            raise CheckFailed(f"process {pid} runs as {_uids(pid)}, not {APP_UID}")
    return f": master and {len(processes) - 1} workers as UID {APP_UID}"


def step_probes(context: Context) -> str:
    """/ping gives 200, /health 200 with every component UP, /info the build number"""
    ping = _get(f"{context.base}/ping")
    expect(ping.status_code == 200, f"/ping answered {ping.status_code}")
    health = _get(f"{context.base}/health", timeout=15)
    body = health.json()
    down = {name: c.get("status") for name, c in body.get("components", {}).items()}
    expect(
        health.status_code == 200 and body["status"] == "UP",
        f"/health: {health.status_code} {down}",
    )
    expect(down and set(down.values()) == {"UP"}, f"components not all UP: {down}")
    info = _get(f"{context.base}/info").json()["build"]
    env = dict(item.split("=", 1) for item in context.config["Docker"]["config"]["Env"])
    expect(info["buildNumber"] == env["BUILD_NUMBER"], f"/info says {info}, the image {env}")
    expect(info["gitRef"] == env["GIT_REF"], f"/info says {info}, the image {env}")
    return f": {len(down)} components UP; build {info['buildNumber']} at {info['gitRef'][:12]}"


def step_healthcheck(context: Context) -> str:
    """the image's HEALTHCHECK answers 200 under production settings"""
    healthcheck = context.config["Docker"]["config"].get("Healthcheck")
    if not healthcheck:
        raise CheckFailed("the image has no HEALTHCHECK (was it built in OCI format?)")
    kind, *command = healthcheck["Test"]
    if kind == "CMD-SHELL":
        command = ["/bin/sh", "-c", *command]
    result = context.dashboard.run(*command, timeout=30)
    if result.returncode != 0:
        raise CheckFailed(f"the health check exited {result.returncode}: {result.stderr[-500:]}")
    return f": {' '.join(command)[:60]}..."


def step_sign_in(context: Context) -> str:
    """sign-in through the sandbox's HMPPS Auth; home and a history page with hashed assets"""
    context.session = sign_in(context.base, "SYSCON_USER")
    checked = []
    for path in ("/", "/visits-migration/"):
        page = context.session.get(f"{context.base}{path}", timeout=30)
        expect(page.status_code == 200, f"{path} answered {page.status_code}")
        assets = re.findall(r'(?:href|src)="(/assets/[^"]+\.(?:css|js))"', page.text)
        kinds = {asset.rsplit(".", 1)[1] for asset in assets}
        expect(kinds == {"css", "js"}, f"{path} links to {assets}")
        for asset in assets:
            expect(re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), f"{asset} has no hashed name")
            served = requests.get(f"{context.base}{asset}", timeout=10)
            cache = served.headers.get("Cache-Control", "")
            expect(served.status_code == 200 and served.content, f"{asset}: {served.status_code}")
            found = re.search(r"max-age=(\d+)", cache)
            max_age = int(found.group(1)) if found else 0
            expect(max_age >= 365 * 24 * 3600 and "immutable" in cache, f"{asset}: {cache}")
            checked.append(asset)
    return f": {len(set(checked))} assets, far-future cached"


def step_graceful_stop(context: Context) -> str:
    """SIGTERM lets an in-flight request finish, then gunicorn exits within the grace period"""
    session, server = context.session, context.dashboard.process
    if session is None or server is None:
        raise CheckFailed("the dashboard is not running with a signed-in user")
    # A page not yet visited, so its history is fetched from the (slowed) migration service.
    context.sandbox.add_fault("nomisMigrationApi", "", latency_ms=SLOW_UPSTREAM_MS)
    outcome: dict[str, Any] = {}

    def in_flight() -> None:
        started = time.monotonic()
        try:
            response = session.get(f"{context.base}/court-sentencing-migration/", timeout=60)
            outcome["status"] = response.status_code
        except requests.RequestException as error:
            outcome["error"] = error
        outcome["seconds"] = time.monotonic() - started

    request = threading.Thread(target=in_flight)
    request.start()
    time.sleep(1)
    expect("status" not in outcome, "the slow request finished before SIGTERM could be sent")
    master = context.dashboard.first_process()
    signalled = time.monotonic()
    os.kill(master, signal.SIGTERM)
    request.join(timeout=GRACE_SECONDS + 10)
    try:
        server.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired as timeout:
        raise CheckFailed(f"still running {GRACE_SECONDS} s after SIGTERM") from timeout
    stopped = time.monotonic() - signalled
    context.sandbox.clear_faults()
    expect(outcome.get("status") == 200, f"the in-flight request ended with {outcome}")
    return (
        f": the request in flight answered 200 after {outcome['seconds']:.1f} s;"
        f" exited {stopped:.1f} s after SIGTERM, status {server.returncode}"
    )


# `buildah run` itself adds /run/.containerenv for each run and removes it afterwards, which moves
# the folder's modification time; any file left there, or a change of its mode, still counts.
RUNTIME_TOUCHED = frozenset({"/run"})


def step_read_only(context: Context) -> str:
    """nothing was written outside /tmp while it ran"""
    after = context.dashboard.files()
    changed = changed_paths(context.config["files_before"], after)
    if changed:
        raise CheckFailed(f"written outside /tmp: {changed[:20]}")
    return f": {len(after)} paths unchanged"


def changed_paths(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> list[str]:
    """Paths added, removed or changed (size, mode or modification time) between two pictures."""
    changed = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if path in RUNTIME_TOUCHED and old and new and old[:2] == new[:2]:
            continue
        changed.append(path)
    return changed


STEPS: list[Callable[[Context], str]] = [
    step_contents,
    step_pinned,
    step_migrate,
    step_start,
    step_probes,
    step_healthcheck,
    step_sign_in,
    step_graceful_stop,
    step_read_only,
]


# -- Helpers


def _get(url: str, timeout: float = 5) -> requests.Response:
    return requests.get(url, timeout=timeout, allow_redirects=False)


def _wait_until(
    ready: Callable[[], bool], timeout: float, message: str, container: Container
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if container.process is not None and container.process.poll() is not None:
            raise CheckFailed(f"{container.name} exited with {container.process.returncode}")
        with contextlib.suppress(requests.RequestException):
            if ready():
                return
        time.sleep(0.2)
    raise CheckFailed(message)


def _redis_url() -> str:
    parsed = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    url = f"redis://{parsed.netloc}/{REDIS_DB}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise Failure(f"Redis at {parsed.netloc} cannot be reached: {error}") from error
    return url


def _flush_redis(url: str) -> None:
    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        for key in client.scan_iter(f"image-check-{os.getpid()}:*"):
            client.delete(key)


@contextlib.contextmanager
def _database(suffix: str) -> Iterator[dict[str, str]]:
    """A database of its own, owned by an owner role, with a separate app role (as deployed)."""
    server = urlparse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test")
    if not server.scheme.startswith("postgres"):
        raise Failure(
            "DATABASE_URL must name a PostgreSQL server (the image is checked against one)"
        )
    admin = server._replace(path="/postgres").geturl()
    name, owner, app = (
        f"nomis_sync_check_{suffix}",
        f"check_owner_{suffix}",
        f"check_app_{suffix}",
    )
    owner_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
    host = f"{server.hostname}:{server.port or 5432}"
    try:
        admin_connection = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise Failure(f"PostgreSQL at {host} cannot be reached: {error}") from error
    with admin_connection:
        for role, password in ((owner, owner_password), (app, app_password)):
            admin_connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        admin_connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
        try:
            yield {
                "owner_url": f"postgres://{owner}:{owner_password}@{host}/{name}",
                "app_url": f"postgres://{app}:{app_password}@{host}/{name}",
                "app_dsn": f"postgresql://{app}:{app_password}@{host}/{name}",
            }
        finally:
            admin_connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            for role in (owner, app):
                admin_connection.execute(
                    sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role))
                )


if __name__ == "__main__":
    main()
