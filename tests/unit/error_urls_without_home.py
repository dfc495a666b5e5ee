"""A URL configuration with no home page, for the template address cache's test."""

from django.urls import path

from tests.unit.error_urls import bad

urlpatterns = [path("bad", bad)]
