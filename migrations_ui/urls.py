"""Visits migration pages, under /visits-migration/ (reference-dashboard.md §2.2).

Migration ids contain colons; they are accepted raw or percent-encoded (the server decodes the
path before routing), so `<str:migration_id>` matches both.
"""

from django.urls import path

from migrations_ui import views

app_name = "visits"

urlpatterns = [
    path("", views.HistoryView.as_view(), name="history"),
    path("start", views.StartView.as_view(), name="start"),
    path("amend", views.AmendView.as_view(), name="amend"),
    path("start/preview", views.PreviewView.as_view(), name="preview"),
    path("start/confirmation", views.ConfirmationView.as_view(), name="confirmation"),
    path("failures/", views.FailuresView.as_view(), name="failures"),
    path("failures/delete", views.DeleteFailuresView.as_view(), name="delete-failures"),
    path("<str:migration_id>/", views.DetailsView.as_view(), name="details"),
    path("<str:migration_id>/progress", views.ProgressFragmentView.as_view(), name="progress"),
    path("<str:migration_id>/cancel", views.CancelView.as_view(), name="cancel"),
    path(
        "<str:migration_id>/refresh-counts",
        views.RefreshCountsView.as_view(),
        name="refresh-counts",
    ),
]
