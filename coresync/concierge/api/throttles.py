"""Rate limit on new concierge requests: ``DEFAULT_THROTTLE_RATES["concierge_request_create"]``
per user."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from coresync.core.ratelimit import Rate, hit


class RequestCreateThrottle(BaseThrottle):
    """Counts only the ``create`` action (429 with ``Retry-After``)."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request, view) -> bool:
        if getattr(view, "action", None) != "create" or not request.user.is_authenticated:
            return True
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        rate = Rate.parse(rates["concierge_request_create"])
        self._wait = hit("concierge_request_create", f"user:{request.user.pk}", rate)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
