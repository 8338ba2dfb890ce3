"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from coresync.core.api.views import api_not_found
from coresync.web import views as web_views

admin.site.site_header = "CoreSync administration"
admin.site.site_title = "CoreSync"

urlpatterns = [
    path("", web_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("coresync.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/<path:rest>", api_not_found),
]
