"""Rate limit on booking creation (SPEC §11 "rate limits on login and booking").

One budget per user (``DEFAULT_THROTTLE_RATES["booking_create"]``, 30/hour by default),
counted in the cache, shared by the API's ``POST bookings/`` and the site's confirm button:
a client cannot double its budget by switching between them.
"""

from rest_framework.throttling import UserRateThrottle


class BookingCreateRate(UserRateThrottle):
    """The per-user budget of booking attempts; counts every request it is asked about."""

    scope = "booking_create"


class BookingCreateThrottle(BookingCreateRate):
    """The budget on the booking view set: only its ``create`` action is counted."""

    def allow_request(self, request, view) -> bool:
        if getattr(view, "action", None) != "create":
            return True
        return super().allow_request(request, view)


def booking_create_retry_after(request) -> int | None:
    """Count one booking attempt by ``request.user`` (a Django or DRF request).

    Returns:
        ``None`` when the attempt is within the budget, else the seconds to wait (≥ 1).
    """
    rate = BookingCreateRate()
    if rate.allow_request(request, None):
        return None
    return max(1, round(rate.wait() or 1))
