"""Verifying HMPPS Auth access tokens: signature against the JWKS, expiry, issuer, key caching."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache

from accounts.tokens import (
    JWKS_CACHE_KEY,
    REFETCH_MARKER_KEY,
    TokenRefused,
    verify_access_token,
)

JWKS_URL = f"{settings.HMPPS_AUTH_URL}/.well-known/jwks.json"
ISSUER = f"{settings.HMPPS_AUTH_URL}/issuer"


def _b64(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SigningKey:
    """An RSA key pair standing in for HMPPS Auth's, with its JWKS entry and a token maker."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.private.public_key().public_numbers()
        self.jwk = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
        }

    def token(
        self, *, lifetime: int = 3600, headers: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        payload = {**user_claims(), "exp": int(time.time()) + lifetime, **claims}
        return jwt.encode(
            payload, self.private, algorithm="RS256", headers={"kid": self.kid, **(headers or {})}
        )


def user_claims(**overrides: Any) -> dict[str, Any]:
    """The claims HMPPS Auth puts in a user token (upstream-api.md §8.4)."""
    return {
        "sub": "VISITS_USER",
        "user_name": "VISITS_USER",
        "auth_source": "nomis",
        "user_id": "485634",
        "name": "Vera Visits",
        "authorities": ["ROLE_MIGRATE_VISITS"],
        "client_id": "nomis-sync-dashboard-ui",
        "scope": ["read", "write"],
        "iss": ISSUER,
        "jti": "abc",
        **overrides,
    }


def _segments(token: str) -> list[str]:
    return token.split(".")


def _encode_segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def auth_key() -> SigningKey:
    return SigningKey("auth-key-1")


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey("auth-key-1")


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    # Only our keys: the cache may be a Redis shared with other tests.
    cache.delete_many([JWKS_CACHE_KEY, REFETCH_MARKER_KEY])


@pytest.fixture
def jwks(requests_mock: Any, auth_key: SigningKey) -> Any:
    return requests_mock.get(JWKS_URL, json={"keys": [auth_key.jwk]})


def test_a_genuine_token_gives_its_claims(jwks: Any, auth_key: SigningKey) -> None:
    claims = verify_access_token(auth_key.token())
    assert claims["user_name"] == "VISITS_USER"
    assert claims["authorities"] == ["ROLE_MIGRATE_VISITS"]


def test_the_issuer_of_the_external_auth_address_is_accepted(
    jwks: Any, auth_key: SigningKey, settings: Any
) -> None:
    settings.HMPPS_AUTH_ISSUERS = [ISSUER, "https://sign-in.example/auth/issuer"]
    claims = verify_access_token(auth_key.token(iss="https://sign-in.example/auth/issuer"))
    assert claims["iss"] == "https://sign-in.example/auth/issuer"


def test_the_keys_are_fetched_once_and_then_served_from_the_cache(
    jwks: Any, auth_key: SigningKey
) -> None:
    for _ in range(3):
        verify_access_token(auth_key.token())
    assert jwks.call_count == 1


def test_an_unknown_key_id_refetches_the_keys_once(
    requests_mock: Any, auth_key: SigningKey
) -> None:
    rotated = SigningKey("auth-key-2")
    requests_mock.get(
        JWKS_URL,
        [{"json": {"keys": [auth_key.jwk]}}, {"json": {"keys": [auth_key.jwk, rotated.jwk]}}],
    )
    verify_access_token(auth_key.token())
    # Auth rotated its key: the first token signed with the new one refetches, and succeeds.
    assert verify_access_token(rotated.token())["user_name"] == "VISITS_USER"
    assert requests_mock.call_count == 2
    verify_access_token(rotated.token())
    assert requests_mock.call_count == 2


def test_a_stream_of_made_up_key_ids_refetches_only_once(jwks: Any, auth_key: SigningKey) -> None:
    verify_access_token(auth_key.token())
    for number in range(5):
        with pytest.raises(TokenRefused, match="kid"):
            verify_access_token(SigningKey(f"forged-{number}").token())
    assert jwks.call_count == 2


@pytest.mark.parametrize(
    ("description", "make_token"),
    [
        ("expired", lambda key: key.token(lifetime=-60)),
        ("wrong issuer", lambda key: key.token(iss="https://evil.example/auth/issuer")),
        (
            "no expiry",
            lambda key: jwt.encode(
                user_claims(),
                key.private,
                algorithm="RS256",
                headers={"kid": key.kid},
            ),
        ),
        (
            "no key id",
            lambda key: jwt.encode(
                {**user_claims(), "exp": int(time.time()) + 60}, key.private, algorithm="RS256"
            ),
        ),
        ("not a JWT", lambda key: "not-a-token"),
    ],
)
def test_tokens_that_are_not_good_are_refused(
    jwks: Any, auth_key: SigningKey, description: str, make_token: Any
) -> None:
    with pytest.raises(TokenRefused):
        verify_access_token(make_token(auth_key))


def test_alg_none_is_refused(jwks: Any, auth_key: SigningKey) -> None:
    header = _encode_segment({"alg": "none", "typ": "JWT", "kid": auth_key.kid})
    payload = _encode_segment({**user_claims(), "exp": int(time.time()) + 60})
    with pytest.raises(TokenRefused, match="algorithm"):
        verify_access_token(f"{header}.{payload}.")


def test_hmac_signed_with_the_public_key_is_refused(jwks: Any, auth_key: SigningKey) -> None:
    """The classic confusion attack: HS256 keyed with the published RSA key."""
    header = _encode_segment({"alg": "HS256", "typ": "JWT", "kid": auth_key.kid})
    payload = _encode_segment({**user_claims(), "exp": int(time.time()) + 60})
    with pytest.raises(TokenRefused, match="algorithm"):
        verify_access_token(f"{header}.{payload}.c2lnbmF0dXJl")


def test_a_token_signed_with_another_key_is_refused(jwks: Any, other_key: SigningKey) -> None:
    # Same key id as Auth's, different private key.
    with pytest.raises(TokenRefused, match="Signature"):
        verify_access_token(other_key.token())


def test_a_tampered_payload_is_refused(jwks: Any, auth_key: SigningKey) -> None:
    header, _payload, signature = _segments(auth_key.token())
    forged = _encode_segment(
        {**user_claims(authorities=["ROLE_MIGRATE_NOMIS_SYSCON"]), "exp": int(time.time()) + 60}
    )
    with pytest.raises(TokenRefused, match="Signature"):
        verify_access_token(f"{header}.{forged}.{signature}")
