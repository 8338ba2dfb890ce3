"""Fixed-window rate limits counted in the cache, for the site's forms and pages (SPEC §11
"rate limits on login and booking").

The API throttles with DRF's classes; pages and the admin's sign-in use this module, with
the same cache (``CACHE_URL``: Redis in production, so every worker shares the counts).
A limit is a :class:`Rate` such as ``"10/min"``; each key is counted in windows of the
rate's length that start on multiples of it (UTC), so a client that hits the limit waits
at most one window.
"""

import hashlib
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

RATE_PATTERN = re.compile(r"^(?P<count>\d+)/(?P<multiple>\d*)(?P<unit>[a-z]+)$")
PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}


@dataclass(frozen=True)
class Rate:
    """``limit`` events per ``seconds``."""

    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """Return the rate in ``"N/period"`` or ``"N/Mperiod"`` (period: s, min, hour or
        day, as DRF writes it; ``"10/5min"`` is ten per five minutes).

        Raises:
            ValueError: a malformed rate (a settings error).
        """
        match = RATE_PATTERN.match(text)
        if match is None or match["unit"] not in PERIODS:
            raise ValueError(f'Rate "{text}" is not of the form N/[M]s|min|hour|day.')
        return cls(int(match["count"]), int(match["multiple"] or 1) * PERIODS[match["unit"]])


def _cache_key(scope: str, identity: str, rate: Rate, window: int) -> str:
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{rate.seconds}:{window}"


def _window(rate: Rate, now: float) -> tuple[int, int]:
    """Return the current window's index and the whole seconds left in it (≥ 1)."""
    index = int(now // rate.seconds)
    return index, max(1, int((index + 1) * rate.seconds - now + 0.999))


def retry_after(scope: str, identity: str, rate: Rate) -> int | None:
    """Return the seconds to wait if ``identity`` has used up ``rate`` in ``scope``, else
    ``None``. Counts nothing."""
    index, left = _window(rate, time.time())
    count = cache.get(_cache_key(scope, identity, rate, index), 0)
    return left if count >= rate.limit else None


def count(scope: str, identity: str, rate: Rate) -> None:
    """Count one event of ``identity`` in ``scope``."""
    _increment(scope, identity, rate)


def hit(scope: str, identity: str, rate: Rate) -> int | None:
    """Count one event, then return the seconds to wait if it went over ``rate`` (the
    event is refused), else ``None``."""
    used, left = _increment(scope, identity, rate)
    return left if used > rate.limit else None


def _increment(scope: str, identity: str, rate: Rate) -> tuple[int, int]:
    """Count one event in the current window; return the window's count so far and the
    seconds left in it (one window reading for both)."""
    index, left = _window(rate, time.time())
    key = _cache_key(scope, identity, rate, index)
    if cache.add(key, 1, left + 1):
        return 1, left
    try:
        return cache.incr(key), left
    except ValueError:  # expired between add and incr
        cache.add(key, 1, left + 1)
        return 1, left


def client_address(request) -> str:
    """Return the client's address as the server saw it (``REMOTE_ADDR``; the proxy in
    front sets it from ``X-Forwarded-For``, see docs/deploy.md)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def user_budget_retry_after(scope: str, user) -> int | None:
    """Count one attempt by the signed-in ``user`` against the per-user budget ``scope`` of
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (e.g. ``"booking_create"``: 30/hour).

    Returns:
        ``None`` when the attempt is within the budget, else the seconds to wait (≥ 1).
    """
    rate = Rate.parse(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope])
    return hit(scope, f"user:{user.pk}", rate)
