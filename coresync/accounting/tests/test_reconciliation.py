"""The nightly reconciliation finds what QuickBooks lacks or holds wrong, and tells the
managers (QuickBooks through the recorded-behaviour fake)."""

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from coresync.accounting import jobs
from coresync.accounting.models import MismatchKind, ReconciliationRun
from coresync.accounting.reconciliation import TOPIC_REPORT_EMAIL, reconcile_day
from coresync.accounting.tests.test_receipts import paid_booking
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

DECEMBER_1 = date(2026, 12, 1)


def membership_charge(customer, now, amount="149.00"):
    return Payment.objects.create(
        purpose_key=f"renewal:{customer.pk}:attempt:1",
        customer=customer,
        kind=PaymentKind.MEMBERSHIP,
        amount=Decimal(amount),
        status=PaymentStatus.SUCCEEDED,
        provider="stripe",
        provider_payment_id="pi_membership_1",
        description="Base membership, December",
        succeeded_at=now,
    )


def test_reconciliation_finds_a_missing_receipt_and_an_amount_mismatch(
    customer, base_member, manager, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given two payments sent to QuickBooks on December 1...
    _, booking_payment = paid_booking(customer, frozen_now)
    membership = membership_charge(base_member, frozen_now)
    jobs.sync_quickbooks()
    assert len(fake_quickbooks.receipts["SalesReceipt"]) == 2
    # ...then someone edits the booking's receipt in QuickBooks and deletes the membership's
    receipts = {r["PrivateNote"].split()[0]: r for r in fake_quickbooks.receipts["SalesReceipt"]}
    booking_receipt = receipts[f"coresync:payment:{booking_payment.pk}"]
    membership_receipt = receipts[f"coresync:payment:{membership.pk}"]
    booking_receipt["TotalAmt"] = "136.98"
    fake_quickbooks.receipts["SalesReceipt"].remove(membership_receipt)
    # and a manual receipt of another day exists (not part of December 1)
    fake_quickbooks.plant("SalesReceipt", TxnDate="2026-11-30", TotalAmt="10.00")

    # When the night's reconciliation of December 1 runs
    run = reconcile_day(DECEMBER_1, now=frozen_now + timedelta(days=1))

    # Then it lists exactly the two differences, with the amounts
    assert run.error == ""
    assert run.checked == 2
    assert sorted(
        (m.kind, m.entity, m.expected, m.actual, m.quickbooks_ids) for m in run.mismatches.all()
    ) == [
        (
            MismatchKind.AMOUNT_DIFFERS,
            f"payment:{booking_payment.pk}",
            Decimal("146.98"),
            Decimal("136.98"),
            [booking_receipt["Id"]],
        ),
        (MismatchKind.MISSING, f"payment:{membership.pk}", Decimal("149.00"), None, []),
    ]

    # And the manager gets them by email
    assert dispatch_due(topics=[TOPIC_REPORT_EMAIL]) == 1
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [manager.email]
    assert email.subject == "QuickBooks reconciliation 2026-12-01: 2 difference(s)"
    assert f"Amount differs: payment:{booking_payment.pk} expected $146.98 found $136.98" in (
        email.body
    )
    assert f"Missing in QuickBooks: payment:{membership.pk} expected $149.00" in email.body


def test_reconciliation_finds_a_duplicate_and_a_receipt_unknown_to_coresync(
    customer, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given a sent receipt, a copy of it made by hand, and a receipt of a payment we never had
    _, payment = paid_booking(customer, frozen_now)
    jobs.sync_quickbooks()
    original = fake_quickbooks.receipts["SalesReceipt"][0]
    fake_quickbooks.plant(
        "SalesReceipt",
        TxnDate="2026-12-01",
        TotalAmt="146.98",
        PrivateNote=original["PrivateNote"],
    )
    fake_quickbooks.plant(
        "SalesReceipt", TxnDate="2026-12-01", TotalAmt="20.00", PrivateNote="coresync:order:999"
    )

    run = reconcile_day(DECEMBER_1, now=frozen_now)

    assert sorted((m.kind, m.entity, m.actual) for m in run.mismatches.all()) == [
        (MismatchKind.DUPLICATE, f"payment:{payment.pk}", Decimal("293.96")),
        (MismatchKind.UNKNOWN, "order:999", Decimal("20.00")),
    ]


def test_a_clean_day_records_the_run_and_sends_no_email(customer, manager, frozen_now):
    # Given the offline provider and a payment recorded and sent
    paid_booking(customer, frozen_now)
    jobs.sync_quickbooks()

    run = reconcile_day(DECEMBER_1, now=frozen_now)

    assert (run.checked, run.mismatches.count(), run.error) == (1, 0, "")
    assert dispatch_due(topics=[TOPIC_REPORT_EMAIL]) == 0


def test_an_unreachable_quickbooks_is_a_failed_run_the_managers_hear_of(
    customer, manager, frozen_now, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given a payment, and QuickBooks answering 503 to the day's query
    paid_booking(customer, frozen_now)
    fake_quickbooks.query_down = True

    run = reconcile_day(DECEMBER_1, now=frozen_now)

    assert "QuickBooks error" in run.error
    assert ReconciliationRun.objects.count() == 1
    assert dispatch_due(topics=[TOPIC_REPORT_EMAIL]) == 1
    assert "could not finish" in mail.outbox[0].body


def test_reconciliation_compares_stripes_charges_with_the_payments(
    customer, base_member, frozen_now, settings, quickbooks_on, fake_quickbooks, connected, mapping
):
    # Given Stripe as the payment provider, two payments sent to QuickBooks...
    from coresync.payments.tests.conftest import stripe_on

    stripe_on.__wrapped__(settings)
    _, booking_payment = paid_booking(customer, frozen_now)
    membership = membership_charge(base_member, frozen_now)
    # ...two refunds CoreSync made on the booking's payment...
    known, short = (
        Refund.objects.create(
            purpose_key=f"test:refund:{index}",
            payment=booking_payment,
            amount=Decimal(amount),
            status=RefundStatus.SUCCEEDED,
            reason=RefundReason.REQUESTED,
            provider_refund_id=refund_id,
        )
        for index, (refund_id, amount) in enumerate((("re_known", "20.00"), ("re_short", "10.00")))
    )
    jobs.sync_quickbooks()
    # ...and Stripe's charges of the day: the booking's, the membership's for $159.00 (not
    # $149.00), and one CoreSync never recorded
    intent = {"object": "payment_intent", "status": "succeeded", "created": 1796130000}
    fake_quickbooks.mock.add(
        "GET",
        re.compile(r"https://api\.stripe\.com/v1/payment_intents\?.*"),
        json={
            "object": "list",
            "url": "/v1/payment_intents",
            "has_more": False,
            "data": [
                {**intent, "id": "pi_paid_1", "amount": 14698, "amount_received": 14698},
                {**intent, "id": "pi_membership_1", "amount": 15900, "amount_received": 15900},
                {**intent, "id": "pi_stranger", "amount": 3000, "amount_received": 3000},
                {
                    **intent,
                    "id": "pi_open",
                    "status": "requires_payment_method",
                    "amount": 500,
                    "amount_received": 0,
                },
            ],
        },
    )

    # ...and Stripe's refunds of the day: the first as recorded, the second for $12.00, one
    # CoreSync never made, and one still pending at Stripe (no money moved yet)
    refund = {"object": "refund", "status": "succeeded", "created": 1796130000}
    fake_quickbooks.mock.add(
        "GET",
        re.compile(r"https://api\.stripe\.com/v1/refunds\?.*"),
        json={
            "object": "list",
            "url": "/v1/refunds",
            "has_more": False,
            "data": [
                {**refund, "id": "re_known", "amount": 2000},
                {**refund, "id": "re_short", "amount": 1200},
                {**refund, "id": "re_stranger", "amount": 700},
                {**refund, "id": "re_pending", "status": "pending", "amount": 900},
            ],
        },
    )

    run = reconcile_day(DECEMBER_1, now=frozen_now)

    # Then the Stripe differences are listed; the QuickBooks side matches
    assert sorted(
        (m.kind, m.entity, m.reference, m.expected, m.actual) for m in run.mismatches.all()
    ) == [
        (
            MismatchKind.STRIPE_REFUND_AMOUNT,
            f"refund:{short.pk}",
            "re_short",
            Decimal("10.00"),
            Decimal("12.00"),
        ),
        (MismatchKind.STRIPE_REFUND_MISSING, "", "re_stranger", None, Decimal("7.00")),
        (
            MismatchKind.STRIPE_AMOUNT,
            f"payment:{membership.pk}",
            "pi_membership_1",
            Decimal("149.00"),
            Decimal("159.00"),
        ),
        (MismatchKind.STRIPE_MISSING, "", "pi_stranger", None, Decimal("30.00")),
    ]
    assert known.provider_refund_id == "re_known"
    stripe_url = next(
        call.request.url
        for call in fake_quickbooks.mock.calls
        if "api.stripe.com" in call.request.url
    )
    query = parse_qs(urlsplit(stripe_url).query)
    assert (query["created[gte]"], query["created[lt]"]) == (["1796101200"], ["1796187600"])
    assert booking_payment.provider_payment_id == "pi_paid_1"
