"""The public feed endpoint ``GET /calendars/<token>.ics`` (no login: the token is the secret).

Calendar apps (Google, Apple, Outlook) poll it with no cookies; a revoked or unknown token is
a plain 404 that says nothing about whether the token ever existed.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.views.decorators.http import require_safe

from coresync.calendars.selectors import feed_ics, live_feed_by_token
from coresync.core.clock import now


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """Answer the feed of ``token`` as ``text/calendar`` (200), or 404.

    Headers: ``Cache-Control: private, max-age=<CALENDAR_FEED_CACHE_MINUTES*60>`` (the URL is
    personal: no shared cache may keep it), ``Content-Disposition: inline; filename=…``,
    ``X-Robots-Tag: noindex``.
    """
    calendar_feed = live_feed_by_token(token)
    if calendar_feed is None:
        return HttpResponseNotFound("No such calendar.", content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        feed_ics(calendar_feed, now()), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = f"private, max-age={settings.CALENDAR_FEED_CACHE_MINUTES * 60}"
    response["Content-Disposition"] = 'inline; filename="coresync.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
