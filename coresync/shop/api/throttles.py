"""Rate limit on order creation: ``DEFAULT_THROTTLE_RATES["shop_order_create"]`` per user."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from coresync.core.ratelimit import Rate, hit


class OrderCreateThrottle(BaseThrottle):
    """Counts only the ``create`` action of the order view set (429 with ``Retry-After``)."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request, view) -> bool:
        if getattr(view, "action", None) != "create" or not request.user.is_authenticated:
            return True
        rate = Rate.parse(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["shop_order_create"])
        self._wait = hit("shop_order_create", f"user:{request.user.pk}", rate)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
