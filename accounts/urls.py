"""Sign-in, sign-out and the home page."""

from django.urls import path  # noqa: F401 - the sign-in routes are added by the accounts work

urlpatterns: list = []
