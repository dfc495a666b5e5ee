from django.apps import AppConfig


class MigrationsUiConfig(AppConfig):
    name = "migrations_ui"
    verbose_name = "Migrations"

    def ready(self) -> None:
        from migrations_ui.registry import register_tiles
        from nomis_sync.tiles import Tile, register_tile

        register_tiles()
        register_tile(Tile("Audit log", "/audit/", "migrations_ui.view_audit_log"))
