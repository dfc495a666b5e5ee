from django.apps import AppConfig


class MigrationsUiConfig(AppConfig):
    name = "migrations_ui"
    verbose_name = "Migrations"

    def ready(self) -> None:
        from nomis_sync.tiles import Tile, register_tile

        register_tile(
            Tile(
                title="Visits migration",
                href="/visits-migration/",
                permission="migrations_ui.view_visits_migration",
            )
        )
