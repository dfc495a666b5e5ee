"""GOV.UK pages for failures that are not one upstream call's status: lost answers, wrong methods.

`UpstreamErrorMiddleware` renders the rest (one service's failure, with a fitting status).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

import upstream

logger = logging.getLogger(__name__)


def outcome_unknown_page(
    request: HttpRequest,
    error: upstream.OutcomeUnknown,
    *,
    done: str,
    checks: Sequence[tuple[str, str]],
) -> HttpResponse:
    """ "We do not know whether <done>": a change was sent and its answer lost.

    `done` completes the sentence ("the migration was cancelled"); `checks` are (link text,
    address) of the pages that show whether it happened. 504 for a timeout, else 502. Never
    "nothing has been changed": upstream may well have done it.
    """
    logger.warning(
        "Outcome unknown from %s: %s (%s)",
        error.service,
        error.message,
        error.url,
        extra={"upstream_status": error.status, "upstream_service": error.service},
    )
    if isinstance(error, upstream.Timeout):
        reason, status = f"The {error.service} did not answer in time after it was asked", 504
    elif isinstance(error, upstream.MalformedResponse):
        reason, status = f"The {error.service} answered, but its answer could not be read", 502
    else:
        reason = f"The connection to the {error.service} was lost after it was asked"
        status = 502
    return render(
        request,
        "errors/outcome_unknown.html",
        {"title": f"We do not know whether {done}", "reason": reason, "checks": list(checks)},
        status=status,
    )


def method_not_allowed_page(request: HttpRequest, allowed: str) -> HttpResponse:
    """The GOV.UK page for a 405 (a link followed to a form's address, an old bookmark)."""
    response = render(request, "errors/405.html", {}, status=405)
    if allowed:
        response["Allow"] = allowed
    return response
