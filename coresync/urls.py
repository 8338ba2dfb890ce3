"""Top-level URL configuration."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from coresync.core.api.views import api_not_found, bad_request
from coresync.web.views import errors as web_errors
from coresync.web.views.admin_login import admin_login

admin.site.site_header = "CoreSync administration"
admin.site.site_title = "CoreSync"

urlpatterns = [
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("coresync.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI loads its own script (no inline script) but injects <style> elements.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path("calendars/", include("coresync.calendars.urls")),
    path("staff/manage/pricing/", include("coresync.spafile.urls")),
    path("api/<path:rest>", api_not_found),
    # The guest website last: its paths are the site's (docs/website.md).
    path("", include("coresync.web.urls")),
]

handler400 = bad_request
handler404 = web_errors.page_not_found
handler500 = web_errors.server_error
