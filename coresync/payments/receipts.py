"""Receipts and dunning emails of payments (SPEC §5): an email receipt with line items and
tax for every charge and every refund, and the notices of a declined membership renewal.

Only outbox rows are written here, in the caller's transaction, once per key
(``payment:<id>:receipt``, ``refund:<id>:receipt``,
``membership-renewal:<id>:dunning:<attempt>``); the email is rendered at send time by
:mod:`coresync.notifications.content` with :func:`receipt_context`, which this app registers
(notifications does not import payments).

Amounts are ``Decimal``, rounded to cents half up (:func:`coresync.core.money.quantize`). A
booking's receipt shows the booking's stored quote (service, member saving, credits and
vouchers, modifiers, add-ons, subtotal, tax, total) and what this payment took of it; a
refund's tax is its share of the payment's tax (refund × tax ÷ total, half up). Membership
fees, cancellation and no-show fees carry no sales tax (docs/payments.md "Receipts").
"""

from decimal import Decimal
from typing import Any

from coresync.core.money import quantize
from coresync.memberships.models import MembershipRenewal
from coresync.notifications.content import (
    MEMBERSHIP_EXPIRED,
    MEMBERSHIP_PAYMENT_FAILED,
    PAYMENT_RECEIPT,
    REFUND_RECEIPT,
    format_money,
)
from coresync.notifications.delivery import TOPIC_EMAIL
from coresync.notifications.outbox import enqueue
from coresync.notifications.services import notifications_suppressed
from coresync.payments.models import Payment, PaymentKind, PaymentStatus, Refund, RefundStatus

ZERO = Decimal("0.00")


def send_payment_receipt(payment: Payment):
    """Enqueue the receipt of a captured ``payment`` (once), in the caller's transaction."""
    if notifications_suppressed() or payment.customer_id is None:
        return None
    return enqueue(
        TOPIC_EMAIL,
        {"kind": PAYMENT_RECEIPT, "payment_id": payment.pk},
        dedupe_key=f"payment:{payment.pk}:receipt",
    )


def send_refund_receipt(refund: Refund):
    """Enqueue the receipt of a refund that succeeded (once), in the caller's transaction."""
    if notifications_suppressed():
        return None
    return enqueue(
        TOPIC_EMAIL,
        {"kind": REFUND_RECEIPT, "refund_id": refund.pk},
        dedupe_key=f"refund:{refund.pk}:receipt",
    )


def send_dunning_email(renewal: MembershipRenewal, *, attempt: int, expired: bool):
    """Enqueue the notice of a declined renewal attempt: "we will try again on …, update
    your card", or, after the last attempt, "your membership has expired" (once each)."""
    if notifications_suppressed():
        return None
    return enqueue(
        TOPIC_EMAIL,
        {
            "kind": MEMBERSHIP_EXPIRED if expired else MEMBERSHIP_PAYMENT_FAILED,
            "membership_id": renewal.membership_id,
            "renewal_id": renewal.pk,
            "attempt": attempt,
        },
        dedupe_key=f"membership-renewal:{renewal.pk}:dunning:{attempt}",
    )


# -- what a receipt says ---------------------------------------------------------------------


def _line(label: str, amount: Decimal) -> dict[str, str]:
    return {"label": label, "amount": format_money(quantize(amount))}


def _booking_lines(payment: Payment) -> tuple[list[dict[str, str]], Decimal, Decimal, Decimal]:
    booking = payment.booking
    stored = booking.price_lines or []
    lines = [
        _line(line["label"], Decimal(line["amount"]))
        for line in stored
        if line["code"] not in ("subtotal", "tax", "total")
    ]
    return lines, quantize(booking.subtotal), quantize(booking.tax), quantize(booking.total)


def payment_breakdown(payment: Payment) -> dict[str, Any]:
    """Return the line items of ``payment``: ``lines`` (label, amount), ``subtotal``,
    ``tax``, ``total`` (what was priced) and ``charged`` (what this payment took), as
    ``Decimal``; ``note`` says what is left to pay when the payment is a deposit."""
    note = ""
    if payment.kind in (PaymentKind.FULL, PaymentKind.DEPOSIT) and payment.booking_id:
        lines, subtotal, tax, total = _booking_lines(payment)
        if payment.amount < total:
            note = f"Deposit paid now; {format_money(total - payment.amount)} is due at the spa."
        booking = payment.booking
        what = f"{booking.service.name}, booking {booking.reference}"
    else:
        label = payment.description or payment.get_kind_display()
        lines = [_line(label, payment.amount)]
        subtotal, tax, total = quantize(payment.amount), ZERO, quantize(payment.amount)
        what = label
    return {
        "lines": lines,
        "subtotal": subtotal,
        "tax": tax,
        "total": total,
        "charged": quantize(payment.amount),
        "note": note,
        "what": what,
    }


def refund_breakdown(refund: Refund) -> dict[str, Any]:
    """Return a refund's line items: the refund split into its service part and its share of
    the payment's tax (``refund × tax ÷ total``, cents half up)."""
    payment = refund.payment
    priced = payment_breakdown(payment)
    amount = quantize(refund.amount)
    tax = ZERO
    if priced["tax"] and priced["total"]:
        share = min(amount, priced["charged"])
        tax = quantize(share * priced["tax"] / priced["total"])
    return {
        "lines": [_line(f"Refund: {priced['what']}", amount - tax)],
        "subtotal": amount - tax,
        "tax": tax,
        "total": amount,
        "what": priced["what"],
    }


def receipt_context(payload: dict[str, Any]) -> tuple[Any, dict[str, Any] | None, str]:
    """Return ``(user, context, skip_reason)`` of a receipt email (registered with
    :func:`coresync.notifications.content.register_receipt_builder`)."""
    if payload.get("kind") == REFUND_RECEIPT:
        refund = (
            Refund.objects.select_related("payment__customer", "payment__booking__service")
            .filter(pk=payload.get("refund_id"))
            .first()
        )
        if refund is None:
            return None, None, "The refund no longer exists."
        user = refund.payment.customer
        if refund.status != RefundStatus.SUCCEEDED:
            return user, None, f"Refund is {refund.status}."
        parts = refund_breakdown(refund)
        number, when, method = f"R-{refund.uuid.hex[:10].upper()}", refund.updated_at, "card"
    else:
        payment = (
            Payment.objects.select_related("customer", "booking__service")
            .filter(pk=payload.get("payment_id"))
            .first()
        )
        if payment is None:
            return None, None, "The payment no longer exists."
        user = payment.customer
        if payment.status != PaymentStatus.SUCCEEDED:
            return user, None, f"Payment is {payment.status}."
        parts = payment_breakdown(payment)
        number, when = f"P-{payment.uuid.hex[:10].upper()}", payment.succeeded_at
        method = (
            "card on file" if payment.kind in (PaymentKind.FEE, PaymentKind.MEMBERSHIP) else "card"
        )
    context = {
        "receipt_number": number,
        "receipt_date": f"{when:%B} {when.day}, {when.year}" if when else "",
        "receipt_what": parts["what"],
        "receipt_lines": parts["lines"],
        "receipt_subtotal": format_money(parts["subtotal"]),
        "receipt_tax": format_money(parts["tax"]),
        "receipt_total": format_money(parts["total"]),
        "receipt_charged": format_money(parts.get("charged", parts["total"])),
        "receipt_note": parts.get("note", ""),
        "receipt_method": method,
    }
    return user, context, ""


# -- receipts on the site (My account) ---------------------------------------------------------


def _payment_receipt(payment: Payment) -> dict[str, Any]:
    parts = payment_breakdown(payment)
    when = payment.succeeded_at
    return {
        **parts,
        "number": f"P-{payment.uuid.hex[:10].upper()}",
        "date": when,
        "is_refund": False,
    }


def _refund_receipt(refund: Refund) -> dict[str, Any]:
    parts = refund_breakdown(refund)
    return {
        **parts,
        "charged": parts["total"],
        "number": f"R-{refund.uuid.hex[:10].upper()}",
        "date": refund.updated_at,
        "is_refund": True,
        "note": "",
    }


def customer_receipts(user, limit: int = 20) -> list[dict[str, Any]]:
    """Return ``user``'s receipts, newest first: every captured payment and succeeded
    refund, as :func:`payment_breakdown` / :func:`refund_breakdown` with ``number``,
    ``date`` and ``is_refund``."""
    payments = Payment.objects.filter(customer=user, status=PaymentStatus.SUCCEEDED).select_related(
        "booking__service"
    )[:limit]
    refunds = Refund.objects.filter(
        payment__customer=user, status=RefundStatus.SUCCEEDED
    ).select_related("payment__booking__service")[:limit]
    rows = [_payment_receipt(p) for p in payments] + [_refund_receipt(r) for r in refunds]
    rows.sort(key=lambda row: row["date"] or 0, reverse=True)
    return rows[:limit]


def customer_receipt(user, number: str) -> dict[str, Any] | None:
    """Return ``user``'s receipt ``P-…`` or ``R-…`` (``None`` if not theirs)."""
    return next(
        (row for row in customer_receipts(user, limit=500) if row["number"] == number), None
    )
