"""Gift card and package balances: redeem, give back, activate (docs/gift-cards.md).

Every change of a balance is one conditional ``UPDATE`` with an ``F()`` expression — the
condition (``balance >= x``, ``sessions_left > 0``) is checked by the database at the moment
of the write, so two bookings redeeming one card at the same instant can never take more than
it holds — plus a ledger row. The database check constraints
(``gift_card_balance_within_amount``, ``package_sessions_within_total``) are the last line.

This module writes gift card and package rows only; selling them (the payment, the delivery
email) is :mod:`coresync.payments.giftcards`.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum

from coresync.core.errors import InvalidInput
from coresync.core.money import quantize
from coresync.giftcards.models import (
    GiftCard,
    GiftCardStatus,
    GiftCardTransaction,
    Package,
    PackagePurchase,
    normalize_code,
)

ZERO = Decimal("0.00")
ATTEMPTS = 10


def find_redeemable(code: str) -> GiftCard:
    """Return the active gift card with ``code`` (spaces, dashes and case ignored) that has
    money left.

    Raises:
        InvalidInput: unknown, not paid yet, void or spent (field ``gift_card``).
    """
    card = GiftCard.objects.filter(code=normalize_code(code)).first()
    if card is None:
        raise InvalidInput("No gift card has this code.", fields={"gift_card": "Unknown code."})
    if card.status != GiftCardStatus.ACTIVE:
        raise InvalidInput(
            "This gift card cannot be used (not paid yet, or void).",
            fields={"gift_card": "Not usable."},
        )
    if card.balance <= ZERO:
        raise InvalidInput(
            "This gift card has no balance left.", fields={"gift_card": "No balance left."}
        )
    return card


def redeem(gift_card_id: int, wanted: Decimal, *, booking) -> Decimal:
    """Take up to ``wanted`` from the card for ``booking``; return what was taken (the rest
    of the balance is kept; 0.00 when nothing is left).

    ``UPDATE … SET balance = balance - x WHERE id = … AND balance >= x``: when another
    redemption changed the balance between the read and the write, the update matches no row
    and the loop reads again. Call inside the booking's transaction.
    """
    wanted = quantize(wanted)
    for _ in range(ATTEMPTS):
        balance = (
            GiftCard.objects.filter(pk=gift_card_id, status=GiftCardStatus.ACTIVE)
            .values_list("balance", flat=True)
            .first()
        )
        if not balance or wanted <= ZERO:
            return ZERO
        take = min(balance, wanted)
        updated = GiftCard.objects.filter(
            pk=gift_card_id, status=GiftCardStatus.ACTIVE, balance__gte=take
        ).update(balance=F("balance") - take)
        if updated:
            GiftCardTransaction.objects.create(
                gift_card_id=gift_card_id,
                booking=booking,
                amount=-take,
                balance_after=GiftCard.objects.values_list("balance", flat=True).get(
                    pk=gift_card_id
                ),
            )
            return take
    return ZERO


def held_on_gift_cards(booking) -> Decimal:
    """Return what gift cards paid for ``booking`` and still hold (spent minus given back)."""
    total = GiftCardTransaction.objects.filter(booking=booking).aggregate(total=Sum("amount"))
    return -(total["total"] or ZERO)


def give_back(booking, amount: Decimal) -> Decimal:
    """Put up to ``amount`` back on the gift cards that paid for ``booking`` (a refund to the
    card, newest spending first); return what was put back."""
    left = quantize(amount)
    returned = ZERO
    spent = (
        GiftCardTransaction.objects.filter(booking=booking)
        .values("gift_card_id")
        .annotate(total=Sum("amount"))
        .order_by("-gift_card_id")
    )
    for row in spent:
        portion = min(left, -row["total"])
        if portion <= ZERO:
            continue
        updated = GiftCard.objects.filter(
            pk=row["gift_card_id"], balance__lte=F("amount") - portion
        ).update(balance=F("balance") + portion)
        if not updated:
            continue
        GiftCardTransaction.objects.create(
            gift_card_id=row["gift_card_id"],
            booking=booking,
            amount=portion,
            balance_after=GiftCard.objects.values_list("balance", flat=True).get(
                pk=row["gift_card_id"]
            ),
        )
        returned += portion
        left -= portion
        if left <= ZERO:
            break
    return returned


def activate_gift_card(gift_card_id: int) -> bool:
    """Make a paid gift card usable (its whole amount); return whether it changed."""
    return bool(
        GiftCard.objects.filter(pk=gift_card_id, status=GiftCardStatus.PENDING).update(
            status=GiftCardStatus.ACTIVE, balance=F("amount")
        )
    )


# -- packages ------------------------------------------------------------------------------


def usable_package(customer, service, minutes: int, day: date) -> PackagePurchase | None:
    """Return the customer's paid package for ``service`` at ``minutes`` with a session
    left on spa-local ``day`` (the one expiring first), or ``None``."""
    if getattr(customer, "pk", None) is None:
        return None
    return (
        PackagePurchase.objects.filter(
            customer_id=customer.pk,
            status=GiftCardStatus.ACTIVE,
            package__service=service,
            package__minutes=minutes,
            sessions_left__gt=0,
            expires_on__gte=day,
        )
        .select_related("package")
        .order_by("expires_on", "pk")
        .first()
    )


def take_session(purchase: PackagePurchase) -> bool:
    """Use one session; False when none is left (used meanwhile)."""
    return bool(
        PackagePurchase.objects.filter(pk=purchase.pk, sessions_left__gt=0).update(
            sessions_left=F("sessions_left") - 1
        )
    )


def give_back_session(purchase_id: int) -> bool:
    """Give a session back (its booking was cancelled free, or its hold ran out)."""
    return bool(
        PackagePurchase.objects.filter(
            pk=purchase_id, sessions_left__lt=F("sessions_total")
        ).update(sessions_left=F("sessions_left") + 1)
    )


def start_package_purchase(customer, package: Package) -> PackagePurchase:
    """Write a customer's purchase of ``package``, waiting for its payment."""
    if not package.is_active:
        raise InvalidInput("This package is not on sale.", fields={"package": "Not on sale."})
    return PackagePurchase.objects.create(
        customer=customer,
        package=package,
        sessions_total=package.sessions,
        sessions_left=package.sessions,
        price=package.price,
    )


def activate_package(purchase_id: int, today: date) -> bool:
    """Make a paid package usable from ``today`` for its ``valid_days``."""
    with transaction.atomic():
        purchase = (
            PackagePurchase.objects.select_for_update()
            .select_related("package")
            .filter(pk=purchase_id, status=GiftCardStatus.PENDING)
            .first()
        )
        if purchase is None:
            return False
        purchase.status = GiftCardStatus.ACTIVE
        purchase.expires_on = today + timedelta(days=purchase.package.valid_days)
        purchase.save(update_fields=["status", "expires_on"])
        return True
