from django.urls import path

from coresync.accounts.api import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path(
        "auth/token/refresh/", views.TokenRefreshThrottledView.as_view(), name="auth-token-refresh"
    ),
    path("me/", views.MeView.as_view(), name="me"),
]
