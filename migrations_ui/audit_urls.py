"""The audit log review pages, under /audit/."""

from django.urls import path

from migrations_ui import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.AuditLogView.as_view(), name="log"),
    path("export.csv", audit_views.AuditExportView.as_view(), name="export"),
    path("<int:event_id>/", audit_views.AuditEventView.as_view(), name="event"),
    path("<int:event_id>/check", audit_views.AuditCheckView.as_view(), name="check"),
]
