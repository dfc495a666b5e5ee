"""The audit log review pages, under /audit/."""

from django.urls import path

from migrations_ui.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.AuditLogView.as_view(), name="log"),
    path("export.csv", views.AuditExportView.as_view(), name="export"),
    path("<int:event_id>/", views.AuditEventView.as_view(), name="event"),
    path("<int:event_id>/check", views.AuditCheckView.as_view(), name="check"),
]
