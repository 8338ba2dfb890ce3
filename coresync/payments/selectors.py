"""Reads of payments for other apps: how a booking is paid, in words for the guest."""

from decimal import Decimal

from coresync.bookings.models import Booking
from coresync.payments.models import BOOKING_PAYMENT_KINDS, Payment, PaymentCustomer, PaymentStatus
from coresync.payments.providers import get_provider


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def booking_payment_summary(booking: Booking) -> dict[str, str]:
    """Return how ``booking`` is paid, for its emails (registered with
    :func:`coresync.notifications.content.register_payment_summary`).

    Returns:
        ``status``: ``paid`` (captured online in full), ``deposit`` (part paid online, the
        rest at the spa) or ``pay_at_spa``; ``text``: that in words with the amounts;
        ``fees``: how a late-cancellation or no-show fee is collected ("charged to the card
        on file" when the guest has one with an online provider, else "payable at the spa").
    """
    paid = sum(
        (
            payment.amount - payment.amount_refunded
            for payment in Payment.objects.filter(
                booking=booking, kind__in=BOOKING_PAYMENT_KINDS, status=PaymentStatus.SUCCEEDED
            )
        ),
        Decimal("0"),
    )
    if paid >= booking.total and paid > 0:
        status, text = "paid", f"Paid online: {_money(paid)}. Nothing is due at the spa."
    elif paid > 0:
        due = booking.total - paid
        status, text = "deposit", f"Deposit paid online: {_money(paid)}; {_money(due)} at the spa."
    else:
        status, text = "pay_at_spa", f"Pay at the spa: {_money(booking.total)}."
    card_on_file = (
        get_provider().collects_online
        and PaymentCustomer.objects.filter(user_id=booking.customer_id)
        .exclude(provider_customer_id="")
        .exclude(default_payment_method_id="")
        .exists()
    )
    if card_on_file:
        fees = "charged to the card on file"
    elif status != "pay_at_spa":
        fees = "kept from what you paid online (the rest is refunded)"
    else:
        fees = "payable at the spa"
    return {"status": status, "text": text, "fees": fees}
