"""Selling gift cards and packages (docs/gift-cards.md): the card or package row, its
payment (online with Stripe; at the desk otherwise), and — once paid — the gift card emailed
to its recipient on the chosen day, through the outbox.

Paid online: ``payment_intent.succeeded`` for the purchase activates it
(:func:`record_gift_card_payment`, :func:`record_package_payment`, run through
:mod:`coresync.payments.purchases`; a webhook delivered twice changes nothing). Paid at the
spa: staff activate it in the admin (:func:`activate_paid_at_desk`).
"""

import logging
from datetime import datetime, time
from decimal import Decimal

from django.db import transaction

from coresync.core import audit
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import InvalidInput, InvalidTransition
from coresync.core.money import quantize
from coresync.giftcards import services as giftcards
from coresync.giftcards.models import GiftCard, GiftCardStatus, Package, PackagePurchase
from coresync.notifications.content import GIFT_CARD_DELIVERY
from coresync.notifications.delivery import TOPIC_EMAIL
from coresync.notifications.outbox import cancel_pending, enqueue
from coresync.payments import purchases
from coresync.payments.models import Payment, PaymentKind, PaymentStatus
from coresync.payments.providers import get_provider
from coresync.payments.providers.base import (
    PaymentStart,
)
from coresync.payments.services import start_purchase_payment
from coresync.spa.selectors import get_settings

logger = logging.getLogger(__name__)

MIN_AMOUNT = Decimal("10.00")
MAX_AMOUNT = Decimal("2000.00")
DELIVERY_TIME = time(9, 0)
"""A gift card dated for a day is emailed at 9:00 spa-local time that day."""


def sell_gift_card(
    purchaser,
    *,
    amount: Decimal,
    recipient_email: str,
    recipient_name: str = "",
    sender_name: str = "",
    message: str = "",
    deliver_on=None,
    now: datetime | None = None,
) -> tuple[GiftCard, PaymentStart]:
    """Sell a gift card of ``amount`` to ``purchaser`` for ``recipient_email``, emailed on
    ``deliver_on`` (spa-local; today when empty); return the card (waiting for payment) and
    how to pay it.

    Raises:
        InvalidInput: an amount outside 10.00–2,000.00, a delivery day in the past or more
            than a year ahead.
        PaymentProviderUnavailable: Stripe could not be reached (ask again: same intent).
    """
    now = now or clock_now()
    today = local_date(now, get_settings().zone)
    amount = quantize(amount)
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise InvalidInput(
            f"A gift card is between ${MIN_AMOUNT} and ${MAX_AMOUNT:,}.",
            fields={"amount": "Out of range."},
        )
    deliver_on = deliver_on or today
    if deliver_on < today or (deliver_on - today).days > 366:
        raise InvalidInput(
            "Choose a delivery day from today to a year ahead.",
            fields={"deliver_on": "Out of range."},
        )
    provider = get_provider()
    with transaction.atomic():
        card = GiftCard.objects.create(
            amount=amount,
            balance=Decimal("0.00"),
            purchaser=purchaser,
            sender_name=(sender_name or getattr(purchaser, "name", ""))[:150],
            recipient_email=recipient_email,
            recipient_name=recipient_name[:150],
            message=message[:1000],
            deliver_on=deliver_on,
        )
        payment = Payment.objects.create(
            purpose_key=purchases.purchase_key("gift_card", card.pk),
            customer=purchaser,
            kind=PaymentKind.GIFT_CARD,
            amount=amount,
            provider=provider.identifier,
            description=f"Gift card for {recipient_name or recipient_email}",
        )
    return card, _start(payment)


def buy_package(customer, package: Package) -> tuple[PackagePurchase, PaymentStart]:
    """Sell ``package`` to ``customer``: the purchase (waiting for payment) and how to pay.

    Raises:
        InvalidInput: not on sale. PaymentProviderUnavailable.
    """
    provider = get_provider()
    with transaction.atomic():
        purchase = giftcards.start_package_purchase(customer, package)
        payment = Payment.objects.create(
            purpose_key=purchases.purchase_key("package", purchase.pk),
            customer=customer,
            kind=PaymentKind.PACKAGE,
            amount=quantize(package.price),
            provider=provider.identifier,
            description=package.name,
        )
    return purchase, _start(payment)


def _start(payment: Payment) -> PaymentStart:
    provider = get_provider()
    if not provider.collects_online:
        return PaymentStart(provider=provider.identifier, amount=payment.amount, currency="USD")
    return start_purchase_payment(payment, payment.customer)


def record_gift_card_payment(payment: Payment, now: datetime) -> bool:
    """Activate the gift card a captured ``payment`` bought and plan its email; return
    whether anything changed (a second call changes nothing). Registered with
    :mod:`coresync.payments.purchases` for ``gift_card:<id>``."""
    _, _, identifier = payment.purpose_key.partition(":")
    if not giftcards.activate_gift_card(int(identifier)):
        return False
    schedule_delivery(GiftCard.objects.get(pk=int(identifier)))
    return True


def record_package_payment(payment: Payment, now: datetime) -> bool:
    """Activate the package a captured ``payment`` bought (valid from today, spa-local);
    return whether anything changed. Registered for ``package:<id>``."""
    _, _, identifier = payment.purpose_key.partition(":")
    return giftcards.activate_package(int(identifier), local_date(now, get_settings().zone))


def schedule_delivery(card: GiftCard):
    """Enqueue the gift card's email to its recipient at 9:00 spa-local time on its
    delivery day (at once if that has passed), once."""
    zone = get_settings().zone
    due = datetime.combine(card.deliver_on, DELIVERY_TIME, tzinfo=zone)
    return enqueue(
        TOPIC_EMAIL,
        {"kind": GIFT_CARD_DELIVERY, "gift_card_id": card.pk},
        dedupe_key=f"gift_card:{card.pk}:delivery",
        available_at=max(due, clock_now()),
    )


def activate_paid_at_desk(card: GiftCard) -> bool:
    """The purchase was paid at the desk (pay-at-the-spa): activate the card and plan its
    email."""
    with transaction.atomic():
        Payment.objects.filter(
            purpose_key=purchases.purchase_key("gift_card", card.pk), status=PaymentStatus.PENDING
        ).update(status=PaymentStatus.SUCCEEDED, succeeded_at=clock_now())
        if not giftcards.activate_gift_card(card.pk):
            return False
        schedule_delivery(card)
        return True


def gift_card_email_context(payload):
    """The delivery email of a gift card (registered with notifications): to the recipient,
    with the sender, the message, the amount and the code."""
    from types import SimpleNamespace

    from django.urls import reverse

    from coresync.notifications.content import absolute_url, format_money

    card = GiftCard.objects.filter(pk=payload.get("gift_card_id")).first()
    if card is None:
        return None, None, "The gift card no longer exists."
    recipient = SimpleNamespace(
        pk=None,
        email=card.recipient_email,
        name=card.recipient_name,
        phone="",
        notification_preferences={},
    )
    if card.status != GiftCardStatus.ACTIVE:
        return recipient, None, f"Gift card is {card.status}."
    return (
        recipient,
        {
            "sender_name": card.sender_name or "a friend",
            "gift_message": card.message,
            "gift_amount": format_money(card.amount),
            "gift_balance": format_money(card.balance),
            "gift_code": card.code,
            "book_url": absolute_url(reverse("web:book")),
        },
        "",
    )


def refund_gift_card(card: GiftCard, *, actor) -> GiftCard:
    """Give the purchaser their money back for a gift card nobody has used, and void it
    (staff, from the admin). The refund goes to Stripe after commit
    (:func:`coresync.payments.purchases.refund_purchase`); a card paid at the desk is voided
    and the desk hands the money back.

    Raises:
        InvalidTransition: the card is not active, or part of it was spent (its balance is
            below its amount): it cannot be refunded in full.
    """
    with transaction.atomic():
        purchases.lock_purchase_payment("gift_card", card.pk)
        locked = GiftCard.objects.select_for_update().get(pk=card.pk)
        if locked.status != GiftCardStatus.ACTIVE or locked.balance != locked.amount:
            raise InvalidTransition(
                f"Gift card {locked.masked_code} is {locked.get_status_display().lower()}"
                f" with {locked.balance} of {locked.amount} left: only an unused active card"
                " is refunded.",
                status=locked.status,
            )
        locked.status = GiftCardStatus.VOID
        locked.balance = Decimal("0.00")
        locked.save(update_fields=["status", "balance"])
        purchases.refund_purchase("gift_card", locked.pk)
        audit.record(locked, "gift_card.refunded", actor=actor, data={"amount": locked.amount})
        cancel_pending(f"gift_card:{locked.pk}:delivery")
    return locked


def refund_package(purchase: PackagePurchase, *, actor) -> PackagePurchase:
    """Give the customer their money back for a package with no session used, and void it
    (staff, from the admin); as :func:`refund_gift_card`.

    Raises:
        InvalidTransition: not active, or a session was used.
    """
    with transaction.atomic():
        purchases.lock_purchase_payment("package", purchase.pk)
        locked = PackagePurchase.objects.select_for_update().get(pk=purchase.pk)
        if locked.status != GiftCardStatus.ACTIVE or locked.sessions_left != locked.sessions_total:
            raise InvalidTransition(
                f"This package is {locked.get_status_display().lower()} with"
                f" {locked.sessions_left} of {locked.sessions_total} sessions left: only an"
                " unused active package is refunded.",
                status=locked.status,
            )
        locked.status = GiftCardStatus.VOID
        locked.sessions_left = 0
        locked.save(update_fields=["status", "sessions_left"])
        purchases.refund_purchase("package", locked.pk)
        audit.record(locked, "package.refunded", actor=actor, data={"amount": locked.price})
    return locked
