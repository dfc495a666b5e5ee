"""URL map of every sandboxed service. Each upstream keeps its real paths under its own prefix."""

from importlib import import_module

from django.urls import URLPattern, include, path, re_path

from sandbox import entities
from sandbox.entities.base import Entity
from sandbox.views import auth, control, ingestion, migration
from sandbox.views.common import health, methods

# The lists an entity's urls module may have, each relative to its service's prefix here.
ENTITY_PATTERN_PREFIXES = {
    "migration_patterns": "nomis-migration-api/",
    "nomis_patterns": "nomis-prisoner-api/",
    "mapping_patterns": "mapping-api/",
    "activities_api_patterns": "activities-api/",
}


def _entity_patterns(name: str) -> list[URLPattern]:
    """Every registered type's ``<name>`` list (``nomis_patterns`` …) from its urls module."""
    out: list[URLPattern] = []
    for entity in entities.every():
        out += getattr(import_module(entity.urls_module), name, [])
    return out


def entity_paths(entity: Entity) -> list[str]:
    """The paths one entity serves, with their services' prefixes (start path included)."""
    module = import_module(entity.urls_module)
    return [
        f"/{ENTITY_PATTERN_PREFIXES['migration_patterns']}migrate/{entity.slug}",
        *(
            f"/{prefix}{pattern.pattern}"
            for name, prefix in ENTITY_PATTERN_PREFIXES.items()
            for pattern in getattr(module, name, [])
        ),
    ]


auth_patterns = [
    path("oauth/authorize", auth.authorize),
    path("oauth/token", auth.token),
    path("login", auth.login),
    path(".well-known/jwks.json", auth.jwks),
    path("issuer/.well-known/openid-configuration", auth.openid_configuration),
    path("sign-out", auth.logout),
    path("logout", auth.logout),
    path("account-details", auth.account_details),
    path("api/user/me", auth.user_me),
    path("api/user/me/roles", auth.user_me_roles),
    path("health/ping", health),
]

verification_patterns = [
    path("token/verify", auth.verify),
    path("health/ping", health),
]

migration_patterns = [
    *(
        path(f"migrate/{entity.slug}", methods(POST=migration.start_view(entity)))
        for entity in entities.every()
    ),
    *_entity_patterns("migration_patterns"),
    path("migrate/history/all/<str:migration_type>", methods(GET=migration.history_all)),
    path("migrate/history/active/<str:migration_type>", methods(GET=migration.active)),
    path("migrate/history/<str:migration_id>", methods(GET=migration.history_one)),
    path("migrate/cancel/<str:migration_id>", methods(POST=migration.cancel)),
    path("migrate/refresh/<str:migration_id>", methods(POST=migration.refresh)),
    path("migrate/dead-letter-queue/<str:migration_type>/count", methods(GET=migration.dlq_count)),
    path(
        "migrate/dead-letter-queue/<str:migration_type>",
        methods(GET=migration.dlq_get, DELETE=migration.dlq_delete),
    ),
    path("queue-admin/retry-dlq/<str:dlq_name>", methods(PUT=migration.queue_retry_dlq)),
    path("queue-admin/retry-all-dlqs", methods(PUT=migration.queue_retry_all)),
    path("queue-admin/purge-queue/<str:queue_name>", methods(PUT=migration.queue_purge)),
    path("queue-admin/get-dlq-messages/<str:dlq_name>", methods(GET=migration.queue_dlq_messages)),
    path("health/ping", health),
    path("health", migration.service_health),
    path("info", migration.info),
]

nomis_patterns = [
    *_entity_patterns("nomis_patterns"),
    path("health/ping", health),
]

mapping_patterns = [
    *_entity_patterns("mapping_patterns"),
    path("health/ping", health),
]

activities_api_patterns = [
    *_entity_patterns("activities_api_patterns"),
    path("health/ping", health),
]

control_patterns = [
    path("reset", methods(POST=control.reset)),
    path("state", control.state),
    path("faults", control.faults),
    path("latency", control.latency),
    path("journal", control.journal),
    path("settings", control.settings),
    path("redirect-uris", control.redirect_uris),
    path("users", control.users),
    path("telemetry", control.telemetry),
    # What the dashboard's own telemetry sent to Application Insights (below), as opposed to the
    # migration service's events above.
    path("ingestion", methods(GET=ingestion.received, DELETE=ingestion.received)),
    path("dlq-retry", methods(POST=control.dlq_retry)),
]

urlpatterns = [
    path("auth/", include(auth_patterns)),
    path("verification/", include(verification_patterns)),
    path(ENTITY_PATTERN_PREFIXES["migration_patterns"], include(migration_patterns)),
    path(ENTITY_PATTERN_PREFIXES["nomis_patterns"], include(nomis_patterns)),
    path(ENTITY_PATTERN_PREFIXES["mapping_patterns"], include(mapping_patterns)),
    path(ENTITY_PATTERN_PREFIXES["activities_api_patterns"], include(activities_api_patterns)),
    path("__sandbox/", include(control_patterns)),
    # Application Insights ingestion: the connection string's IngestionEndpoint is the sandbox.
    # The exporter joins the endpoint's trailing slash to "/v2.1/track", as Azure's allows.
    re_path(r"^/?v2(?:\.1)?/track$", methods(POST=ingestion.track)),
]

# Unknown paths get the upstream's JSON 404 rather than Django's HTML page.
handler404 = "sandbox.views.common.not_found"
handler500 = "sandbox.views.common.server_error"
