"""The dashboard app's wiring, done once at start: everything is declared elsewhere as data."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MigrationsUiConfig(AppConfig):
    name = "migrations_ui"
    verbose_name = "Migrations"

    def ready(self) -> None:
        from accounts.permissions import grant
        from kernel import tiles
        from kernel.middleware import register_pod_path
        from migrations_ui import audit, roles, room_mappings, types
        from migrations_ui.audit import metrics
        from migrations_ui.selectors.running import running_tags

        # Each type's permissions for its roles and SYSCON, a tile for each, and its Running tag.
        for role, permissions in types.role_permissions().items():
            grant(role, permissions)
        for migration_type in types.REGISTERED:
            tiles.register_tile(
                tiles.Tile(
                    title=migration_type.tile_title,
                    href=migration_type.home_href,
                    permission=migration_type.view_permission,
                    group=tiles.MIGRATIONS,
                    description=migration_type.description,
                )
            )
        tiles.register_status_provider(running_tags)
        tiles.set_entry_role(types.entry_role())
        for role in room_mappings.ROLES:
            grant(role, [room_mappings.PERMISSION])
        tiles.register_tile(room_mappings.TILE)
        tiles.register_tile(audit.TILE)
        # Prometheus scrapes each pod at its own address; the path has no URL otherwise.
        register_pod_path("/metrics", metrics.metrics)
        # The application's database role may only add to and read the audit log.
        post_migrate.connect(
            roles.grant_after_migrate, sender=self, dispatch_uid="migrations_ui.roles"
        )
