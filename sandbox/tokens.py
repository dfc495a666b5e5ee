"""RS256 signing key, JWT issue and checking, token revocation (upstream-api §8.4, §8.5, §9)."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class TokenService:
    """The key pair made at start-up; it survives scenario resets so issued tokens stay valid."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self._key.public_key()
        self.kid = f"sandbox-{secrets.token_hex(4)}"
        numbers = self.public_key.public_numbers()
        self.jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": _b64uint(numbers.n),
                    "e": _b64uint(numbers.e),
                }
            ]
        }
        # Decoding verifies an RSA signature; the dashboard sends the same few tokens over and over,
        # so signature-checked claims are cached per token string (expiry is checked every time).
        self._cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.revoked: set[str] = set()
        # username -> jtis of user tokens (authorization-code and refresh grants), for sign-out.
        self.user_tokens: dict[str, list[str]] = {}

    def issue(
        self, claims: dict[str, Any], *, lifetime: int, user_token: bool
    ) -> tuple[str, dict[str, Any]]:
        now = int(time.time())
        payload = {**claims, "iat": now, "exp": now + lifetime, "jti": secrets.token_urlsafe(16)}
        token = jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.kid})
        if user_token and payload.get("user_name"):
            with self._lock:
                self.user_tokens.setdefault(payload["user_name"], []).append(payload["jti"])
        return token, payload

    def decode(self, token: str) -> dict[str, Any] | None:
        """Claims of a well-signed, unexpired token, else None."""
        claims = self._cache.get(token)
        if claims is None:
            try:
                claims = jwt.decode(
                    token,
                    self.public_key,
                    algorithms=["RS256"],
                    options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
                )
            except jwt.PyJWTError:
                return None
            with self._lock:
                if len(self._cache) > 5000:
                    self._cache.clear()
                self._cache[token] = claims
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= time.time():
            return None
        return claims

    def is_active(self, token: str) -> bool:
        claims = self.decode(token)
        return claims is not None and claims.get("jti") not in self.revoked

    def revoke_user(self, username: str) -> None:
        """Sign-out: every user token issued to ``username`` so far becomes inactive."""
        with self._lock:
            self.revoked.update(self.user_tokens.pop(username, []))
