"""Audit context that can be trusted: the client address and the request id."""

from __future__ import annotations

import ipaddress
import runpy
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from kernel.proxies import client_ip

ROOT = Path(__file__).resolve().parents[2]


def request(remote: str, forwarded: str | None = None):
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def proxies(*entries: str):
    return override_settings(
        TRUSTED_PROXIES=list(entries),
        TRUSTED_PROXY_NETWORKS=[ipaddress.ip_network(e) for e in entries],
    )


def test_without_trusted_proxies_the_peer_address_is_recorded_whatever_is_forwarded() -> None:
    with proxies():
        assert client_ip(request("203.0.113.9", "10.9.9.9")) == "203.0.113.9"
        assert client_ip(request("203.0.113.9")) == "203.0.113.9"


def test_a_caller_that_is_not_a_trusted_proxy_cannot_choose_its_address() -> None:
    with proxies("10.0.0.0/8"):
        assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_through_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() -> None:
    with proxies("10.0.0.0/8", "192.0.2.1"):
        # The client forged a first hop; the ingress (10.1.1.1) appended the address it saw.
        chain = "6.6.6.6, 198.51.100.7, 192.0.2.1"
        assert client_ip(request("10.1.1.1", chain)) == "198.51.100.7"
        assert client_ip(request("10.1.1.1", "2001:db8::1")) == "2001:db8::1"


def test_a_trusted_proxy_without_a_usable_forwarded_address_is_recorded_itself() -> None:
    with proxies("10.0.0.0/8"):
        assert client_ip(request("10.1.1.1")) == "10.1.1.1"
        assert client_ip(request("10.1.1.1", "not-an-address")) == "10.1.1.1"
        assert client_ip(request("10.1.1.1", "10.2.2.2")) == "10.1.1.1"


def test_an_unreadable_peer_address_is_recorded_as_unknown() -> None:
    with proxies():
        assert client_ip(request("")) is None


def test_trusted_proxies_are_checked_at_start_up() -> None:
    from tests.conftest import run_manage
    from tests.unit.test_settings import PRODUCTION

    script = "from django.conf import settings; print(settings.TRUSTED_PROXY_NETWORKS)"
    out = run_manage("shell", "-c", script, env=PRODUCTION).stdout.strip().splitlines()[-1]
    assert out == "[]"
    env = {**PRODUCTION, "TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.1"}
    out = run_manage("shell", "-c", script, env=env).stdout.strip().splitlines()[-1]
    assert out == "[IPv4Network('10.0.0.0/8'), IPv4Network('192.0.2.1/32')]"
    result = run_manage("check", env={**PRODUCTION, "TRUSTED_PROXIES": "10.0.0.1/8"})
    assert result.returncode != 0 and "TRUSTED_PROXIES" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"), [(None, []), ("10.0.0.0/8,192.0.2.1", ["10.0.0.0/8", "192.0.2.1"])]
)
def test_gunicorn_trusts_forwarded_headers_only_from_the_trusted_proxies(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: list[str]
) -> None:
    from gunicorn.config import Config

    if value is None:
        monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("TRUSTED_PROXIES", value)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("forwarded_allow_ips", conf["forwarded_allow_ips"])
    assert config.forwarded_allow_ips == expected
