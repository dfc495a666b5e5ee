"""A URL configuration for tests: the whole site plus a page guarded by PermissionRequiredMixin.

Used (with `pytest.mark.urls("tests.guarded_urls")`) where a test needs a page that only visits
users may open, whatever pages the site itself has.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views import View

from accounts.mixins import PermissionRequiredMixin
from nomis_sync.urls import handler403, handler404, handler500
from nomis_sync.urls import urlpatterns as site_urlpatterns


class VisitsOnlyPage(PermissionRequiredMixin, View):
    permission_required = "migrations_ui.view_visits_migration"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("visits page")


urlpatterns = [*site_urlpatterns, path("guarded", VisitsOnlyPage.as_view())]
__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
