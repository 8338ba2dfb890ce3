"""The receipts ledger: record each money movement once as a versioned document, queue its
send through the outbox, and record what QuickBooks answered.

``record_*`` run in the caller's transaction (they lock the ledger row, write it and enqueue
an outbox row with the version's request id as dedupe key), so a movement recorded is never
lost; the send happens later, outside any lock (:func:`send_receipt`, run by the outbox).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum

from coresync.accounting import documents
from coresync.accounting.errors import AccountingError
from coresync.accounting.models import (
    LedgerReceipt,
    ReceiptKind,
    ReceiptStatus,
    request_id,
)
from coresync.accounting.providers import get_provider
from coresync.bookings.models import Booking, BookingStatus
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.notifications.outbox import PermanentError, enqueue
from coresync.payments.models import (
    BOOKING_PAYMENT_KINDS,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from coresync.shop.models import Order, OrderStatus
from coresync.spa.selectors import get_settings

logger = logging.getLogger(__name__)

TOPIC_SEND_RECEIPT = "accounting.send_receipt"
LOOKBACK = timedelta(days=35)
"""How far back :func:`collect_pending` looks for movements not yet in the ledger."""


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording one movement: the ledger row and whether a new version
    was queued (``False``: nothing changed)."""

    receipt: LedgerReceipt
    queued: bool


def record_document(entity: str, build) -> Recorded:
    """Record the document of ``entity`` built by ``build(txn_date)``; queue a send if it is
    new or changed. Must run inside ``transaction.atomic()``.

    1. Lock the entity's ledger row (if any); its ``txn_date`` is kept, never recomputed.
    2. Same digest as the current version: nothing to do.
    3. Otherwise write version ``n + 1`` (``pending``) and enqueue its send, keyed by the
       version's request id (enqueueing twice is harmless).
    """
    row = LedgerReceipt.objects.select_for_update().filter(entity=entity).first()
    txn_date = row.txn_date if row is not None else local_date(clock_now(), get_settings().zone)
    document = build(txn_date)
    digest = documents.digest(document)
    if row is not None and row.digest == digest:
        return Recorded(row, False)
    if row is None:
        row = LedgerReceipt.objects.create(
            entity=entity,
            kind=ReceiptKind.REFUND if document["kind"] == "refund" else ReceiptKind.SALES,
            document=document,
            digest=digest,
            total=Decimal(document["total"]),
            txn_date=txn_date,
        )
    else:
        row.version += 1
        row.document = document
        row.digest = digest
        row.total = Decimal(document["total"])
        row.status = ReceiptStatus.PENDING
        row.save(update_fields=["version", "document", "digest", "total", "status", "updated_at"])
    enqueue(
        TOPIC_SEND_RECEIPT,
        {"receipt": row.pk, "version": row.version},
        dedupe_key=request_id(entity, row.version),
    )
    return Recorded(row, True)


def _payment_date(payment: Payment):
    def build(txn_date):
        if (
            payment.succeeded_at is not None
            and not LedgerReceipt.objects.filter(entity=documents.payment_entity(payment)).exists()
        ):
            txn_date = local_date(payment.succeeded_at, get_settings().zone)
        return documents.payment_document(payment, txn_date)

    return build


def record_payment(payment: Payment) -> Recorded:
    """Record the sales receipt of a captured ``payment`` (dated the day it succeeded)."""
    with transaction.atomic():
        return record_document(documents.payment_entity(payment), _payment_date(payment))


def record_refund(refund: Refund) -> Recorded:
    """Record the refund receipt of a succeeded ``refund``."""
    with transaction.atomic():
        return record_document(
            documents.refund_entity(refund),
            lambda txn_date: documents.refund_document(refund, txn_date),
        )


def record_order(order: Order) -> Recorded:
    """Record the sales receipt of a completed shop ``order`` (dated its pickup day)."""

    def build(txn_date):
        if (
            order.completed_at is not None
            and not LedgerReceipt.objects.filter(entity=documents.order_entity(order)).exists()
        ):
            txn_date = local_date(order.completed_at, get_settings().zone)
        return documents.order_document(order, txn_date)

    with transaction.atomic():
        return record_document(documents.order_entity(order), build)


def record_spa_balance(booking: Booking) -> Recorded | None:
    """Record what the guest of a completed ``booking`` paid at the spa (its total less
    captured online payments and gift cards); ``None`` when nothing was left to pay."""
    paid_online = Payment.objects.filter(
        booking=booking, kind__in=BOOKING_PAYMENT_KINDS, status=PaymentStatus.SUCCEEDED
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    due = booking.total - paid_online - (booking.gift_card_amount or Decimal("0.00"))
    if due <= 0:
        return None

    def build(txn_date):
        if (
            booking.completed_at is not None
            and not LedgerReceipt.objects.filter(entity=documents.booking_entity(booking)).exists()
        ):
            txn_date = local_date(booking.completed_at, get_settings().zone)
        return documents.balance_document(booking, paid_online, txn_date)

    with transaction.atomic():
        return record_document(documents.booking_entity(booking), build)


def rerecord_booking(booking) -> int:
    """Record again the receipts of ``booking``'s captured payments already in the ledger (a
    reschedule, a change of price); return how many got a new version. Runs in the caller's
    transaction."""
    recorded = 0
    payments = Payment.objects.filter(booking=booking, status=PaymentStatus.SUCCEEDED)
    entities = [documents.payment_entity(payment) for payment in payments]
    known = set(LedgerReceipt.objects.filter(entity__in=entities).values_list("entity", flat=True))
    for payment in payments.select_related("booking__service__category", "customer"):
        if documents.payment_entity(payment) in known:
            recorded += record_document(
                documents.payment_entity(payment), _payment_date(payment)
            ).queued
    return recorded


def collect_pending(now: datetime | None = None) -> int:
    """Record every captured payment, succeeded refund, completed booking with a balance
    paid at the spa and completed shop order of the last 35 days that the ledger does not
    know yet; return how many were recorded.

    This is the hourly batch's first half (the outbox sends what it queues); a movement is
    found by its own row, so nothing that happened while the job was down is lost.
    """
    now = now or clock_now()
    since = now - LOOKBACK
    known = set(
        LedgerReceipt.objects.filter(created_at__gte=since - LOOKBACK).values_list(
            "entity", flat=True
        )
    )
    count = 0
    payments = Payment.objects.filter(
        status=PaymentStatus.SUCCEEDED, succeeded_at__gte=since
    ).select_related("booking__service__category", "customer")
    for payment in payments:
        if documents.payment_entity(payment) not in known:
            count += record_payment(payment).queued
    refunds = Refund.objects.filter(
        status=RefundStatus.SUCCEEDED, updated_at__gte=since
    ).select_related("payment__booking__service__category", "payment__customer")
    for refund in refunds:
        if documents.refund_entity(refund) not in known:
            count += record_refund(refund).queued
    bookings = Booking.objects.filter(
        status=BookingStatus.COMPLETED, completed_at__gte=since
    ).select_related("service__category", "customer")
    for booking in bookings:
        if documents.booking_entity(booking) not in known:
            count += bool(record_spa_balance(booking))
    orders = Order.objects.filter(
        Q(completed_at__gte=since) | Q(completed_at__isnull=True, updated_at__gte=since),
        status=OrderStatus.COMPLETED,
    ).prefetch_related("lines__product")
    for order in orders.select_related("customer"):
        if documents.order_entity(order) not in known:
            count += record_order(order).queued
    return count


def send_receipt(payload: dict[str, Any]) -> None:
    """Send one version of a ledger receipt to the accounting provider (the outbox handler
    of ``accounting.send_receipt``); no lock is held during the call.

    1. Read the row. A version already sent, or overtaken by a newer queued version, is
       done (the newer one carries the latest document).
    2. Call the provider with the version's request id; a receipt QuickBooks already has
       (an earlier version) is replaced, not duplicated.
    3. Lock the row again and record the QuickBooks id and the version sent.

    Raises:
        PermanentError: QuickBooks refused the receipt (the row is marked ``failed``).
        AccountingError: a transient failure; the outbox retries with backoff.
    """
    row = LedgerReceipt.objects.filter(pk=payload["receipt"]).first()
    version = int(payload["version"])
    if row is None or row.sent_version >= version or row.version > version:
        return
    try:
        quickbooks_id = get_provider().send_receipt(
            row.document, request_id=request_id(row.entity, version), existing_id=row.quickbooks_id
        )
    except AccountingError as error:
        _record_failure(row.pk, str(error), permanent=error.permanent)
        if error.permanent:
            raise PermanentError(str(error)) from error
        raise
    now = clock_now()
    with transaction.atomic():
        row = LedgerReceipt.objects.select_for_update().get(pk=row.pk)
        row.quickbooks_id = quickbooks_id
        row.sent_version = max(row.sent_version, version)
        row.attempts += 1
        row.last_error = ""
        row.sent_at = now
        if row.sent_version == row.version:
            row.status = ReceiptStatus.SENT
        row.save()


def _record_failure(receipt_id: int, message: str, *, permanent: bool) -> None:
    with transaction.atomic():
        row = LedgerReceipt.objects.select_for_update().get(pk=receipt_id)
        row.attempts += 1
        row.last_error = message[:4000]
        if permanent:
            row.status = ReceiptStatus.FAILED
        row.save(update_fields=["attempts", "last_error", "status", "updated_at"])


def resend(receipt: LedgerReceipt) -> LedgerReceipt:
    """Queue a failed receipt again (the manager fixed the mapping): a new version, so a new
    request id, since Intuit remembers the refused one."""
    with transaction.atomic():
        row = LedgerReceipt.objects.select_for_update().get(pk=receipt.pk)
        if row.status != ReceiptStatus.FAILED:
            return row
        row.version += 1
        row.status = ReceiptStatus.PENDING
        row.save(update_fields=["version", "status", "updated_at"])
        enqueue(
            TOPIC_SEND_RECEIPT,
            {"receipt": row.pk, "version": row.version},
            dedupe_key=request_id(row.entity, row.version),
        )
        return row
