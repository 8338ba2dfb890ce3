"""Booking events that move money (registered in :class:`PaymentsConfig.ready`).

Called inside the booking's transaction (:mod:`coresync.bookings.events`): they only enqueue
an outbox job, never call Stripe.
"""

from typing import Any

from coresync.payments import jobs
from coresync.payments.models import Payment
from coresync.payments.providers import get_provider

SETTLING_ACTIONS = ("booking.cancelled", "booking.no_show", "booking.expired")
"""Changes after which what the customer paid must match what the policy keeps."""


def settle_on_booking_change(booking, action: str, data: dict[str, Any]) -> None:
    """On cancel, no-show or expiry, enqueue the booking's settlement: a refund of what was
    paid beyond the fee (``paid − cancellation_fee``), a fee charged to the card on file, or
    an unpaid payment cancelled. Nothing to do for a pay-at-the-spa booking."""
    if action not in SETTLING_ACTIONS:
        return
    if (
        not get_provider().collects_online
        and not booking.gift_card_amount
        and not Payment.objects.filter(booking=booking).exists()
    ):
        return
    jobs.enqueue_settlement(booking, cause=action)
