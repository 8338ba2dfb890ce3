"""Pickup orders (SPEC §8, ARCHITECTURE.md "Shop and concierge"): place, move through the
desk's steps, cancel — each a named function with a status guard, one transaction, an audit
entry, and no side effect before commit (emails go through the outbox).

Stock never goes below zero, whatever the concurrency: placing an order locks its products
in primary-key order (``SELECT … FOR UPDATE``; SQLite serializes write transactions), checks
every line, then takes each line's units with a conditional update (``stock >= quantity``);
the check constraint ``product_stock_not_negative`` is the database's last word. One line
short → 409 ``out_of_stock`` naming the products, and nothing is taken. Cancelling puts the
units back exactly once (the status moves under a row lock first).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from coresync.accounts.models import Role, User, acts_for_every_customer
from coresync.bookings.models import ACTIVE_STATUSES, Booking
from coresync.core import audit, idempotency
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import (
    Forbidden,
    IdempotencyRequestInProgress,
    InvalidInput,
    InvalidTransition,
)
from coresync.core.money import quantize
from coresync.memberships.selectors import get_customer_access
from coresync.notifications.outbox import enqueue
from coresync.payments import purchases
from coresync.payments.models import Payment, PaymentKind
from coresync.payments.providers.base import PaymentStart
from coresync.shop.errors import OutOfStock
from coresync.shop.models import Order, OrderLine, OrderStatus, Product
from coresync.spa.selectors import get_settings
from coresync.spa.services import issue_reference

TOPIC_SHOP_EMAIL = "shop.email"
"""Outbox topic of the shop's emails (:mod:`coresync.shop.mail`)."""

MAX_QUANTITY = 100
NOTES_MAX_LENGTH = 1000

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PROCESSING, OrderStatus.CANCELLED),
    OrderStatus.PROCESSING: (OrderStatus.READY, OrderStatus.CANCELLED),
    OrderStatus.READY: (OrderStatus.COMPLETED,),
}
"""Every status change an order may make; anything else raises ``InvalidTransition``."""


@dataclass(frozen=True)
class OrderItem:
    """One line asked for: a product's slug and a quantity (≥ 1)."""

    product: str
    quantity: int


def _clean_items(items: Sequence[OrderItem]) -> dict[str, int]:
    """Return ``{slug: quantity}`` (repeated products added up), or raise ``InvalidInput``."""
    if not items:
        raise InvalidInput("Add at least one product.", fields={"items": "At least one item."})
    wanted: dict[str, int] = {}
    for item in items:
        if not isinstance(item.quantity, int) or item.quantity < 1:
            raise InvalidInput(
                f"{item.product}: the quantity must be at least 1.",
                fields={"items": f"{item.product}: a quantity of at least 1."},
            )
        wanted[item.product] = wanted.get(item.product, 0) + item.quantity
        if wanted[item.product] > MAX_QUANTITY:
            raise InvalidInput(
                f"{item.product}: at most {MAX_QUANTITY} of one product per order.",
                fields={"items": f"{item.product}: at most {MAX_QUANTITY}."},
            )
    return wanted


def _pickup_booking(customer, reference: str | None, now: datetime) -> Booking | None:
    """Return the customer's own coming booking ``reference`` (to pick the order up at), or
    raise ``InvalidInput`` naming ``pickup_booking``."""
    if not reference:
        return None
    booking = Booking.objects.filter(
        reference=reference, customer=customer, status__in=ACTIVE_STATUSES, end__gt=now
    ).first()
    if booking is None:
        raise InvalidInput(
            "The pickup booking must be one of your coming bookings.",
            fields={"pickup_booking": f"No coming booking {reference} of yours."},
        )
    return booking


def _replay(customer, key: str, fingerprint: str) -> Order | None:
    return idempotency.replay(Order.objects.filter(customer=customer), key, fingerprint)


def place_order(
    customer,
    items: Sequence[OrderItem],
    *,
    pickup_booking: str | None = None,
    notes: str = "",
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Order:
    """Order ``items`` for pickup; return the order (``pending``), its lines and totals.

    Active members pay each product's ``member_price`` where it has one; tax is the spa's
    rate on the subtotal, rounded half up to cents (SPEC §8). A product falling to its
    low-stock threshold queues an email to the managers.

    Args:
        customer: the signed-in user ordering.
        items: the lines; a product named twice is added up (at most 100 of one product).
        pickup_booking: optional reference of the customer's own coming booking.
        notes: up to 1,000 characters for the desk.
        idempotency_key: the same key and items give the same order (``was_replayed``);
            another request with the key → ``IdempotencyKeyReused``
            (:mod:`coresync.core.idempotency`).

    Raises:
        InvalidInput (400): no items, a quantity below 1, an unknown or withdrawn product, a
            pickup booking that is not the customer's coming one, notes too long.
        OutOfStock (409): a line asks for more than is left; ``fields`` name each product
            short. Nothing is taken.
        IdempotencyKeyReused (422), IdempotencyRequestInProgress (409).
    """
    now = now or clock_now()
    key = idempotency.clean_key(idempotency_key)
    wanted = _clean_items(items)
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX_LENGTH:
        raise InvalidInput(
            f"Notes are limited to {NOTES_MAX_LENGTH} characters.",
            fields={"notes": f"At most {NOTES_MAX_LENGTH} characters."},
        )
    fingerprint = idempotency.fingerprint(
        {"items": sorted(wanted.items()), "pickup_booking": pickup_booking or "", "notes": notes}
    )
    if key:
        replayed = _replay(customer, key, fingerprint)
        if replayed is not None:
            return replayed
    products = {
        product.slug: product
        for product in Product.objects.filter(slug__in=list(wanted), is_active=True)
    }
    unknown = sorted(set(wanted) - set(products))
    if unknown:
        raise InvalidInput(
            f"Unknown product: {', '.join(unknown)}.",
            fields={"items": f"Unknown product: {', '.join(unknown)}."},
        )
    booking = _pickup_booking(customer, pickup_booking, now)
    spa_settings = get_settings()
    member = get_customer_access(customer, local_date(now, spa_settings.zone), spa_settings)
    try:
        with transaction.atomic():
            order = _take_and_write(
                customer,
                wanted,
                products,
                member=member.is_member,
                tax_rate=spa_settings.tax_rate,
                booking=booking,
                notes=notes,
                key=key,
                fingerprint=fingerprint,
                now=now,
            )
    except IntegrityError as error:
        if key and "idempotency_key" in str(error):
            replayed = _replay(customer, key, fingerprint)
            if replayed is not None:
                return replayed
            raise IdempotencyRequestInProgress(key=key) from error
        raise
    order.was_replayed = False
    return order


def _take_and_write(
    customer,
    wanted: Mapping[str, int],
    products: Mapping[str, Product],
    *,
    member: bool,
    tax_rate: Decimal,
    booking: Booking | None,
    notes: str,
    key: str | None,
    fingerprint: str,
    now: datetime,
) -> Order:
    """Inside the caller's transaction: lock the products in primary-key order, refuse if
    any is short, take the units, write the order and its lines, queue the alerts."""
    ids = sorted(product.pk for product in products.values())
    locked = {
        product.slug: product
        for product in Product.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    short = {
        slug: f"Only {locked[slug].stock} left." if locked[slug].stock > 0 else "Out of stock."
        for slug, quantity in wanted.items()
        if locked[slug].stock < quantity
    }
    if short:
        raise OutOfStock(
            f"Not enough in stock: {', '.join(sorted(short))}.", fields=dict(sorted(short.items()))
        )
    for slug in sorted(wanted, key=lambda slug: locked[slug].pk):
        taken = Product.objects.filter(pk=locked[slug].pk, stock__gte=wanted[slug]).update(
            stock=F("stock") - wanted[slug]
        )
        if not taken:  # cannot happen under the lock; the constraint would refuse it anyway
            raise OutOfStock(fields={slug: "Out of stock."})
    lines = []
    for slug, quantity in wanted.items():
        product = locked[slug]
        unit = (
            product.member_price if member and product.member_price is not None else product.price
        )
        lines.append((product, quantity, quantize(unit), quantize(unit * quantity)))
    subtotal = quantize(sum((line[3] for line in lines), Decimal("0")))
    tax = quantize(subtotal * tax_rate)
    order = Order.objects.create(
        reference=issue_reference("PO", now),
        customer=customer,
        pickup_booking=booking,
        notes=notes,
        member_pricing=member,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        idempotency_key=key,
        request_fingerprint=fingerprint,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order, product=product, quantity=quantity, unit_price=unit, line_total=total
        )
        for product, quantity, unit, total in lines
    )
    for slug, quantity in wanted.items():
        product = locked[slug]
        left = product.stock - quantity
        if left <= product.low_stock_threshold < product.stock:
            _alert_low_stock(product, order)
    audit.record(order, "order.created", actor=customer, data={"total": order.total})
    return order


def _alert_low_stock(product: Product, order: Order) -> None:
    """Queue a "running low" email to every active manager (one outbox row each)."""
    managers = User.objects.filter(role=Role.MANAGER, is_active=True).values_list("pk", flat=True)
    for manager_id in managers:
        enqueue(
            TOPIC_SHOP_EMAIL,
            {"kind": "low_stock", "product_id": product.pk, "manager_id": manager_id},
            dedupe_key=f"shop:low-stock:{product.pk}:{order.pk}:{manager_id}",
        )


def _move(order: Order, target: str, *, actor, now: datetime, **stamps: Any) -> Order:
    """Move ``order`` to ``target`` under a row lock; record it; return the fresh row."""
    with transaction.atomic():
        if target == OrderStatus.CANCELLED:
            # The payment webhook locks the payment, then the order: take them in that order.
            purchases.lock_purchase_payment(PURCHASE_KIND, order.pk)
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if target not in ALLOWED_TRANSITIONS.get(locked.status, ()):
            raise InvalidTransition(
                f"Order {locked.reference} is {locked.get_status_display().lower()}; "
                f"it cannot become {OrderStatus(target).label.lower()}.",
                status=locked.status,
            )
        previous = locked.status
        locked.status = target
        for name, value in stamps.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "updated_at", *stamps])
        if target == OrderStatus.CANCELLED:
            for line in locked.lines.all():
                Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity)
            # Paid online: the money goes back (after commit, by the payments outbox job);
            # an intent not paid yet is cancelled so it can no longer be paid.
            purchases.refund_purchase(PURCHASE_KIND, locked.pk)
        if target == OrderStatus.READY:
            enqueue(
                TOPIC_SHOP_EMAIL,
                {"kind": "order_ready", "order_id": locked.pk},
                dedupe_key=f"shop:order:{locked.pk}:ready",
            )
        audit.record(locked, f"order.{target}", actor=actor, data={"from": previous, "to": target})
        return locked


def cancel_order(order: Order, *, actor, now: datetime | None = None) -> Order:
    """Cancel a pending or processing order; its units go back to stock, once.

    Raises:
        Forbidden (403): neither the customer who ordered nor front desk / manager.
        InvalidTransition (422): ready, completed or already cancelled.
    """
    if actor.pk != order.customer_id and not acts_for_every_customer(actor):
        raise Forbidden("Only the customer who ordered, or the desk, can cancel this order.")
    now = now or clock_now()
    return _move(order, OrderStatus.CANCELLED, actor=actor, now=now, cancelled_at=now)


def _ensure_desk(actor) -> None:
    if not acts_for_every_customer(actor):
        raise Forbidden("Only the front desk or a manager can move an order on.")


def process_order(order: Order, *, actor, now: datetime | None = None) -> Order:
    """The desk starts preparing a pending order (pending → processing).

    Raises: Forbidden (403) for anyone but desk and managers; InvalidTransition (422)."""
    _ensure_desk(actor)
    return _move(order, OrderStatus.PROCESSING, actor=actor, now=now or clock_now())


def mark_order_ready(order: Order, *, actor, now: datetime | None = None) -> Order:
    """The order waits at the desk (processing → ready); the customer gets an email.

    Raises: Forbidden (403) for anyone but desk and managers; InvalidTransition (422)."""
    _ensure_desk(actor)
    now = now or clock_now()
    return _move(order, OrderStatus.READY, actor=actor, now=now, ready_at=now)


def complete_order(order: Order, *, actor, now: datetime | None = None) -> Order:
    """The customer picked the order up (ready → completed).

    Raises: Forbidden (403) for anyone but desk and managers; InvalidTransition (422)."""
    _ensure_desk(actor)
    now = now or clock_now()
    return _move(order, OrderStatus.COMPLETED, actor=actor, now=now, completed_at=now)


PURCHASE_KIND = "order"
"""The prefix of an order's payment (``order:<id>``, :mod:`coresync.payments.purchases`)."""

PAYABLE_STATUSES = (OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.READY)
"""An order may be paid online until it is picked up or cancelled."""


def start_order_payment(order: Order, *, actor) -> tuple[Payment | None, PaymentStart]:
    """Start paying ``order`` online (SPEC §8: pay at pickup by default, online when the
    payment provider allows): one payment of the order's total per order, the same Stripe
    PaymentIntent however often it is asked for. Return the payment and how to pay it (no
    payment and no client secret when the spa takes payment at the desk only).

    Raises:
        Forbidden (403): not the customer who ordered.
        InvalidTransition (422): the order is cancelled, picked up, or already paid.
        PaymentProviderUnavailable (503): Stripe could not be reached (ask again).
    """
    if actor.pk != order.customer_id:
        raise Forbidden("Only the customer who ordered can pay this order online.")
    order.refresh_from_db(fields=["status", "paid_at"])
    if order.status not in PAYABLE_STATUSES or order.is_paid:
        raise InvalidTransition(
            f"Order {order.reference} is "
            f"{'paid' if order.is_paid else order.get_status_display().lower()}; "
            "there is nothing to pay online.",
            status=order.status,
        )
    return purchases.start_purchase(
        order.customer,
        kind=PURCHASE_KIND,
        identifier=order.pk,
        payment_kind=PaymentKind.ORDER,
        amount=order.total,
        description=f"Order {order.reference}",
    )


def record_order_payment(payment: Payment, now: datetime) -> bool:
    """The order's online payment was captured: mark the order paid, once. Money that
    arrives for an order cancelled in the meantime is given back in full. Registered with
    :mod:`coresync.payments.purchases`; runs in the webhook's transaction."""
    _, _, identifier = payment.purpose_key.partition(":")
    order = Order.objects.select_for_update().filter(pk=int(identifier)).first()
    if order is None or order.is_paid:
        return False
    if order.status == OrderStatus.CANCELLED:
        purchases.refund_purchase(PURCHASE_KIND, order.pk)
        audit.record(order, "order.refunded_late_payment", data={"amount": payment.amount})
        return True
    order.paid_at = now
    order.save(update_fields=["paid_at", "updated_at"])
    audit.record(order, "order.paid", data={"amount": payment.amount, "payment": payment.pk})
    return True
