"""One booking step for every channel: the API, the website, the desk and the assistant.

:func:`checkout_booking` decides whether payment is awaited, creates the booking through the
booking services (every rule, lock and idempotency of ``create_booking``), then starts its
payment with the configured provider (``PAYMENT_PROVIDER``) — with no lock held, as Stripe's
calls must never run inside the booking's transaction (STYLE.md "Scarce time and stock").
A channel shows what it returns: the booking and how it is paid.

- Pay at the spa (the offline default): the booking is ``confirmed`` at once.
- Stripe: the booking is created ``pending`` and holds its slot for the spa's hold minutes;
  a PaymentIntent is created and its client secret returned for the channel's card form; the
  webhook ``payment_intent.succeeded`` confirms it (docs/payments.md).

The same ``idempotency_key`` (the API's ``Idempotency-Key`` header, the site's form key)
books once: a repeat returns the same booking and the same payment (Stripe's own
idempotency key is the payment row's UUID).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.payments.providers import get_provider
from coresync.payments.providers.base import PaymentStart
from coresync.payments.services import recorded_booking_payment, start_booking_payment


@dataclass(frozen=True)
class BookingChoice:
    """What a guest chose, in any channel.

    ``start`` is aware (any offset); ``technician`` ``None`` means any; ``technicians``
    names several for a group (couples) booking; money is never part of a choice.
    """

    service: str
    start: datetime
    duration_minutes: int | None = None
    addon_slugs: Sequence[str] = ()
    guests: int = 1
    technician: str | None = None
    technicians: Sequence[str] = ()
    room: str | None = None
    preferences: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    guest_name: str = ""
    gift_card: str = ""


@dataclass(frozen=True)
class CheckoutResult:
    """What a channel shows after booking: the booking and how it is paid.

    ``awaiting_payment``: the booking holds its slot until ``booking.hold_expires_at`` and
    waits for ``payment`` (``payment.client_secret`` for Stripe's card form).
    """

    booking: Booking
    payment: PaymentStart
    replayed: bool

    @property
    def awaiting_payment(self) -> bool:
        return self.booking.status == BookingStatus.PENDING


def checkout_booking(
    *,
    customer,
    choice: BookingChoice,
    idempotency_key: str | None,
    actor=None,
    now: datetime | None = None,
    enforce_booking_window: bool = True,
) -> CheckoutResult:
    """Book ``choice`` for ``customer`` and start its payment; return what to show.

    Args:
        customer: the signed-in user the booking is for.
        choice: the guest's choices (:class:`BookingChoice`).
        idempotency_key: one key per intended booking; a repeat with the same key and the
            same choice returns the same booking and payment.
        actor: who acts (the customer, or the desk booking for them); in the history.
        enforce_booking_window: False lets staff book outside notice and window.

    Raises:
        everything :func:`coresync.bookings.services.create_booking` raises (400, 409, 422);
        ``PaymentProviderUnavailable`` (503) when Stripe cannot be reached — the booking
        keeps its hold and the same request may be sent again.
    """
    booking = create_booking(
        awaiting_payment=get_provider().collects_online,
        customer=customer,
        service=choice.service,
        start=choice.start,
        duration_minutes=choice.duration_minutes,
        addon_slugs=choice.addon_slugs,
        guests=choice.guests,
        technician=choice.technician,
        technicians=choice.technicians,
        room=choice.room,
        preferences=choice.preferences,
        notes=choice.notes,
        guest_name=choice.guest_name,
        gift_card_code=choice.gift_card,
        idempotency_key=idempotency_key,
        actor=actor or customer,
        now=now,
        enforce_booking_window=enforce_booking_window,
    )
    replayed = getattr(booking, "was_replayed", False)
    if replayed and booking.status != BookingStatus.PENDING:
        # A retry after the payment settled (or the booking ended): say what happened.
        payment = recorded_booking_payment(booking)
    else:
        # A pending replay asks again with the payment's own key: the same PaymentIntent.
        payment = start_booking_payment(booking, now=now)
    booking.refresh_from_db()  # a zero amount confirms it at once
    return CheckoutResult(booking=booking, payment=payment, replayed=replayed)
