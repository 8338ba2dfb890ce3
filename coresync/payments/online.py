"""Paying on the site (docs/payments.md "Paying on the site"): what the payment page needs,
one-tap payment with the card on file, and bringing a payment up to date when the customer
comes back from the page — the same outcome as the webhook, whichever arrives first.

The card number never reaches CoreSync: the page mounts Stripe's Payment Element with the
PaymentIntent's client secret and calls ``stripe.confirmPayment`` (3-D Secure included);
a customer with a card on file may instead confirm in one tap, server-side, with that card.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from coresync.core.clock import now as clock_now
from coresync.payments.models import Payment, PaymentCustomer, PaymentStatus
from coresync.payments.providers import get_provider
from coresync.payments.providers.base import (
    NoCardOnFile,
    OnlinePaymentsDisabled,
    PaymentProviderError,
    PaymentProviderUnavailable,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentPage:
    """What the payment page shows: the amount, the Payment Element's keys, and whether the
    customer may pay in one tap with the card on file."""

    payment: Payment
    amount: Decimal
    currency: str
    client_secret: str
    publishable_key: str
    card_on_file: bool
    status: str


def open_payment(payment: Payment) -> Payment | None:
    """Return ``payment`` if the customer may still pay it on the page (created online,
    not captured or cancelled)."""
    if payment.provider_payment_id and payment.status in (
        PaymentStatus.PENDING,
        PaymentStatus.FAILED,
    ):
        return payment
    return None


def payment_page(payment: Payment) -> PaymentPage:
    """Return what the page needs to take ``payment``.

    Raises:
        OnlinePaymentsDisabled: paying at the spa. PaymentProviderUnavailable.
    """
    provider = get_provider(payment.provider)
    if not provider.collects_online:
        raise OnlinePaymentsDisabled()
    try:
        state = provider.payment_state(payment)
    except PaymentProviderError as error:
        raise PaymentProviderUnavailable() from error
    customer = PaymentCustomer.objects.filter(user_id=payment.customer_id).first()
    return PaymentPage(
        payment=payment,
        amount=payment.amount,
        currency=payment.currency,
        client_secret=state.get("client_secret") or "",
        publishable_key=getattr(provider, "publishable_key", ""),
        card_on_file=bool(customer and customer.has_card_on_file),
        status=state.get("status", ""),
    )


def apply_state(payment: Payment, state: dict, *, now: datetime | None = None) -> str:
    """Record the provider's state of ``payment`` exactly as its webhook would (succeeded:
    the booking is confirmed, the membership starts…; declined: recorded); return the
    payment's status afterwards. Safe to run before, after or instead of the webhook."""
    from coresync.payments import webhooks

    now = now or clock_now()
    intent = {**state, "metadata": state.get("metadata") or {"coresync_payment": str(payment.uuid)}}
    with transaction.atomic():
        if state.get("status") == "succeeded":
            webhooks.handle_payment_intent_succeeded(intent, now)
        elif state.get("last_payment_error"):
            webhooks.handle_payment_intent_failed(intent, now)
    payment.refresh_from_db()
    return payment.status


def sync_payment(payment: Payment, *, now: datetime | None = None) -> str:
    """Bring ``payment`` up to date with the provider (the customer is back from the page,
    the webhook may not have arrived yet); return its status."""
    if payment.status == PaymentStatus.SUCCEEDED or not payment.provider_payment_id:
        return payment.status
    try:
        state = get_provider(payment.provider).payment_state(payment)
    except (PaymentProviderError, OnlinePaymentsDisabled) as error:
        logger.info("Payment %s not synced: %s", payment.pk, error)
        return payment.status
    return apply_state(payment, state, now=now)


@dataclass(frozen=True)
class OneTap:
    """The outcome of a one-tap payment: ``status`` (``succeeded``, ``requires_action`` —
    the page finishes 3-D Secure with ``client_secret`` — or ``failed`` with ``message``)."""

    status: str
    client_secret: str = ""
    message: str = ""


def pay_with_card_on_file(payment: Payment, *, return_url: str) -> OneTap:
    """Confirm ``payment`` with the customer's card on file (one tap), then record it.

    Raises:
        PaymentProviderUnavailable: Stripe could not be reached (try again).
    """
    provider = get_provider(payment.provider)
    attempt = Payment.objects.filter(pk=payment.pk).values_list("updated_at", flat=True).get()
    try:
        state = provider.confirm_with_card_on_file(
            payment,
            return_url=return_url,
            idempotency_key=f"confirm-{payment.uuid}-{attempt.timestamp():.6f}",
        )
    except NoCardOnFile:
        return OneTap("failed", message="There is no card on file: enter a card below.")
    except PaymentProviderError as error:
        if error.permanent:
            return OneTap("failed", message=str(error))
        raise PaymentProviderUnavailable() from error
    status = apply_state(payment, state)
    if status == PaymentStatus.SUCCEEDED:
        return OneTap("succeeded")
    if state.get("status") == "requires_action":
        return OneTap("requires_action", client_secret=state.get("client_secret") or "")
    error = state.get("last_payment_error") or {}
    return OneTap("failed", message=error.get("message") or "The card was declined.")


def record_saved_card(user, setup_intent_id: str) -> bool:
    """Back from saving a card on the page: make it the card on file now (as the
    ``setup_intent.succeeded`` webhook will; the second changes nothing). Return whether a
    card was saved. Only a SetupIntent of ``user``'s own customer counts."""
    from coresync.payments.services import save_card_on_file

    customer = PaymentCustomer.objects.filter(user=user).exclude(provider_customer_id="").first()
    if customer is None or not setup_intent_id:
        return False
    try:
        state = get_provider().setup_state(setup_intent_id)
    except (PaymentProviderError, OnlinePaymentsDisabled) as error:
        logger.info("SetupIntent %s not read: %s", setup_intent_id, error)
        return False
    if state.get("status") != "succeeded" or state.get("customer") != customer.provider_customer_id:
        return False
    return save_card_on_file(customer.provider_customer_id, state.get("payment_method") or "")
