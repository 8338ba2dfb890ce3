"""Purchases paid online — gift cards, packages, shop orders — through one small registry, so
the apps above payments (the shop) are told of their money without payments importing them
(STYLE.md "Layers"; the same shape as pretix's payment-provider registry).

A purchase's :class:`~coresync.payments.models.Payment` names what it pays for in its
``purpose_key``: ``<kind>:<id>`` (``gift_card:12``, ``package:3``, ``order:41``). The app that
sells the thing registers, at start-up, what to do once the money is captured::

    purchases.register("order", record_order_payment)

and :func:`record_paid` — called by the ``payment_intent.succeeded`` webhook and by the page
the customer comes back to, whichever is first — runs it once.

Giving the money back (an order cancelled after it was paid online) is
:func:`refund_purchase`: written in the caller's transaction, sent to Stripe by an outbox job
after commit (:data:`REFUND_PURCHASE`), once however often the job runs.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from coresync.core.clock import now as clock_now
from coresync.core.money import quantize
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import PermanentError, enqueue, outbox_handler
from coresync.payments.models import (
    Payment,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from coresync.payments.providers import get_provider
from coresync.payments.providers.base import (
    PaymentProviderError,
    PaymentProviderUnavailable,
    PaymentStart,
)
from coresync.payments.services import (
    cancel_open_payment,
    execute_refund,
    start_purchase_payment,
    write_refund,
)

logger = logging.getLogger(__name__)

OnPaid = Callable[[Payment, datetime], bool]
"""What a purchase's app does once its payment is captured: ``(payment, now) -> changed``.
Runs inside the webhook's transaction with the payment row locked; must be idempotent."""

_ON_PAID: dict[str, OnPaid] = {}

PURCHASE_KINDS = (PaymentKind.GIFT_CARD, PaymentKind.PACKAGE, PaymentKind.ORDER)
"""Payment kinds that pay for a purchase (dispatched by :func:`record_paid`)."""

REFUND_PURCHASE = "payments.refund_purchase"
"""Outbox topic: send a purchase's pending refunds to the provider, cancel an open intent."""


def register(kind: str, on_paid: OnPaid) -> None:
    """Tell payments what to do when a payment whose ``purpose_key`` starts with ``kind:``
    is captured. Called from an app's ``AppConfig.ready``.

    Raises:
        ValueError: ``kind`` is already registered to another function.
    """
    existing = _ON_PAID.get(kind)
    if existing is not None and existing is not on_paid:
        raise ValueError(f"Purchase kind {kind!r} is already registered to {existing!r}.")
    _ON_PAID[kind] = on_paid


def collects_online() -> bool:
    """Tell whether the spa's payment provider takes payments on the site (Stripe) rather
    than at the desk only (``onsite``)."""
    return get_provider().collects_online


def purchase_key(kind: str, identifier: int) -> str:
    """The ``purpose_key`` of the payment of purchase ``identifier`` of ``kind``."""
    return f"{kind}:{identifier}"


def record_paid(payment: Payment, *, now: datetime | None = None) -> bool:
    """Run the registered handler of a captured purchase ``payment``; return whether it
    changed anything (``False`` for a payment that is not a registered purchase). Call
    inside the transaction that recorded the capture."""
    if payment.status != PaymentStatus.SUCCEEDED:
        return False
    kind, _, _ = payment.purpose_key.partition(":")
    on_paid = _ON_PAID.get(kind)
    if on_paid is None:
        return False
    return on_paid(payment, now or clock_now())


def start_purchase(
    customer,
    *,
    kind: str,
    identifier: int,
    payment_kind: str,
    amount: Decimal,
    description: str,
) -> tuple[Payment | None, PaymentStart]:
    """Write (once) the payment of purchase ``kind:identifier`` for ``amount`` (Decimal
    dollars) and start it with the provider; return the row and how to pay it. Asking again
    returns the same row and the same PaymentIntent (read back from Stripe), so a customer
    whose card was declined tries again on the same intent.

    With a provider that does not collect online (pay at the spa) nothing is written: the
    row is ``None`` and the start carries no client secret.

    Raises:
        PaymentProviderUnavailable: Stripe could not be reached (ask again: same intent).
    """
    provider = get_provider()
    if not provider.collects_online:
        return None, PaymentStart(
            provider=provider.identifier, amount=quantize(amount), currency="USD"
        )
    payment, _ = Payment.objects.get_or_create(
        purpose_key=purchase_key(kind, identifier),
        defaults={
            "customer": customer,
            "kind": payment_kind,
            "amount": quantize(amount),
            "provider": provider.identifier,
            "description": description[:255],
        },
    )
    if not payment.provider_payment_id:
        start = start_purchase_payment(payment, customer)
        payment.refresh_from_db()
        return payment, start
    # Started before: the same intent again (Stripe forgets idempotency keys after 24 h, so
    # a second create could make a second intent).
    try:
        state = provider.payment_state(payment)
    except PaymentProviderError as error:
        raise PaymentProviderUnavailable() from error
    return payment, PaymentStart(
        provider=payment.provider,
        amount=payment.amount,
        currency=payment.currency,
        client_secret=state.get("client_secret") if state.get("status") != "succeeded" else None,
        provider_payment_id=payment.provider_payment_id,
        provider_customer_id=payment.provider_customer_id,
        status=payment.status,
    )


def lock_purchase_payment(kind: str, identifier: int) -> Payment | None:
    """Lock the payment of purchase ``kind:identifier`` (if any) for the current
    transaction. The webhook locks a payment before its purchase, so an app that changes a
    purchase which may be paid takes this lock first, in the same order (no deadlock)."""
    return (
        Payment.objects.select_for_update()
        .filter(purpose_key=purchase_key(kind, identifier))
        .first()
    )


def purchase_payment(kind: str, identifier: int) -> Payment | None:
    """The payment of purchase ``kind:identifier``, if one was started."""
    return Payment.objects.filter(purpose_key=purchase_key(kind, identifier)).first()


def refund_purchase(
    kind: str, identifier: int, *, reason: str = RefundReason.REQUESTED
) -> Refund | None:
    """Give back everything still held on the payment of purchase ``kind:identifier``, and
    stop an intent the customer has not paid yet. Call inside the transaction that undoes the
    purchase (the payment row is locked here); the provider is called after commit by the
    :data:`REFUND_PURCHASE` outbox job. Return the refund written, or ``None`` when nothing
    was held (never paid, or already refunded)."""
    payment = lock_purchase_payment(kind, identifier)
    if payment is None:
        return None
    refund = None
    if payment.status == PaymentStatus.SUCCEEDED and payment.refundable_amount > 0:
        refund = write_refund(payment, payment.refundable_amount, reason=reason)
    elif payment.status != PaymentStatus.PENDING or not payment.provider_payment_id:
        return None
    enqueue(
        REFUND_PURCHASE,
        {"payment_id": payment.pk},
        dedupe_key=f"{REFUND_PURCHASE}:{payment.pk}:{refund.pk if refund else 'open'}",
    )
    return refund


@outbox_handler(REFUND_PURCHASE)
def refund_purchase_job(message: OutboxMessage) -> None:
    """Send the pending refunds of the message's payment to the provider and cancel the
    payment if it is still open; a retry does the rest, never twice (each refund is keyed by
    its UUID at Stripe)."""
    payment = Payment.objects.get(pk=message.payload["payment_id"])
    try:
        for refund in Refund.objects.filter(
            payment=payment, status=RefundStatus.PENDING, provider_refund_id=""
        ).select_related("payment"):
            execute_refund(refund)
        if payment.status == PaymentStatus.PENDING:
            cancel_open_payment(payment)
    except PaymentProviderError as error:
        if error.permanent:
            raise PermanentError(str(error)) from error
        raise
