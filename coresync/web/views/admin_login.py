"""The admin's sign-in page with the site's sign-in limits (docs/security.md)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from coresync.web.throttle import login_retry_after, record_login_failure
from coresync.web.views.errors import too_many_requests


def admin_login(request: HttpRequest) -> HttpResponse:
    """Run Django's admin sign-in, refusing with 429 once this address has failed too often
    (for the email tried, or in all); each failed POST is counted."""
    email = request.POST.get("username", "") if request.method == "POST" else ""
    if request.method == "POST":
        wait = login_retry_after(request, email)
        if wait:
            return too_many_requests(request, wait)
    response = admin.site.login(request)
    if request.method == "POST" and not request.user.is_authenticated:
        record_login_failure(request, email)
    return response
