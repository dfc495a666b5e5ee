"""Visit room mapping pages, under /visits-room-mappings/ (the existing dashboard's prefix)."""

from django.urls import path

from migrations_ui.room_mappings import views

app_name = "room_mappings"

urlpatterns = [
    path("", views.TableView.as_view(), name="table"),
    path("prison", views.PrisonView.as_view(), name="prison"),
    path("add", views.AddView.as_view(), name="add"),
    path("delete", views.DeleteView.as_view(), name="delete"),
]
