"""gunicorn.conf.py: per-worker listening sockets, no second server joining a port, and glibc's
malloc arenas limited in the master."""

from __future__ import annotations

import ctypes
import runpy
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _conf() -> dict:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def _server_on(port: int) -> SimpleNamespace:
    return SimpleNamespace(cfg=SimpleNamespace(address=[("127.0.0.1", port)]))


def test_each_worker_listens_on_its_own_socket() -> None:
    # The kernel then shares connections between workers (see the comment in gunicorn.conf.py).
    assert _conf()["reuse_port"] is True


def test_a_second_server_on_a_port_already_listened_on_refuses_to_start() -> None:
    with socket.socket() as listener:
        # As a running dashboard's worker listens: SO_REUSEPORT, which would let a second
        # SO_REUSEPORT socket bind beside it.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(SystemExit, match=f"Port {port} is already in use"):
            _conf()["on_starting"](_server_on(port))


def test_a_free_port_starts() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    _conf()["on_starting"](_server_on(port))  # no SystemExit


class _LibC:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


def test_the_master_limits_malloc_to_two_arenas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    libc = _LibC()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: libc)
    _conf()
    # M_ARENA_MAX (-8) of malloc.h: the peak RSS it keeps down is measured in gunicorn.conf.py.
    assert libc.calls == [(-8, 2)]


def test_a_c_library_without_mallopt_still_loads_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ctypes, "CDLL", lambda name: SimpleNamespace())  # musl, macOS
    assert _conf()["reuse_port"] is True
