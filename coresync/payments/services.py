"""Payment state changes (SPEC §5): ask for a booking's payment, save a card on file, settle
a cancelled, no-show or expired booking (refund what the policy does not keep — to the card,
then to the gift cards that paid — and charge a fee to the card on file), charge a saved
card. Memberships' money: :mod:`coresync.payments.memberships`; gift cards and packages:
:mod:`coresync.payments.giftcards`; the site's payment page: :mod:`coresync.payments.online`.

Rules every function here follows (STYLE.md "Scarce time and stock", "Integrations"):

1. Decide and write under row locks in a short transaction — booking first, then its
   payments, always in that order — and write the rows that will drive calls to the provider
   (a pending :class:`Refund`, a pending fee :class:`Payment`) *before* calling it.
2. Commit, then call the provider with no lock held, with an idempotency key derived from the
   row's UUID, so a retry after a crash reaches the same object at the provider.
3. Re-lock the row and record the result, unless a webhook got there first.

Side effects of booking changes arrive through :mod:`coresync.payments.subscribers`, which
only enqueues outbox jobs (:mod:`coresync.payments.jobs`) inside the booking's transaction.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from coresync.bookings.errors import InvalidTransition
from coresync.bookings.models import Booking, BookingHistory, BookingStatus
from coresync.bookings.services import confirm_booking
from coresync.core import audit
from coresync.core.clock import now as clock_now
from coresync.core.money import percent_of, quantize
from coresync.giftcards import services as giftcards
from coresync.payments import receipts
from coresync.payments.models import (
    BOOKING_PAYMENT_KINDS,
    OPEN_PAYMENT_STATUSES,
    Payment,
    PaymentCustomer,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from coresync.payments.providers import get_provider
from coresync.payments.providers.base import (
    NoCardOnFile,
    OnlinePaymentsDisabled,
    PaymentProviderError,
    PaymentProviderUnavailable,
    PaymentStart,
    SetupStart,
)

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")

REFUND_REASONS = {
    BookingStatus.CANCELLED: RefundReason.BOOKING_CANCELLED,
    BookingStatus.NO_SHOW: RefundReason.BOOKING_NO_SHOW,
    BookingStatus.EXPIRED: RefundReason.HOLD_EXPIRED,
}


# -- booking payments --------------------------------------------------------------------


def booking_payment_amount(booking: Booking) -> tuple[Decimal, str]:
    """Return what is paid online when booking, and its kind: the total (``full``), or
    ``PAYMENT_DEPOSIT_PERCENT`` of it (``deposit``; the rest is paid at the spa)."""
    due = quantize(booking.total - booking.gift_card_amount)  # gift cards paid the rest
    percent = settings.PAYMENT_DEPOSIT_PERCENT
    if percent >= 100:
        return due, PaymentKind.FULL
    return percent_of(due, percent), PaymentKind.DEPOSIT


def start_booking_payment(booking: Booking, *, now: datetime | None = None) -> PaymentStart:
    """Ask for the payment of a booking that ``create_booking`` has committed.

    1. Offline provider (pay at the spa): nothing to do; say what is due at the spa.
    2. Otherwise the booking must be pending (holding its slot). Write its Payment row once
       (``booking:<id>:<kind>``), then — no transaction, no lock — create the PaymentIntent
       keyed by the row's UUID, so repeating the request returns the same intent.
    3. Store the intent's id on the row and return the client secret for the page.

    A zero amount confirms the booking at once.

    Raises:
        InvalidTransition: the booking is not awaiting payment (e.g. its hold expired).
        PaymentProviderUnavailable: Stripe could not be reached; the booking keeps its hold
            and the same request may be sent again.
    """
    provider = get_provider()
    if not provider.collects_online:
        due = quantize(booking.total - booking.gift_card_amount)
        return provider.start_booking_payment(booking, due, idempotency_key="")
    if booking.status != BookingStatus.PENDING:
        raise InvalidTransition(
            "This booking is not awaiting payment; book again.", status=booking.status
        )
    amount, kind = booking_payment_amount(booking)
    if amount <= ZERO:
        confirm_booking(booking, now=now)
        return PaymentStart(provider=provider.identifier, amount=ZERO, currency=booking.currency)
    with transaction.atomic():
        payment, _ = Payment.objects.get_or_create(
            purpose_key=f"booking:{booking.pk}:{kind}",
            defaults={
                "customer_id": booking.customer_id,
                "booking": booking,
                "kind": kind,
                "amount": amount,
                "currency": booking.currency,
                "provider": provider.identifier,
                "description": f"{booking.service.name} {booking.reference}",
            },
        )
    try:
        start = provider.start_booking_payment(
            booking,
            payment.amount,
            idempotency_key=f"payment-{payment.uuid}",
            metadata={"coresync_payment": str(payment.uuid)},
        )
    except PaymentProviderError as error:
        log = logger.error if error.permanent else logger.warning
        log("Payment of booking %s could not be started: %s", booking.reference, error)
        raise PaymentProviderUnavailable(booking=booking.reference) from error
    Payment.objects.filter(pk=payment.pk, provider_payment_id="").update(
        provider_payment_id=start.provider_payment_id,
        provider_customer_id=start.provider_customer_id,
    )
    return start


def recorded_booking_payment(booking: Booking) -> PaymentStart:
    """Describe, without asking the provider, how ``booking`` was paid for: the answer to a
    replayed booking request once the booking no longer awaits payment (confirmed by the
    webhook, cancelled, expired). No client secret: there is nothing left to confirm.
    Pay at the spa: what is due there."""
    provider = get_provider()
    if not provider.collects_online:
        return provider.start_booking_payment(booking, quantize(booking.total), idempotency_key="")
    payment = (
        Payment.objects.filter(booking=booking, kind__in=BOOKING_PAYMENT_KINDS)
        .order_by("pk")
        .first()
    )
    if payment is None:
        return PaymentStart(provider=provider.identifier, amount=ZERO, currency=booking.currency)
    return PaymentStart(
        provider=payment.provider,
        amount=payment.amount,
        currency=payment.currency,
        provider_payment_id=payment.provider_payment_id,
        provider_customer_id=payment.provider_customer_id,
        status=payment.status,
    )


def _keyed(payment: Payment) -> dict[str, Any]:
    """The idempotency key and metadata of a provider call for ``payment``: keyed by its
    UUID (a retry returns the same intent or charge), tagged with what it is for."""
    return {
        "idempotency_key": f"payment-{payment.uuid}",
        "metadata": {
            "coresync_payment": str(payment.uuid),
            "coresync_purpose": payment.purpose_key,
        },
    }


def start_purchase_payment(payment: Payment, customer) -> PaymentStart:
    """Ask the provider for the PaymentIntent of a purchase written as ``payment`` (a
    membership's first month, a gift card, a package), keyed by the row's UUID so repeating
    the request returns the same intent; store the intent's ids on the row. No transaction
    is held around the call.

    Raises:
        PaymentProviderUnavailable: the provider could not be reached (try again: same intent).
    """
    provider = get_provider(payment.provider)
    try:
        start = provider.start_customer_payment(
            customer,
            payment.amount,
            currency=payment.currency,
            description=payment.description,
            **_keyed(payment),
        )
    except PaymentProviderError as error:
        logger.warning("Payment %s (%s) not started: %s", payment.pk, payment.purpose_key, error)
        raise PaymentProviderUnavailable() from error
    Payment.objects.filter(pk=payment.pk, provider_payment_id="").update(
        provider_payment_id=start.provider_payment_id,
        provider_customer_id=start.provider_customer_id,
    )
    return start


def create_setup_intent(user) -> SetupStart:
    """Start saving a card on file for ``user`` (confirmed on the page with Elements).

    Raises:
        OnlinePaymentsDisabled: the spa takes payment at the desk.
        PaymentProviderUnavailable: Stripe could not be reached.
    """
    provider = get_provider()
    if not provider.collects_online:
        raise OnlinePaymentsDisabled()
    try:
        # A new SetupIntent per request; the key protects the SDK's own retries.
        return provider.create_setup_intent(user, idempotency_key=f"setup-{uuid.uuid4()}")
    except PaymentProviderError as error:
        logger.warning("SetupIntent for user %s failed: %s", user.pk, error)
        raise PaymentProviderUnavailable() from error


def save_card_on_file(provider_customer_id: str, payment_method_id: str) -> bool:
    """Make ``payment_method_id`` the card on file of the customer with that provider id;
    return whether a customer was found."""
    if not (provider_customer_id and payment_method_id):
        return False
    updated = PaymentCustomer.objects.filter(provider_customer_id=provider_customer_id).update(
        default_payment_method_id=payment_method_id
    )
    return bool(updated)


# -- settlement of cancelled, no-show and expired bookings --------------------------------


def amount_to_keep(booking: Booking) -> Decimal | None:
    """Return what the spa keeps of a finished booking under the policy, or ``None`` when
    the booking is not settled by payments (still active, or completed).

    - cancelled: the cancellation fee ``cancel_booking`` recorded (0.00 when free or waived);
    - no-show: the no-show fee ``mark_no_show`` recorded;
    - expired (the payment hold ran out): nothing.
    """
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
        return quantize(booking.cancellation_fee_or_zero)
    if booking.status == BookingStatus.EXPIRED:
        return ZERO
    return None


@dataclass
class Settlement:
    """What :func:`settle_booking` decided: refunds written, open payments to cancel, a fee
    payment to charge (ids)."""

    refund_ids: list[int] = field(default_factory=list)
    cancel_payment_ids: list[int] = field(default_factory=list)
    fee_payment_id: int | None = None
    gift_card_returned: Decimal = ZERO


def settle_booking(booking_id: int, *, now: datetime | None = None) -> Settlement:
    """Make what the customer paid for a cancelled, no-show or expired booking equal what the
    policy lets the spa keep, once however often it runs (an outbox job; idempotent).

    1. Under locks (booking, then its payments): compute the money held (captured, minus
       refunds not failed) and the amount to keep (:func:`amount_to_keep`).
    2. Held more than kept: write pending refunds for the difference, newest payment first.
    3. Held less than kept, for a booking that was confirmed (no-show, or a late
       cancellation): write the fee payment ``booking:<id>:fee`` once, if the customer has
       a card on file; otherwise the fee is collected at the spa.
    4. Commit; then, with no lock held, call the provider for every pending refund and fee of
       the booking (also those a crashed earlier run left behind) and cancel payments still
       open (the customer can no longer pay a cancelled booking).

    Raises:
        PaymentProviderError: a transient provider failure (the job is retried; the rows
            already written make the retry do the rest, never twice).
    """
    now = now or clock_now()
    settlement = _plan_settlement(booking_id)
    payments = Payment.objects.filter(booking_id=booking_id)
    for refund in Refund.objects.filter(
        payment__in=payments, status=RefundStatus.PENDING, provider_refund_id=""
    ).select_related("payment"):
        execute_refund(refund)
    for payment in payments.filter(pk__in=settlement.cancel_payment_ids):
        cancel_open_payment(payment)
    for payment in payments.filter(
        kind=PaymentKind.FEE, status=PaymentStatus.PENDING, provider_payment_id=""
    ):
        execute_card_charge(payment, now=now)
    return settlement


def _plan_settlement(booking_id: int) -> Settlement:
    settlement = Settlement()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        keep = amount_to_keep(booking)
        if keep is None:
            return settlement
        payments = list(Payment.objects.select_for_update().filter(booking=booking).order_by("-pk"))
        held = sum((payment.refundable_amount for payment in payments), ZERO) + sum(
            (
                payment.amount
                for payment in payments
                if payment.kind == PaymentKind.FEE
                and payment.status in (PaymentStatus.PENDING, PaymentStatus.PROCESSING)
            ),
            ZERO,
        )
        open_booking_payments = [
            payment
            for payment in payments
            if payment.kind in BOOKING_PAYMENT_KINDS and payment.status in OPEN_PAYMENT_STATUSES
        ]
        settlement.cancel_payment_ids = [payment.pk for payment in open_booking_payments]
        on_gift_cards = giftcards.held_on_gift_cards(booking)
        excess = held + on_gift_cards - keep
        if excess > ZERO:
            # Money goes back the way it came: to the card first, then to the gift cards.
            to_card = min(excess, sum((p.refundable_amount for p in payments), ZERO))
            if to_card > ZERO:
                settlement.refund_ids = _write_refunds(booking, payments, to_card)
            if excess - to_card > ZERO:
                settlement.gift_card_returned = giftcards.give_back(booking, excess - to_card)
        elif excess < ZERO and not open_booking_payments and _fee_may_be_charged(booking):
            settlement.fee_payment_id = _write_fee_payment(booking, -excess)
    return settlement


def write_refund(payment: Payment, amount: Decimal, *, reason: str) -> Refund:
    """Write a pending refund of ``amount`` (Decimal dollars, at most what is refundable) on
    the locked ``payment`` and reserve it on ``amount_refunded``; the provider is called
    later, with no lock held (:func:`execute_refund`). Call inside the transaction that
    decided it."""
    number = Refund.objects.filter(payment=payment).count() + 1
    refund = Refund.objects.create(
        purpose_key=f"payment:{payment.pk}:refund:{number}",
        payment=payment,
        amount=amount,
        currency=payment.currency,
        reason=reason,
    )
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount_refunded") + amount)
    return refund


def _write_refunds(booking: Booking, payments: list[Payment], excess: Decimal) -> list[int]:
    """Write pending refunds totalling ``excess`` over the (locked) payments, newest first,
    and reserve them on each payment's ``amount_refunded``."""
    reason = REFUND_REASONS[booking.status]
    refund_ids = []
    for payment in payments:
        portion = min(excess, payment.refundable_amount)
        if portion <= ZERO:
            continue
        refund_ids.append(write_refund(payment, portion, reason=reason).pk)
        excess -= portion
        if excess <= ZERO:
            break
    logger.info(
        "Booking %s (%s): refunding %s", booking.reference, booking.status, refund_ids or "none"
    )
    return refund_ids


def _fee_may_be_charged(booking: Booking) -> bool:
    """Tell whether a fee may go on the card on file: a no-show, or a cancellation of a
    confirmed booking (never a booking that was still waiting for its payment)."""
    if booking.status == BookingStatus.NO_SHOW:
        return True
    if booking.status != BookingStatus.CANCELLED:
        return False
    from_status = (
        BookingHistory.objects.filter(booking=booking, action="booking.cancelled")
        .order_by("-pk")
        .values_list("from_status", flat=True)
        .first()
    )
    return from_status == BookingStatus.CONFIRMED


def _write_fee_payment(booking: Booking, amount: Decimal) -> int | None:
    """Write the booking's fee payment (once: ``booking:<id>:fee``) when it can be charged
    online to a card on file; return its id."""
    provider = get_provider()
    customer = PaymentCustomer.objects.filter(user_id=booking.customer_id).first()
    if not provider.collects_online or customer is None or not customer.has_card_on_file:
        logger.info(
            "Booking %s: fee %s to collect at the spa (no card on file)",
            booking.reference,
            amount,
        )
        return None
    label = "No-show fee" if booking.status == BookingStatus.NO_SHOW else "Cancellation fee"
    payment, created = Payment.objects.get_or_create(
        purpose_key=f"booking:{booking.pk}:fee",
        defaults={
            "customer_id": booking.customer_id,
            "booking": booking,
            "kind": PaymentKind.FEE,
            "amount": amount,
            "currency": booking.currency,
            "provider": provider.identifier,
            "provider_customer_id": customer.provider_customer_id,
            "payment_method_id": customer.default_payment_method_id,
            "description": f"{label}, {booking.service.name} {booking.reference}",
        },
    )
    return payment.pk if created else None


def execute_refund(refund: Refund) -> Refund:
    """Send a pending refund to the provider that took the payment and record the answer.

    A permanent refusal marks the refund failed (shown in the admin) and releases its amount.

    Raises:
        PaymentProviderError: transient; the refund stays pending for the retry.
    """
    payment = refund.payment
    try:
        result = get_provider(payment.provider).refund(
            payment,
            refund.amount,
            idempotency_key=f"refund-{refund.uuid}",
            reason=refund.reason,
            metadata={"coresync_refund": str(refund.uuid)},
        )
    except (PaymentProviderError, OnlinePaymentsDisabled) as error:
        if isinstance(error, PaymentProviderError) and not error.permanent:
            raise
        logger.error("Refund %s of payment %s refused: %s", refund.pk, payment.pk, error)
        return record_refund_result(
            refund.pk, status=RefundStatus.FAILED, failure_message=str(error)
        )
    return record_refund_result(
        refund.pk,
        status=result.status,
        provider_refund_id=result.provider_refund_id,
        failure_message=result.failure_message,
    )


def record_refund_result(
    refund_id: int, *, status: str, provider_refund_id: str = "", failure_message: str = ""
) -> Refund:
    """Record a refund's status (from the API answer or a webhook) under its lock; a refund
    that fails gives its amount back to the payment's refundable amount."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        changed = ["status", "updated_at"]
        if provider_refund_id and not refund.provider_refund_id:
            refund.provider_refund_id = provider_refund_id
            changed.append("provider_refund_id")
        if failure_message:
            refund.failure_message = failure_message[:500]
            changed.append("failure_message")
        if refund.status in (RefundStatus.FAILED, RefundStatus.CANCELED):
            return refund  # final; the amount was released already
        if status in (RefundStatus.FAILED, RefundStatus.CANCELED):
            Payment.objects.filter(pk=refund.payment_id).update(
                amount_refunded=F("amount_refunded") - refund.amount
            )
        if refund.status == RefundStatus.SUCCEEDED and status == RefundStatus.PENDING:
            status = RefundStatus.SUCCEEDED  # an older answer arriving late
        if status == RefundStatus.SUCCEEDED and refund.status != RefundStatus.SUCCEEDED:
            receipts.send_refund_receipt(refund)
        if status != refund.status:
            audit.record(refund.payment, f"payment.refund_{status}", data={"amount": refund.amount})
        refund.status = status
        refund.save(update_fields=changed)
        return refund


def cancel_open_payment(payment: Payment) -> None:
    """Cancel a booking payment the customer never completed (booking cancelled or expired).

    If it was paid meanwhile, the ``payment_intent.succeeded`` webhook settles it (refunds).
    """
    if not payment.provider_payment_id:
        _mark_canceled(payment)
        return
    try:
        status = get_provider(payment.provider).cancel_payment(
            payment, idempotency_key=f"cancel-{payment.uuid}"
        )
    except PaymentProviderError as error:
        if not error.permanent:
            raise
        logger.error("Payment %s could not be cancelled: %s", payment.pk, error)
        return
    if status == PaymentStatus.CANCELED:
        _mark_canceled(payment)


def _mark_canceled(payment: Payment) -> None:
    """Cancel ``payment`` if it is still open, and record it."""
    with transaction.atomic():
        canceled = Payment.objects.filter(pk=payment.pk, status__in=OPEN_PAYMENT_STATUSES).update(
            status=PaymentStatus.CANCELED
        )
        if canceled:
            audit.record(payment, "payment.canceled")


def execute_card_charge(payment: Payment, *, now: datetime | None = None) -> Payment:
    """Charge a pending fee or membership payment to the customer's card on file, once (the
    provider call is keyed by the payment's UUID), and record the result.

    Raises:
        PaymentProviderError: transient; the payment stays pending for the retry.
    """
    now = now or clock_now()
    provider = get_provider(payment.provider)
    try:
        result = provider.charge_card_on_file(
            payment.customer,
            payment.amount,
            currency=payment.currency,
            description=payment.description,
            **_keyed(payment),
        )
    except (NoCardOnFile, OnlinePaymentsDisabled) as error:
        return _record_charge(payment.pk, PaymentStatus.FAILED, now, failure_message=str(error))
    except PaymentProviderError as error:
        if not error.permanent:
            raise
        return _record_charge(
            payment.pk,
            PaymentStatus.FAILED,
            now,
            failure_code=error.code,
            failure_message=str(error),
        )
    return _record_charge(
        payment.pk,
        result.status,
        now,
        provider_payment_id=result.provider_payment_id,
        failure_code=result.failure_code,
        failure_message=result.failure_message,
    )


def _record_charge(
    payment_id: int,
    status: str,
    now: datetime,
    *,
    provider_payment_id: str = "",
    failure_code: str = "",
    failure_message: str = "",
) -> Payment:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if provider_payment_id and not payment.provider_payment_id:
            payment.provider_payment_id = provider_payment_id
        if payment.status == PaymentStatus.PENDING:  # a webhook may have been faster
            payment.status = status
            payment.failure_code = failure_code[:100]
            payment.failure_message = failure_message[:500]
            if status == PaymentStatus.SUCCEEDED:
                payment.succeeded_at = now
                receipts.send_payment_receipt(payment)
            audit.record(payment, f"payment.{status}", data={"amount": payment.amount})
        payment.save()
        return payment
