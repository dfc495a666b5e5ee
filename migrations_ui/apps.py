from django.apps import AppConfig


class MigrationsUiConfig(AppConfig):
    name = "migrations_ui"
    verbose_name = "Migrations"

    def ready(self) -> None:
        from migrations_ui import types
        from nomis_sync.tiles import Tile, register_tile

        types.register()
        register_tile(Tile("Audit log", "/audit/", "migrations_ui.view_audit_log"))
