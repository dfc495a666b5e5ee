"""The Content-Security-Policy header (kernel.csp): django-csp's policy, written once a process."""

from __future__ import annotations

from typing import Any

import pytest
from csp.constants import HEADER
from csp.decorators import csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from kernel.csp import CSPMiddleware


def _directives(policy: str) -> set[str]:
    return {part.strip() for part in policy.split(";")}


def _served(middleware: Any, request: HttpRequest, response: HttpResponseBase) -> Any:
    middleware.process_request(request)
    return middleware.process_response(request, response)


@pytest.mark.parametrize("uses_nonce", [True, False], ids=["nonce", "no nonce"])
def test_the_header_is_django_csps_own_for_the_same_nonce(rf, uses_nonce) -> None:
    ours, theirs = rf.get("/"), rf.get("/")
    CSPMiddleware(HttpResponse).process_request(ours)
    DjangoCSPMiddleware(HttpResponse).process_request(theirs)
    if uses_nonce:
        theirs._csp_nonce = str(ours.csp_nonce)  # the same nonce, for one comparison
    ours_header = CSPMiddleware(HttpResponse).process_response(ours, HttpResponse())[HEADER]
    theirs_header = DjangoCSPMiddleware(HttpResponse).process_response(theirs, HttpResponse())[
        HEADER
    ]
    assert _directives(ours_header) == _directives(theirs_header)
    assert ("'nonce-" in ours_header) is uses_nonce


def test_each_response_gets_its_own_nonce(rf) -> None:
    middleware = CSPMiddleware(HttpResponse)
    first, second = rf.get("/"), rf.get("/")
    middleware.process_request(first)
    middleware.process_request(second)
    nonces = [str(first.csp_nonce), str(second.csp_nonce)]
    headers = [
        middleware.process_response(first, HttpResponse())[HEADER],
        middleware.process_response(second, HttpResponse())[HEADER],
    ]
    assert nonces[0] != nonces[1]
    assert f"'nonce-{nonces[0]}'" in headers[0] and f"'nonce-{nonces[1]}'" in headers[1]
    assert "nonce-marker" not in "".join(headers)


def test_a_views_own_policy_still_takes_django_csps_path(rf) -> None:
    @csp_update({"img-src": "https://images.example"})
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    request = rf.get("/")
    response = _served(CSPMiddleware(view), request, view(request))
    assert "https://images.example" in response[HEADER]


def test_a_changed_policy_setting_is_written_from_then_on(rf, settings) -> None:
    _served(CSPMiddleware(HttpResponse), rf.get("/"), HttpResponse())
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    response = _served(CSPMiddleware(HttpResponse), rf.get("/"), HttpResponse())
    assert response[HEADER] == "default-src 'none'"


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error(rf) -> None:
    request = rf.get("/")
    _served(CSPMiddleware(HttpResponse), request, HttpResponse())
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
