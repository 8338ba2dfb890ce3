"""Error pages in the site's style (404, 429 and 500)."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseServerError
from django.template import loader


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Render ``404.html`` with the site's context (navigation, spa name)."""
    template = loader.get_template("404.html")
    return HttpResponseNotFound(template.render({"request_path": request.path}, request))


def server_error(request: HttpRequest) -> HttpResponse:
    """Render ``500.html`` without the request context: the database, the cache or a context
    processor may be what failed."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"spa": {"name": "CoreSync Spa"}}))


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Render ``429.html`` with ``Retry-After: retry_after`` (seconds)."""
    template = loader.get_template("429.html")
    response = HttpResponse(template.render({"retry_after": retry_after}, request), status=429)
    response["Retry-After"] = str(retry_after)
    return response
