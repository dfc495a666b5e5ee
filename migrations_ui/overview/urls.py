"""The overview, under /overview/."""

from django.urls import path

from migrations_ui.overview import views

app_name = "overview"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("in-flight", views.InFlightFragmentView.as_view(), name="in-flight"),
]
