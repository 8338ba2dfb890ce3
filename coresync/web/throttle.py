"""Sign-in attempt limits for the site's forms (SPEC §11 "rate limits on login").

A fixed window per client address and per email, counted in the cache (shared by all
workers when the cache is Redis): ``WEB_LOGIN_ATTEMPTS`` tries in ``WEB_LOGIN_WINDOW_SECONDS``.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(request, email: str) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [f"web.login.ip.{address}", f"web.login.email.{digest}"]


def login_blocked(request, email: str) -> bool:
    """Tell whether this address or email has used up its attempts."""
    counts = cache.get_many(_keys(request, email))
    return any(count >= settings.WEB_LOGIN_ATTEMPTS for count in counts.values())


def record_login_attempt(request, email: str) -> None:
    """Count one attempt for this address and this email."""
    for key in _keys(request, email):
        if cache.add(key, 1, settings.WEB_LOGIN_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, settings.WEB_LOGIN_WINDOW_SECONDS)
