"""The benchmark's priority: what it raises, its processes inherit; a refusal is not a failure."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

import pytest

from bench import run


def _in_child(queue, nice: int) -> None:
    # A child of the test process: the test run itself keeps its priority.
    got = run.raise_priority(nice)
    started = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"],
        capture_output=True,
        text=True,
        check=True,
    )
    queue.put((got, int(started.stdout)))


def test_the_processes_the_benchmark_starts_run_at_its_priority() -> None:
    # Lowering the priority needs no privilege, so this holds on any machine.
    wanted = os.getpriority(os.PRIO_PROCESS, 0) + 3
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue, wanted))
    child.start()
    got, started = queue.get(timeout=30)
    child.join(timeout=30)
    assert (got, started) == (wanted, wanted)


def test_a_machine_that_refuses_a_higher_priority_leaves_it_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(which: int, who: int, value: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    before = os.getpriority(os.PRIO_PROCESS, 0)
    monkeypatch.setattr(run.os, "setpriority", refuse)
    assert run.raise_priority(run.BENCH_NICE) == before
