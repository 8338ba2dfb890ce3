"""What QuickBooks is told about a money movement: the receipt document of a payment, a
refund or a completed shop order (pure functions over loaded rows; no query of their own
beyond the rows' relations).

A document is plain JSON (money as strings with two decimals, USD)::

    {"kind": "sales" | "refund", "entity": "payment:12", "doc_number": "CS-P12",
     "txn_date": "2026-12-01", "customer": {"name": …, "email": …} | None,
     "memo": "coresync:payment:12 CS-2026-000001",
     "lines": [{"description": …, "category": "service:massage", "quantity": "1",
                "unit_price": "93.00", "amount": "93.00", "taxable": true}, …],
     "tax": "8.25", "total": "101.25"}

A booking paid at the spa is recorded when it is completed (:func:`balance_document`).

Lines: a booking paid in full gives one line per service and per add-on (the tier discount,
peak and room modifiers are folded into the service line, so the lines add up to the
booking's subtotal); a deposit, a fee, a membership charge, a gift card or a package one
line; a shop order one line per product. A refund of a whole payment repeats the payment's
lines; a partial refund is one line with the tax in the same proportion as the payment's.
"""

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

from coresync.core.money import format_amount, quantize
from coresync.payments.models import Payment, PaymentKind, Refund
from coresync.shop.models import Order

ZERO = Decimal("0.00")
TOTAL_CODES = ("subtotal", "tax", "total")

KIND_CATEGORIES = {
    PaymentKind.FEE: "fee",
    PaymentKind.MEMBERSHIP: "membership",
    PaymentKind.GIFT_CARD: "gift_card",
    PaymentKind.PACKAGE: "package",
}


def _line(
    description: str,
    category: str,
    amount: Decimal,
    *,
    quantity: int = 1,
    unit_price: Decimal | None = None,
    taxable: bool = True,
) -> dict[str, Any]:
    return {
        "description": description[:4000],
        "category": category,
        "quantity": str(quantity),
        "unit_price": format_amount(amount if unit_price is None else unit_price),
        "amount": format_amount(amount),
        "taxable": taxable,
    }


def _customer(user) -> dict[str, str] | None:
    if user is None:
        return None
    return {"name": user.get_full_name() or user.email, "email": user.email}


def _document(
    *,
    kind: str,
    entity: str,
    doc_number: str,
    txn_date: date,
    customer,
    memo: str,
    lines: list[dict[str, Any]],
    tax: Decimal,
    total: Decimal,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "entity": entity,
        "doc_number": doc_number[:21],  # QuickBooks' DocNumber limit
        "txn_date": txn_date.isoformat(),
        "customer": _customer(customer),
        "memo": memo[:4000],
        "lines": lines,
        "tax": format_amount(tax),
        "total": format_amount(total),
    }


def payment_entity(payment: Payment) -> str:
    return f"payment:{payment.pk}"


def refund_entity(refund: Refund) -> str:
    return f"refund:{refund.pk}"


def order_entity(order: Order) -> str:
    return f"order:{order.pk}"


def booking_entity(booking) -> str:
    return f"booking:{booking.pk}"


def _booking_lines(payment: Payment) -> tuple[list[dict[str, Any]], Decimal] | None:
    """Return the lines and tax of a booking paid in full, or ``None`` when the payment is
    not the whole booking (a deposit, or part paid by gift card)."""
    booking = payment.booking
    if quantize(payment.amount) != quantize(booking.total) or not booking.price_lines:
        return None
    return _lines_of_booking(booking)


def _lines_of_booking(booking) -> tuple[list[dict[str, Any]], Decimal]:
    """Return one line per service (modifiers folded in) and per add-on, and the tax."""
    category = f"service:{booking.service.category.slug}"
    addon_lines = [line for line in booking.price_lines if str(line["code"]).startswith("addon:")]
    service_amount = quantize(booking.subtotal) - sum(
        (Decimal(line["amount"]) for line in addon_lines), ZERO
    )
    lines = [
        _line(
            f"{booking.service.name}, {booking.duration_minutes} min ({booking.reference})",
            category,
            service_amount,
        )
    ]
    lines += [_line(line["label"], "addon", Decimal(line["amount"])) for line in addon_lines]
    return lines, quantize(booking.tax)


def payment_document(payment: Payment, txn_date: date) -> dict[str, Any]:
    """Return the sales receipt of a captured ``payment`` (booking, fee, membership, gift
    card or package), dated ``txn_date`` (spa-local day the money was taken)."""
    entity = payment_entity(payment)
    booking = payment.booking
    reference = booking.reference if booking is not None else ""
    lines_and_tax = None
    if booking is not None and payment.kind in (PaymentKind.FULL, PaymentKind.DEPOSIT):
        lines_and_tax = _booking_lines(payment)
        if lines_and_tax is None:
            lines_and_tax = (
                [
                    _line(
                        f"Deposit, {booking.service.name} ({reference})",
                        f"service:{booking.service.category.slug}",
                        payment.amount,
                        taxable=False,
                    )
                ],
                ZERO,
            )
    if lines_and_tax is None:
        category = KIND_CATEGORIES.get(payment.kind, "default")
        label = payment.description or payment.get_kind_display()
        if reference:
            label = f"{label} ({reference})"
        lines_and_tax = ([_line(label, category, payment.amount, taxable=False)], ZERO)
    lines, tax = lines_and_tax
    return _document(
        kind="sales",
        entity=entity,
        doc_number=f"CS-P{payment.pk}",
        txn_date=txn_date,
        customer=payment.customer,
        memo=f"coresync:{entity} {reference} {payment.provider_payment_id}".strip(),
        lines=lines,
        tax=tax,
        total=quantize(payment.amount),
    )


def refund_document(refund: Refund, txn_date: date) -> dict[str, Any]:
    """Return the refund receipt of a succeeded ``refund``, dated ``txn_date``."""
    payment = refund.payment
    paid = payment_document(payment, txn_date)
    amount = quantize(refund.amount)
    if amount == Decimal(paid["total"]):
        lines, tax = paid["lines"], Decimal(paid["tax"])
    else:
        paid_tax = Decimal(paid["tax"])
        tax = quantize(amount * paid_tax / Decimal(paid["total"])) if paid_tax else ZERO
        first = paid["lines"][0]
        reference = payment.booking.reference if payment.booking_id else ""
        description = f"Refund ({refund.get_reason_display()}) {reference}".strip()
        lines = [_line(description, first["category"], amount - tax, taxable=bool(tax))]
    entity = refund_entity(refund)
    return _document(
        kind="refund",
        entity=entity,
        doc_number=f"CS-R{refund.pk}",
        txn_date=txn_date,
        customer=payment.customer,
        memo=f"coresync:{entity} of {payment_entity(payment)} {refund.provider_refund_id}".strip(),
        lines=lines,
        tax=tax,
        total=amount,
    )


def order_document(order: Order, txn_date: date) -> dict[str, Any]:
    """Return the sales receipt of a completed (picked up and paid) shop ``order``."""
    entity = order_entity(order)
    lines = [
        _line(
            line.product.name,
            f"product:{line.product.category}",
            line.line_total,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in order.lines.all()
    ]
    return _document(
        kind="sales",
        entity=entity,
        doc_number=order.reference,
        txn_date=txn_date,
        customer=order.customer,
        memo=f"coresync:{entity} {order.reference}",
        lines=lines,
        tax=quantize(order.tax),
        total=quantize(order.total),
    )


def balance_document(booking, paid_online: Decimal, txn_date: date) -> dict[str, Any]:
    """Return the sales receipt of what a completed booking's guest paid at the spa: the
    booking's total less what was paid online (a deposit) and by gift card. Paid all at the
    spa: the booking's lines and tax; after a deposit (sent untaxed): one line for the
    balance, carrying the booking's whole tax."""
    entity = booking_entity(booking)
    due = quantize(booking.total) - quantize(paid_online) - quantize(booking.gift_card_amount or 0)
    if paid_online == 0 and not booking.gift_card_amount and booking.price_lines:
        lines, tax = _lines_of_booking(booking)
    else:
        tax = min(quantize(booking.tax), due)
        lines = [
            _line(
                f"{booking.service.name}, balance paid at the spa ({booking.reference})",
                f"service:{booking.service.category.slug}",
                due - tax,
                taxable=bool(tax),
            )
        ]
    return _document(
        kind="sales",
        entity=entity,
        doc_number=f"CS-B{booking.pk}",
        txn_date=txn_date,
        customer=booking.customer,
        memo=f"coresync:{entity} {booking.reference} paid at the spa",
        lines=lines,
        tax=tax,
        total=due,
    )


def digest(document: dict[str, Any]) -> str:
    """Return the SHA-256 of ``document`` in a canonical JSON form (what makes a version)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
