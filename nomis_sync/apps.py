from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class NomisSyncConfig(AppConfig):
    # This module holds two configurations; this one is the project's own.
    default = True
    name = "nomis_sync"
    verbose_name = "NOMIS sync dashboard (project)"

    def ready(self) -> None:
        from kernel.middleware import register_pod_path
        from nomis_sync import views

        # The probes' liveness check, answered at the pod's own address too.
        register_pod_path("/ping", views.ping)


class DashboardAdminConfig(admin_apps.AdminConfig):
    """The admin, with its site replaced by one behind HMPPS Auth sign-in (nomis_sync.admin)."""

    default = False
    default_site = "nomis_sync.admin.DashboardAdminSite"
