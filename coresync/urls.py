"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import path

from coresync.web import views as web_views

admin.site.site_header = "CoreSync administration"
admin.site.site_title = "CoreSync"

urlpatterns = [
    path("", web_views.home, name="home"),
    path("admin/", admin.site.urls),
]
