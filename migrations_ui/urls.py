"""Every migration type's pages, generated from the registry at the existing dashboard's prefixes
(each type's `url_prefix`), so users' bookmarks keep working.

Each type gets its own URL namespace (its slug) and views built for it. Migration ids contain
colons; they are accepted raw or percent-encoded (the server decodes the path before routing), so
`<str:migration_id>` matches both.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path

from migrations_ui import types, views
from migrations_ui.types.base import MigrationType


def type_urlpatterns(migration_type: MigrationType) -> list[URLPattern]:
    def view(cls: type[views.MigrationTypeView]) -> Callable[..., HttpResponseBase]:
        return cls.as_view(migration_type=migration_type)

    pages = [
        path("", view(views.HistoryView), name="history"),
        path("start", view(views.StartView), name="start"),
        path("amend", view(views.AmendView), name="amend"),
        path("start/preview", view(views.PreviewView), name="preview"),
        path("start/confirmation", view(views.ConfirmationView), name="confirmation"),
        path("failures/delete", view(views.DeleteFailuresView), name="delete-failures"),
        path("<str:migration_id>/", view(views.DetailsView), name="details"),
        path("<str:migration_id>/progress", view(views.ProgressFragmentView), name="progress"),
        path("<str:migration_id>/cancel", view(views.CancelView), name="cancel"),
        path(
            "<str:migration_id>/refresh-counts",
            view(views.RefreshCountsView),
            name="refresh-counts",
        ),
    ]
    # Fixed paths go before the "<migration_id>/" patterns, which would match them too.
    if migration_type.has_failures_page:
        pages.insert(1, path("failures/", view(views.FailuresView), name="failures"))
    else:
        # Not a migration id: answered as not found without asking the migration service.
        pages.insert(1, path("failures/", views.no_such_page))
    if migration_type.extra_urls:
        pages[1:1] = migration_type.extra_urls(migration_type)
    return pages


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        f"{migration_type.url_prefix}/",
        include((type_urlpatterns(migration_type), migration_type.slug)),
    )
    for migration_type in types.REGISTERED
]
