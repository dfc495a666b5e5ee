"""Where a page's time goes: the benchmark's dashboard, one worker, sampled by py-spy under load.

    python -m bench.profile --page home --requests 2000
    python -m bench.profile --page "room table (203 rooms)" --top 15

It sets up what `make bench` measures against (the sandbox's state, a migration of every type
running, 200 more rooms of HEI), serves the dashboard with one gunicorn worker, drives the page at
concurrency 1 and samples that worker's threads (py-spy, 1,000 samples a second, active threads
only). It prints the largest costs: by own time (the function running) and by total time (the
function and what it called), as shares of the samples, and the worker's CPU per request.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import state  # noqa: E402
from bench.load import Page, Setting, Target, cookie_header, drive, sign_in  # noqa: E402
from bench.run import (  # noqa: E402
    BENCH_USER,
    dashboard_env,
    dashboard_server,
    worker_pids,
    workers_cpu_s,
)
from sandbox.testing import SandboxServer, free_port  # noqa: E402

# Samples are taken only of the thread holding the GIL (`--gil`): the CPU a request costs the
# worker, not its waits. The frames every sample shares (threads, the pool, gunicorn's loop) are
# left out of the totals, which are then shares of the worker's busy time.
FRAMEWORK = ("threading.py", "concurrent/futures/", "<frozen runpy>", "gunicorn/__main__.py",
             "gunicorn/app/", "gunicorn/arbiter.py")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", default="home", help="a page name as the benchmark has it")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
        sys.exit("bench.profile: py-spy is not installed: pip install -r requirements-dev.txt")
    port = free_port()
    database_url, database = state.bench_database_url(False)
    try:
        with SandboxServer(
            "history",
            extra_redirect_uris=[f"http://localhost:{port}/sign-in/callback"],
        ) as sandbox:
            state.prepare_sandbox(sandbox, "small")
            env = {**dashboard_env(sandbox, port, database_url), "GUNICORN_WORKERS": "1"}
            state.migrate(env)
            state.seed_audit(env, 1_000)
            with dashboard_server(env, "profile-gunicorn.log") as master:
                base = f"http://localhost:{port}"
                session = sign_in(base, BENCH_USER)
                browser = state.Browser(session, base)
                ids = state.start_every_type(browser)
                state.add_room_mappings(sandbox, BENCH_USER)
                pages = {page.name: page for page in state.pages(ids)}
                if args.page not in pages:
                    sys.exit(f"bench.profile: no page {args.page!r}; pages: {', '.join(pages)}")
                page = pages[args.page]
                if page.form_path:
                    body = browser.form_body(page.form_path, state.start_form(page.type_slug))
                    page = dataclasses.replace(page, form_body=body)
                target = Target(port, cookie_header(session), sandbox.port, BENCH_USER)
                drive(target, page, Setting(0, 1, 50))  # warm: caches, templates, connections
                print_profile(master, target, page, args)
    finally:
        state.drop_database(database)
    return 0


def print_profile(
    master: subprocess.Popen[bytes], target: Target, page: Page, args: argparse.Namespace
) -> None:
    (worker,) = worker_pids(master)
    with tempfile.TemporaryDirectory() as folder:
        samples_file = Path(folder) / "samples.txt"
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        recorder = subprocess.Popen(  # noqa: S603 - fixed arguments
            [py_spy, "record", "--pid", str(worker), "--rate", "1000", "--format", "raw",
             "--output", str(samples_file), "--nonblocking", "--gil"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1)  # py-spy attaches
        cpu_before = workers_cpu_s(master)
        result = drive(target, page, Setting(0, 1, args.requests))
        cpu = workers_cpu_s(master) - cpu_before
        recorder.send_signal(2)  # SIGINT: py-spy writes what it has and stops
        recorder.wait(timeout=60)
        stacks = samples_file.read_text().splitlines()
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in stacks:
        stack, _, count_text = line.rpartition(" ")
        frames = [frame for frame in stack.split(";") if frame]
        if not frames:
            continue
        count = int(count_text)
        samples += count
        own[_name(frames[-1])] += count
        for name in dict.fromkeys(_name(frame) for frame in frames):
            if not any(part in name for part in FRAMEWORK):
                total[name] += count
    latencies = sorted(result["latencies"])
    print(f"\n{page.name}: {len(latencies)} requests, p50 {latencies[len(latencies) // 2]:.2f} ms,")
    print(f"worker CPU {cpu * 1000 / max(len(latencies), 1):.3f} ms a request, {samples} samples")
    for title, counter in (("own time", own), ("total time", total)):
        print(f"\nLargest by {title} (share of samples):")
        for name, count in counter.most_common(args.top):
            print(f"  {100 * count / max(samples, 1):5.1f} %  {name}")


def _name(frame: str) -> str:
    """`function (path/to/module.py:12)` without the line, and the path from the package on."""
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", f"{ROOT}/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{function} ({path})"


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
