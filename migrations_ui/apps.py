from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MigrationsUiConfig(AppConfig):
    name = "migrations_ui"
    verbose_name = "Migrations"

    def ready(self) -> None:
        from kernel.middleware import register_pod_path
        from migrations_ui import roles, types
        from migrations_ui.audit import metrics

        # Prometheus scrapes each pod at its own address; the path has no URL otherwise.
        register_pod_path("/metrics", metrics.metrics)

        # The application's database role may only add to and read the audit log.
        post_migrate.connect(
            roles.grant_after_migrate, sender=self, dispatch_uid="migrations_ui.roles"
        )
        from kernel.tiles import Tile, register_tile

        types.register()
        # Visit room mappings: for whoever runs visits migrations (reference-dashboard.md §3).
        from accounts.permissions import grant

        for role in ("MIGRATE_VISITS", "MIGRATE_NOMIS_SYSCON"):
            grant(role, ["migrations_ui.manage_room_mappings"])
        register_tile(
            Tile(
                "Visit room mappings",
                "/visits-room-mappings/prison",
                "migrations_ui.manage_room_mappings",
            )
        )
        register_tile(Tile("Audit log", "/audit/", "migrations_ui.view_audit_log"))
