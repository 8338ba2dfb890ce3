"""Signed links that open one booking without a password (issue: guest messages).

A booking message (confirmation, reschedule, reminder) carries a link to the booking's page
with ``?access=<token>``. The token is a Django signature (``django.core.signing``, HMAC with
``SECRET_KEY``) over the booking's primary key and reference, so it opens that booking only;
it is refused once the booking has been over for :data:`ACCESS_TOKEN_DAYS_AFTER_END` days, and
by a change of ``SECRET_KEY``. Holding it lets a person view, reschedule or cancel that booking
under the same rules as its signed-in customer.
"""

from datetime import timedelta

from django.core import signing

from coresync.bookings.models import Booking
from coresync.core.clock import now as clock_now

ACCESS_TOKEN_SALT = "coresync.bookings.access"
ACCESS_TOKEN_DAYS_AFTER_END = 30
ACCESS_QUERY_PARAMETER = "access"


def booking_access_token(booking: Booking) -> str:
    """Return the signed token that opens ``booking`` (a URL-safe string, ~60 characters)."""
    return signing.dumps(
        {"b": booking.pk, "r": booking.reference}, salt=ACCESS_TOKEN_SALT, compress=True
    )


def booking_from_access_token(token: str, *, reference: str | None = None) -> Booking | None:
    """Return the booking ``token`` opens, or ``None``.

    Args:
        token: a value made by :func:`booking_access_token`.
        reference: when given, the token must be for the booking with this reference.

    ``None`` for a forged, altered or foreign token, a booking that no longer exists, another
    reference than ``reference``, or a booking that ended more than
    :data:`ACCESS_TOKEN_DAYS_AFTER_END` days ago (UTC, elapsed time).
    """
    if not token or len(token) > 500:
        return None
    try:
        payload = signing.loads(token, salt=ACCESS_TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    booking_id, booking_reference = payload.get("b"), payload.get("r")
    if not isinstance(booking_id, int) or not isinstance(booking_reference, str):
        return None
    if reference is not None and reference != booking_reference:
        return None
    booking = (
        Booking.objects.select_related("customer", "service", "technician", "room")
        .filter(pk=booking_id, reference=booking_reference)
        .first()
    )
    if booking is None:
        return None
    if booking.end + timedelta(days=ACCESS_TOKEN_DAYS_AFTER_END) < clock_now():
        return None
    return booking
