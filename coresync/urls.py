"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import path

admin.site.site_header = "CoreSync administration"
admin.site.site_title = "CoreSync"

urlpatterns = [
    path("admin/", admin.site.urls),
]
