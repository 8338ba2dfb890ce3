"""Payment work that calls the provider, run by the transactional outbox
(:mod:`coresync.notifications.outbox`) after the change that caused it has committed.

A booking cancelled, marked no-show or expired — or paid after it was cancelled or expired —
enqueues one ``payments.settle_booking`` job in the same transaction (ARCHITECTURE.md
"transactional outbox"); the dispatcher runs it outside any lock, retries a transient Stripe
failure with backoff, and :func:`coresync.payments.services.settle_booking` is idempotent, so
a job run twice refunds or charges once.
"""

from coresync.bookings.models import Booking
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import PermanentError, enqueue, outbox_handler
from coresync.payments.providers.base import PaymentProviderError
from coresync.payments.services import settle_booking

SETTLE_BOOKING = "payments.settle_booking"


def enqueue_settlement(booking: Booking, *, cause: str) -> OutboxMessage:
    """Enqueue the settlement of ``booking`` in the current transaction, once per ``cause``
    (``booking.cancelled``, ``booking.no_show``, ``payment:<id>:after-cancelled``…)."""
    return enqueue(
        SETTLE_BOOKING,
        {"booking_id": booking.pk, "cause": cause},
        dedupe_key=f"{SETTLE_BOOKING}:{booking.pk}:{cause}",
    )


@outbox_handler(SETTLE_BOOKING)
def settle_booking_job(message: OutboxMessage) -> None:
    """Run :func:`~coresync.payments.services.settle_booking` for the message's booking."""
    try:
        settle_booking(message.payload["booking_id"])
    except PaymentProviderError as error:
        if error.permanent:
            raise PermanentError(str(error)) from error
        raise
