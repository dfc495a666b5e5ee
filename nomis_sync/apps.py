from django.apps import AppConfig


class NomisSyncConfig(AppConfig):
    name = "nomis_sync"
    verbose_name = "NOMIS sync dashboard (project)"
