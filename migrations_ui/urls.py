"""Visits migration pages."""

from django.urls import path  # noqa: F401 - the visits routes are added by the visits work

app_name = "visits"
urlpatterns: list = []
