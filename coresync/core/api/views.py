"""API fallbacks."""

from django.http import HttpRequest, JsonResponse

from coresync.core.api.exceptions import error_body


def api_not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Answer an unknown ``/api/…`` path with the JSON error body, not an HTML page."""
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
