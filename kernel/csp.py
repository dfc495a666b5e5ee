"""The Content-Security-Policy header: django-csp's, with the policy written once per process."""

from __future__ import annotations

import functools
from typing import Any

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# What a view sets on its response to have a policy of its own (django-csp's decorators).
_PER_VIEW = tuple(
    f"_csp_{kind}{suffix}"
    for kind in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)
# Stands for the nonce while the policy is built; never sent.
_MARKER = "nonce-marker-0123456789"


@functools.cache
def _policies() -> tuple[str, str, str]:
    """The policy without a nonce, and the policy before and after its nonce."""
    before, _, after = build_policy(nonce=_MARKER).partition(_MARKER)
    return build_policy(), before, after


@receiver(setting_changed)
def _policy_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.cache_clear()


def _policy(nonce: str | None) -> str:
    without, before, after = _policies()
    return f"{before}{nonce}{after}" if nonce else without


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware, with the policy built once rather than for every response.

    django-csp builds the header from the settings on each response: two `dataclasses.asdict`
    and a walk over the directives, for the policy and for its report-only twin, 29 us a page
    (timeit). No view here has a policy of its own, so every page's header is the same but for
    its nonce: it is built once around a marker, and each response gets it with its own nonce.
    A response with a policy of its own (django-csp's decorators), a report-only policy,
    excluded paths and Django's debug pages all take django-csp's own path.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        if (
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or policy.get("EXCLUDE_URL_PREFIXES")
            or any(hasattr(response, name) for name in _PER_VIEW)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        nonce = getattr(request, "_csp_nonce", None)
        if HEADER not in response:
            response[HEADER] = _policy(nonce)
        if nonce is None:
            # As django-csp: a nonce asked for after the header is written is an error, not a
            # script that silently fails to load.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
