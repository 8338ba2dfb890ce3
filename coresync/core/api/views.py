"""API fallbacks."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from coresync.core.api.exceptions import error_body


def api_not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Answer an unknown ``/api/…`` path with the JSON error body, not an HTML page."""
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The project's 400 handler: the API's JSON error body under ``/api/``, Django's page
    elsewhere. Django answers here when it refuses a request before any view runs — a body
    over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MiB), too many fields, a bad Host header."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body is larger than {limit / 1_048_576:.1f} MiB."
    else:
        message = "The request was refused."
    return JsonResponse(error_body("invalid", message), status=400)
