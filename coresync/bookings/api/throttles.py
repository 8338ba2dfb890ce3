"""Rate limit on booking creation in the API: the per-user budget of
:mod:`coresync.bookings.limits`, shared with the site's confirm button."""

from coresync.bookings.limits import booking_attempt_retry_after
from coresync.core.api.throttles import CreateThrottle


class BookingCreateThrottle(CreateThrottle):
    """The budget on the booking view set: only its ``create`` action is counted."""

    scope = "booking_create"

    def retry_after(self, user) -> int | None:
        return booking_attempt_retry_after(user)
