"""Stripe webhooks: verified, stored once by event id, processed exactly once (SPEC §5).

1. :func:`receive_stripe_event` — the view has verified the signature with the SDK — inserts
   the event row in its own short transaction; the unique ``event_id`` makes a redelivery (or
   a concurrent duplicate) find the existing row instead.
2. :func:`process_stripe_event` locks that row (``select_for_update``) and returns at once if
   it was processed already, so duplicates delivered together queue on the lock and the second
   finds the work done. Otherwise it runs the type's handler inside a savepoint in the same
   transaction and marks the row processed; a handler that raises leaves no half-written rows
   and marks the row failed (Stripe delivers again, and the redelivery retries it).
3. Handlers only write rows: a refund a handler decides on is an outbox job
   (:mod:`coresync.payments.jobs`) run after commit, never a Stripe call under the lock.

Unknown event types are acknowledged (200), logged and stored as ``ignored``.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from coresync.bookings.errors import InvalidTransition
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import confirm_booking
from coresync.core import audit
from coresync.core.clock import now as clock_now
from coresync.payments import jobs, purchases, receipts
from coresync.payments.memberships import is_first_payment, record_membership_payment
from coresync.payments.models import (
    BOOKING_PAYMENT_KINDS,
    Payment,
    PaymentCustomer,
    PaymentKind,
    PaymentStatus,
    Refund,
    StripeEvent,
    StripeEventStatus,
)
from coresync.payments.providers.stripe import from_minor_units, intent_status, refund_status
from coresync.payments.services import record_refund_result, save_card_on_file
from coresync.scheduling.errors import SlotUnavailable

logger = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any], datetime], None]
"""``handler(data_object, now)``: apply one event's object to CoreSync's rows."""

RECEIVED = "received"
DUPLICATE = "duplicate"
IGNORED = "ignored"
PROCESSED = "processed"


class WebhookProcessingFailed(Exception):
    """A handler raised; the event is stored as failed and Stripe should deliver it again."""


def receive_stripe_event(event: dict[str, Any], *, now: datetime | None = None) -> str:
    """Store a verified event once and process it once; return ``processed``, ``ignored`` or
    ``duplicate``.

    Raises:
        WebhookProcessingFailed: the handler raised (answer 500 so Stripe retries).
    """
    try:
        with transaction.atomic():
            StripeEvent.objects.create(
                event_id=event["id"],
                type=event.get("type", ""),
                livemode=bool(event.get("livemode", False)),
                payload=event,
            )
    except IntegrityError:
        logger.info("Stripe event %s delivered again", event["id"])
    return process_stripe_event(event["id"], now=now)


def process_stripe_event(event_id: str, *, now: datetime | None = None) -> str:
    """Process a stored event exactly once (see the module docstring); return the outcome.

    Raises:
        WebhookProcessingFailed: the handler raised; the row is marked failed.
    """
    now = now or clock_now()
    failure: Exception | None = None
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(event_id=event_id)
        if event.status in (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED):
            return DUPLICATE
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        if handler is None:
            logger.info("Stripe event %s of type %s ignored (not handled)", event_id, event.type)
            event.status = StripeEventStatus.IGNORED
            outcome = IGNORED
        else:
            try:
                with transaction.atomic():
                    handler(event.payload["data"]["object"], now)
            except Exception as error:  # stored on the event, then re-raised as a 500
                logger.exception("Stripe event %s (%s) failed", event_id, event.type)
                failure = error
                event.status = StripeEventStatus.FAILED
                event.error = f"{type(error).__name__}: {error}"[:4000]
                outcome = RECEIVED
            else:
                event.status = StripeEventStatus.PROCESSED
                event.error = ""
                outcome = PROCESSED
        if failure is None:
            event.processed_at = now
        event.save(update_fields=["status", "attempts", "error", "processed_at"])
    if failure is not None:
        raise WebhookProcessingFailed(event_id) from failure
    return outcome


# -- handlers ------------------------------------------------------------------------------


def _payment_for_intent(intent: dict[str, Any]) -> Payment | None:
    """Find the payment of a PaymentIntent: by its id, else by the ``coresync_payment``
    metadata (the intent's webhook may come before its id was stored)."""
    payment = Payment.objects.filter(provider="stripe", provider_payment_id=intent["id"]).first()
    if payment is None:
        payment_uuid = (intent.get("metadata") or {}).get("coresync_payment")
        if payment_uuid:
            payment = Payment.objects.filter(uuid=payment_uuid).first()
    return payment


def _lock(payment: Payment) -> tuple[Booking | None, Payment]:
    """Lock the payment's booking, then the payment (the order every payment change uses)."""
    booking = None
    if payment.booking_id:
        booking = Booking.objects.select_for_update().get(pk=payment.booking_id)
    return booking, Payment.objects.select_for_update().get(pk=payment.pk)


def handle_payment_intent_succeeded(intent: dict[str, Any], now: datetime) -> None:
    """Record the capture; a booking payment confirms its booking.

    Out of order: if the booking was cancelled or its hold expired before the money arrived
    (``confirm_booking`` refuses, or expires it and raises ``SlotUnavailable``), a settlement
    job refunds what the policy does not keep.
    """
    found = _payment_for_intent(intent)
    if found is None:
        logger.warning("payment_intent.succeeded for unknown intent %s", intent["id"])
        return
    booking, payment = _lock(found)
    if payment.status == PaymentStatus.SUCCEEDED:
        return
    received = from_minor_units(intent.get("amount_received") or intent.get("amount") or 0)
    if received != payment.amount:
        logger.warning(
            "Intent %s captured %s, payment %s expected %s",
            intent["id"],
            received,
            payment.pk,
            payment.amount,
        )
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = now
    payment.provider_payment_id = payment.provider_payment_id or intent["id"]
    payment.payment_method_id = intent.get("payment_method") or payment.payment_method_id
    payment.failure_code = payment.failure_message = ""
    payment.save()
    audit.record(
        payment, "payment.succeeded", data={"amount": payment.amount, "intent": intent["id"]}
    )
    if intent.get("setup_future_usage") and intent.get("customer"):
        save_card_on_file(intent["customer"], payment.payment_method_id)
    receipts.send_payment_receipt(payment)
    if payment.kind == PaymentKind.MEMBERSHIP:
        record_membership_payment(payment, now=now)
        return
    if payment.kind in purchases.PURCHASE_KINDS:
        purchases.record_paid(payment, now=now)
        return
    if booking is None or payment.kind not in BOOKING_PAYMENT_KINDS:
        return
    try:
        confirm_booking(booking, now=now)
    except SlotUnavailable:
        # The hold ran out: confirm_booking expired the booking; refund in full.
        jobs.enqueue_settlement(booking, cause=f"payment:{payment.pk}:after-expiry")
    except InvalidTransition:
        booking.refresh_from_db(fields=["status"])
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
            jobs.enqueue_settlement(booking, cause=f"payment:{payment.pk}:after-{booking.status}")
        else:
            logger.info("Booking %s already %s when paid", booking.reference, booking.status)


def handle_payment_intent_failed(intent: dict[str, Any], now: datetime) -> None:
    """Record a failed attempt; the customer may try again until the hold runs out."""
    found = _payment_for_intent(intent)
    if found is None:
        return
    _, payment = _lock(found)
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.PROCESSING):
        return
    error = intent.get("last_payment_error") or {}
    payment.status = PaymentStatus.FAILED
    payment.provider_payment_id = payment.provider_payment_id or intent["id"]
    payment.failure_code = str(error.get("code") or error.get("decline_code") or "")[:100]
    payment.failure_message = str(error.get("message") or "The payment failed.")[:500]
    payment.save()
    audit.record(payment, "payment.failed", data={"code": payment.failure_code})
    if payment.kind == PaymentKind.MEMBERSHIP and not is_first_payment(payment):
        # An off-session charge (renewal, upgrade) declined: the member is not on the page
        # to try again. A first month may be tried again with another card.
        record_membership_payment(payment, now=now)


def handle_payment_intent_status(intent: dict[str, Any], now: datetime) -> None:
    """``processing`` / ``canceled``: follow the intent's status unless already final."""
    found = _payment_for_intent(intent)
    if found is None:
        return
    _, payment = _lock(found)
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED):
        return
    payment.status = intent_status(intent.get("status", ""))
    payment.save(update_fields=["status", "updated_at"])
    audit.record(payment, f"payment.{payment.status}")


def handle_setup_intent_succeeded(setup_intent: dict[str, Any], now: datetime) -> None:
    """A card saved on the page becomes the customer's card on file."""
    if not save_card_on_file(
        setup_intent.get("customer") or "", setup_intent.get("payment_method") or ""
    ):
        logger.warning("setup_intent.succeeded %s for an unknown customer", setup_intent["id"])


def handle_payment_method_detached(method: dict[str, Any], now: datetime) -> None:
    """A card removed at Stripe is no longer on file."""
    PaymentCustomer.objects.filter(default_payment_method_id=method["id"]).update(
        default_payment_method_id=""
    )


def handle_refund_updated(refund: dict[str, Any], now: datetime) -> None:
    """Follow a refund's status (a card refund may settle or fail after it was accepted)."""
    row = Refund.objects.filter(provider_refund_id=refund["id"]).first()
    refund_uuid = (refund.get("metadata") or {}).get("coresync_refund")
    if row is None and refund_uuid:
        # The webhook came before the API answer was recorded.
        row = Refund.objects.filter(uuid=refund_uuid).first()
    if row is None:
        logger.info("Refund %s was not made by CoreSync; not tracked", refund["id"])
        return
    record_refund_result(
        row.pk,
        status=refund_status(refund.get("status", "")),
        provider_refund_id=refund["id"],
        failure_message=str(refund.get("failure_reason") or ""),
    )


HANDLERS: dict[str, EventHandler] = {
    "payment_intent.succeeded": handle_payment_intent_succeeded,
    "payment_intent.payment_failed": handle_payment_intent_failed,
    "payment_intent.processing": handle_payment_intent_status,
    "payment_intent.canceled": handle_payment_intent_status,
    "setup_intent.succeeded": handle_setup_intent_succeeded,
    "payment_method.detached": handle_payment_method_detached,
    "refund.created": handle_refund_updated,
    "refund.updated": handle_refund_updated,
    "refund.failed": handle_refund_updated,
    "charge.refund.updated": handle_refund_updated,
}
"""The event types CoreSync acts on; every other type is acknowledged and ignored."""
