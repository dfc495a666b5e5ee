"""Sign-in, sign-out and the home page, on the existing dashboard's paths (design.md §4)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("sign-in", views.SignInView.as_view(), name="sign-in"),
    path("sign-in/callback", views.SignInCallbackView.as_view(), name="sign-in-callback"),
    path("sign-out", views.sign_out, name="sign-out"),
    path("account-details", views.account_details, name="account-details"),
    path("autherror", views.auth_error, name="autherror"),
    path("session-expired", views.session_expired, name="session-expired"),
    path("authError", views.auth_error),
]
