from django.urls import path

from coresync.accounts.api import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path(
        "auth/token/refresh/", views.TokenRefreshThrottledView.as_view(), name="auth-token-refresh"
    ),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout/all/", views.LogoutEverywhereView.as_view(), name="auth-logout-all"),
    path("auth/password/change/", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/export/", views.MeExportView.as_view(), name="me-export"),
]
