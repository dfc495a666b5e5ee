"""A URL configuration with views that fail on purpose, for the error-page tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from nomis_sync.urls import handler400, handler403, handler404, handler500, urlpatterns


def explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internal detail")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def bad(request: HttpRequest) -> HttpResponse:
    raise BadRequest("nonsense")


urlpatterns = [
    *urlpatterns,
    path("explode", explode),
    path("forbidden", forbidden),
    path("bad", bad),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
