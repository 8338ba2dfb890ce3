"""Rate limit on booking creation in the API: the per-user budget of
:mod:`coresync.bookings.limits`, shared with the site's confirm button."""

from rest_framework.throttling import BaseThrottle

from coresync.bookings.limits import booking_attempt_retry_after


class BookingCreateThrottle(BaseThrottle):
    """The budget on the booking view set: only its ``create`` action is counted (429 with
    ``Retry-After`` past it)."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request, view) -> bool:
        if getattr(view, "action", None) != "create" or not request.user.is_authenticated:
            return True
        self._wait = booking_attempt_retry_after(request.user)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
