"""The one place an audited action's failures become pages (style.md §4).

A page that changes upstream state calls a service, which records the attempt before sending
it. The service then raises one of two things a view must not handle itself:

- `AuditUnavailable`: the attempt could not be recorded, so nothing was sent (503);
- `upstream.OutcomeUnknown`: it was sent and its answer lost, so it may have happened; the page
  says so and where to check (504 or 502).

Every other upstream failure reaches `kernel.middleware.UpstreamErrorMiddleware`, or the view
shows it where the page has room for it (an error line on a preview).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse

import upstream
from kernel.error_pages import outcome_unknown_page
from kernel.proxies import client_ip
from migrations_ui.services.audit import AuditContext, AuditUnavailable


class AuditedActionMixin(metaclass=abc.ABCMeta):
    """For views whose POST sends an audited change: the translation of its failures, once.

    Abstract, so a view that forgets its "not recorded" page fails when it is made, not when an
    audit write first fails in production."""

    request: HttpRequest
    # What the change does, as the "we do not know whether ..." page says it: "the migration
    # was started".
    done_words: ClassVar[str] = ""

    def done(self, **kwargs: Any) -> str:
        """`done_words`, or words that depend on what was asked for."""
        return self.done_words

    def where_to_check(self, **kwargs: Any) -> Sequence[tuple[str, str]]:
        """Where the user can see whether the change happened: (link text, URL) pairs."""
        return ()

    @abc.abstractmethod
    def refused_unrecorded(self) -> HttpResponse:
        """The page saying the change was not made because it could not be recorded (503)."""

    def audit_context(self) -> AuditContext:
        return AuditContext(
            user=self.request.user,
            request_id=getattr(self.request, "request_id", ""),
            client_ip=client_ip(self.request),
        )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except AuditUnavailable:
            return self.refused_unrecorded()
        except upstream.OutcomeUnknown as error:
            return outcome_unknown_page(
                request, error, done=self.done(**kwargs), checks=self.where_to_check(**kwargs)
            )
        return response
