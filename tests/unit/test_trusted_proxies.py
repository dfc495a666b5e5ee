"""X-Forwarded-Proto and X-Forwarded-Host are believed only from TRUSTED_PROXIES.

As deployed: HTTPS required (redirect, HSTS, Secure cookies), the ingress in 10.0.0.0/8 and
USE_X_FORWARDED_HOST on. A caller at 203.0.113.9 reached the dashboard directly.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.test import Client

INGRESS = "10.1.2.3"
DIRECT = "203.0.113.9"
HTTPS: dict[str, Any] = {"HTTP_X_FORWARDED_PROTO": "https"}
PUBLIC_HOST: dict[str, Any] = {"HTTP_X_FORWARDED_HOST": "dashboard.example"}

# Sign-in checks the database is there before sending anyone to HMPPS Auth.
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def as_deployed(settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["dashboard.example", "testserver"]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]


def get(path: str, peer: str, **headers: Any):
    return Client(REMOTE_ADDR=peer).get(path, **headers)


def test_https_through_the_trusted_ingress_is_served_with_hsts_and_secure_cookies() -> None:
    response = get("/sign-in", INGRESS, **HTTPS)
    # Not redirected to https: it is https. Sign-in goes on to HMPPS Auth, keeping its state in
    # a session whose cookie is only ever sent over https.
    assert response.status_code == 302
    assert response["Location"].startswith("http://127.0.0.1")  # the sandbox's HMPPS Auth
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["nomis-sync-dashboard.session"]["secure"] is True


def test_a_direct_caller_claiming_https_is_redirected_to_https_without_hsts() -> None:
    response = get("/sign-in", DIRECT, **HTTPS)
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/sign-in"
    assert "Strict-Transport-Security" not in response
    assert "nomis-sync-dashboard.session" not in response.cookies


def test_plain_http_through_the_ingress_is_redirected_to_the_public_host() -> None:
    response = get("/sign-in", INGRESS, HTTP_X_FORWARDED_PROTO="http", **PUBLIC_HOST)
    assert response.status_code == 301
    assert response["Location"] == "https://dashboard.example/sign-in"


def test_a_direct_callers_forwarded_host_is_ignored() -> None:
    response = get("/sign-in", DIRECT, HTTP_X_FORWARDED_HOST="dashboard.example")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/sign-in"


def test_a_direct_callers_forwarded_host_cannot_get_past_the_host_check() -> None:
    # Believed, a name outside ALLOWED_HOSTS would be refused; ignored, the real Host is used.
    response = get("/sign-in", DIRECT, HTTP_X_FORWARDED_HOST="evil.example", **HTTPS)
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/sign-in"


def test_a_form_sent_through_the_ingress_over_https_passes_the_csrf_origin_check() -> None:
    # Django compares Origin with the scheme and host it believes: https://dashboard.example.
    token = "a" * 32
    client = Client(REMOTE_ADDR=INGRESS, enforce_csrf_checks=True)
    client.cookies["csrftoken"] = token
    response = client.post(
        "/sign-out",
        {"csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://dashboard.example",
        **HTTPS,
        **PUBLIC_HOST,
    )
    assert response.status_code == 302, response.content[:300]
    assert "/sign-out" in response["Location"]  # on to HMPPS Auth's sign-out


def test_no_forwarding_header_is_believed_when_no_proxy_is_trusted(settings) -> None:
    settings.TRUSTED_PROXIES = []
    settings.TRUSTED_PROXY_NETWORKS = []
    response = get("/sign-in", INGRESS, **HTTPS, **PUBLIC_HOST)
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/sign-in"
    assert "Strict-Transport-Security" not in response


def test_a_probe_of_ping_from_a_direct_caller_still_answers(settings) -> None:
    settings.SECURE_REDIRECT_EXEMPT = [r"^ping$"]
    response = get("/ping", DIRECT, **HTTPS)
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response
