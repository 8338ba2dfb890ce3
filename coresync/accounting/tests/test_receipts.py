"""Receipts in QuickBooks: each money movement once, with the right lines, whatever the
retries (python-quickbooks against a recorded-behaviour fake of Intuit's API)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from conftest import local
from coresync.accounting import jobs
from coresync.accounting.models import LedgerReceipt, ReceiptStatus
from coresync.accounting.services import TOPIC_SEND_RECEIPT, collect_pending, rerecord_booking
from coresync.bookings.services import create_booking, reschedule_booking
from coresync.notifications.models import OutboxMessage, OutboxStatus
from coresync.notifications.outbox import dispatch_due
from coresync.payments.models import (
    Payment,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)

pytestmark = pytest.mark.django_db


def send_due(now) -> int:
    return dispatch_due(now=now, topics=[TOPIC_SEND_RECEIPT])


def paid_booking(customer, now):
    """A Swedish massage (60 min, $100) with hot stones ($35) for a non-member, tax 8.875%:
    subtotal 135.00, tax 11.98, total 146.98, paid in full with Stripe."""
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 2, 10),
        addon_slugs=["hot-stones"],
        technician="ana",
    )
    payment = Payment.objects.create(
        purpose_key=f"booking:{booking.pk}:full",
        customer=customer,
        booking=booking,
        kind=PaymentKind.FULL,
        amount=booking.total,
        status=PaymentStatus.SUCCEEDED,
        provider="stripe",
        provider_payment_id="pi_paid_1",
        succeeded_at=now,
    )
    return booking, payment


def test_paid_rescheduled_refunded_booking_makes_each_receipt_once_despite_a_timeout(
    customer, manager, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given a booking paid in full, and QuickBooks that loses the answer to the first create
    booking, payment = paid_booking(customer, frozen_now)
    assert booking.total == Decimal("146.98")
    fake_quickbooks.time_out_next(1)

    # When the hourly batch runs: the send times out; the outbox retries it later
    assert jobs.sync_quickbooks() == 1
    receipt = LedgerReceipt.objects.get()
    assert (receipt.status, receipt.attempts, receipt.quickbooks_id) == ("pending", 1, "")
    assert "did not answer" in receipt.last_error
    message = OutboxMessage.objects.get(topic=TOPIC_SEND_RECEIPT)
    assert message.status == OutboxStatus.FAILED
    assert send_due(frozen_now + timedelta(hours=1)) == 1

    # Then QuickBooks holds exactly one sales receipt: both tries carried the same request id
    creates = fake_quickbooks.creates("SalesReceipt")
    assert [request_id for request_id, _ in creates] == [f"coresync-payment-{payment.pk}-v1"] * 2
    assert len(fake_quickbooks.receipts["SalesReceipt"]) == 1
    body = fake_quickbooks.receipts["SalesReceipt"][0]
    assert [
        (line["Description"], line["Amount"], line["SalesItemLineDetail"]["ItemRef"]["value"])
        for line in body["Line"]
    ] == [
        (f"Swedish Massage, 60 min ({booking.reference})", "100.00", "1"),
        ("Hot Stones", "35.00", "2"),
    ]
    assert (body["TxnTaxDetail"]["TotalTax"], body["TotalAmt"], body["TxnDate"]) == (
        "11.98",
        "146.98",
        "2026-12-01",
    )
    assert body["PrivateNote"].startswith(f"coresync:payment:{payment.pk} {booking.reference}")
    # made out to the guest, a QuickBooks customer created once (a request id of their own)
    assert fake_quickbooks.customers == [
        {
            "DisplayName": f"{customer.get_full_name()} ({customer.email})",
            "PrimaryEmailAddr": {"Address": customer.email},
            "Id": "501",
        }
    ]
    assert body["CustomerRef"] == {"value": "501"}
    assert len(fake_quickbooks.customer_requests) == 1
    receipt.refresh_from_db()
    assert (receipt.status, receipt.quickbooks_id, receipt.sent_version) == ("sent", "101", 1)

    # When the booking is rescheduled (same price) and the batch runs again
    reschedule_booking(booking, start=local(2026, 12, 3, 11), actor=manager)
    jobs.sync_quickbooks()
    send_due(frozen_now + timedelta(hours=2))

    # Then nothing new is sent: the receipt did not change
    assert len(fake_quickbooks.creates("SalesReceipt")) == 2
    assert LedgerReceipt.objects.get(entity=f"payment:{payment.pk}").version == 1

    # When $50.00 is refunded (the late-cancellation policy kept the rest)
    refund = Refund.objects.create(
        purpose_key=f"booking:{booking.pk}:refund",
        payment=payment,
        amount=Decimal("50.00"),
        status=RefundStatus.SUCCEEDED,
        reason=RefundReason.BOOKING_CANCELLED,
        provider_refund_id="re_1",
    )
    assert jobs.sync_quickbooks() == 1
    assert jobs.sync_quickbooks() == 0  # the next batch finds nothing new

    # Then one refund receipt: $50.00 with its share of the tax (50 × 11.98 / 146.98 = 4.08)
    assert len(fake_quickbooks.creates("RefundReceipt")) == 1
    refund_body = fake_quickbooks.receipts["RefundReceipt"][0]
    assert [
        (line["Amount"], line["SalesItemLineDetail"]["ItemRef"]["value"])
        for line in refund_body["Line"]
    ] == [("45.92", "1")]
    assert (refund_body["TxnTaxDetail"]["TotalTax"], refund_body["TotalAmt"]) == ("4.08", "50.00")
    assert fake_quickbooks.creates("RefundReceipt")[0][0] == f"coresync-refund-{refund.pk}-v1"
    assert LedgerReceipt.objects.filter(status=ReceiptStatus.SENT).count() == 2
    assert refund_body["CustomerRef"] == {"value": "501"}
    assert len(fake_quickbooks.customer_requests) == 1  # remembered, not looked up again
    assert len(fake_quickbooks.receipts["SalesReceipt"]) == 1


def test_a_changed_receipt_updates_the_same_quickbooks_receipt(
    customer, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given a sent receipt
    booking, payment = paid_booking(customer, frozen_now)
    jobs.sync_quickbooks()

    # When what it says changes (the payment's intent id is corrected) and is recorded again
    Payment.objects.filter(pk=payment.pk).update(provider_payment_id="pi_paid_2")
    with transaction.atomic():
        assert rerecord_booking(booking) == 1
    send_due(frozen_now)

    # Then version 2 replaced receipt 101 (with its SyncToken), no second receipt was made
    creates = fake_quickbooks.creates("SalesReceipt")
    assert [request_id for request_id, _ in creates] == [
        f"coresync-payment-{payment.pk}-v1",
        f"coresync-payment-{payment.pk}-v2",
    ]
    assert (creates[1][1]["Id"], creates[1][1]["SyncToken"]) == ("101", "0")
    assert len(fake_quickbooks.receipts["SalesReceipt"]) == 1
    assert "pi_paid_2" in fake_quickbooks.receipts["SalesReceipt"][0]["PrivateNote"]
    receipt = LedgerReceipt.objects.get()
    assert (receipt.version, receipt.sent_version, receipt.status) == (2, 2, "sent")


def test_a_refused_receipt_is_failed_and_visible_not_retried(
    customer, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given QuickBooks refusing the receipt as invalid (a 400 validation fault)
    paid_booking(customer, frozen_now)
    fake_quickbooks.refuse_with = {
        "Message": "Invalid Reference Id",
        "Detail": "Item 1",
        "code": "2500",
    }

    # When the batch runs, and the dispatcher comes back an hour later
    jobs.sync_quickbooks()
    send_due(frozen_now + timedelta(hours=1))

    # Then one attempt only; the ledger shows the failure and the outbox row is dead
    assert len(fake_quickbooks.creates("SalesReceipt")) == 1
    receipt = LedgerReceipt.objects.get()
    assert receipt.status == ReceiptStatus.FAILED
    assert "Invalid Reference Id" in receipt.last_error
    assert OutboxMessage.objects.get(topic=TOPIC_SEND_RECEIPT).status == OutboxStatus.DEAD


def test_offline_provider_records_receipts_and_calls_no_one(customer, frozen_now):
    # Given the default provider
    _, payment = paid_booking(customer, frozen_now)

    # When the batch runs twice
    assert collect_pending() == 1
    send_due(frozen_now)
    assert collect_pending() == 0

    # Then the ledger holds the sent receipt with the document's exact lines
    receipt = LedgerReceipt.objects.get()
    assert (receipt.status, receipt.quickbooks_id, receipt.total) == (
        "sent",
        f"offline-CS-P{payment.pk}",
        Decimal("146.98"),
    )
    assert [(line["category"], line["amount"]) for line in receipt.document["lines"]] == [
        ("service:massage", "100.00"),
        ("addon", "35.00"),
    ]


def test_a_revoked_access_token_is_refreshed_before_the_retry(
    customer, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given QuickBooks answering 401 to the live-looking access token once
    paid_booking(customer, frozen_now)
    fake_quickbooks.unauthorized_left = 1

    # When the batch runs, then the outbox retries
    jobs.sync_quickbooks()
    send_due(frozen_now + timedelta(hours=1))

    # Then the retry used a refreshed token and the receipt exists once
    assert fake_quickbooks.bearer_tokens == ["Bearer access-0", "Bearer access-1"]
    assert [request["grant_type"] for request in fake_quickbooks.token_requests] == [
        ["refresh_token"]
    ]
    assert len(fake_quickbooks.receipts["SalesReceipt"]) == 1
    assert LedgerReceipt.objects.get().status == ReceiptStatus.SENT


def test_a_customer_already_in_quickbooks_is_found_by_name_not_created_again(
    customer, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    fake_quickbooks.customers.append(
        {"DisplayName": f"{customer.get_full_name()} ({customer.email})", "Id": "77"}
    )
    paid_booking(customer, frozen_now)

    jobs.sync_quickbooks()

    assert fake_quickbooks.customer_requests == []
    assert fake_quickbooks.receipts["SalesReceipt"][0]["CustomerRef"] == {"value": "77"}
