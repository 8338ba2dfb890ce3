"""Receipts (SPEC §5): an email with line items and tax for every charge and every refund,
amounts in Decimal rounded to cents half up; each sent once."""

from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from conftest import local
from coresync.notifications.jobs import drain
from coresync.notifications.models import OutboxMessage
from coresync.payments.models import Payment, Refund
from coresync.payments.receipts import refund_breakdown
from coresync.payments.tests.test_settlement import book, cancel, pay

pytestmark = pytest.mark.django_db


def receipts(kind: str) -> list:
    return [m for m in mail.outbox if kind in m.subject]


def test_a_booking_paid_online_gets_a_receipt_with_its_lines_and_tax(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)
    book(api, addons=["cbd-oil"])
    pay(api, fake_stripe, Payment.objects.get())

    drain()

    [receipt] = receipts("receipt P-")
    text = receipt.body
    assert "Swedish Massage, 60 min: $100.00" in text
    assert "CBD Oil: $25.00" in text
    assert "Subtotal: $125.00" in text
    assert "Tax: $11.09" in text  # 125.00 × 8.875% = 11.09375 → 11.09
    assert "Total: $136.09" in text
    assert "Paid now: $136.09" in text
    assert receipt.alternatives and "$136.09" in receipt.alternatives[0][0]


def test_a_refund_gets_a_receipt_with_its_share_of_the_tax(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # A 90-minute massage: 140.00 + tax 12.43 (12.425 half up) = 152.43, paid in full
    api.force_authenticate(customer)
    reference = book(api, duration=90)["reference"]
    pay(api, fake_stripe, Payment.objects.get())

    # Cancelled six hours ahead: fee 76.22 (half of 152.43, half up), 76.21 refunded
    with time_machine.travel(local(2026, 12, 2, 4), tick=False):
        cancel(api, reference)
        drain()
        drain()

    refund = Refund.objects.get()
    assert refund.amount == Decimal("76.21")
    parts = refund_breakdown(refund)
    # 76.21 × 12.43 / 152.43 = 6.2146… → 6.21; the service part 70.00
    assert (parts["subtotal"], parts["tax"], parts["total"]) == (
        Decimal("70.00"),
        Decimal("6.21"),
        Decimal("76.21"),
    )
    [receipt] = receipts("refund receipt")
    assert "Tax: $6.21" in receipt.body and "Total: $76.21" in receipt.body
    assert "Subtotal: $70.00" in receipt.body


def test_each_receipt_is_written_once(api, customer, frozen_now, stripe_on, fake_stripe):
    api.force_authenticate(customer)
    book(api)
    payment = Payment.objects.get()
    pay(api, fake_stripe, payment)
    pay(api, fake_stripe, payment)  # Stripe's news again, as a new event

    assert OutboxMessage.objects.filter(payload__kind="payment_receipt").count() == 1


def test_a_renewal_gets_a_receipt(spa, stripe_on, fake_stripe):
    from datetime import date

    from coresync.payments import memberships as payment_memberships
    from coresync.payments.tests.test_renewals import member_on

    member_on(spa.plans["premium"], date(2027, 1, 5))

    with time_machine.travel(local(2027, 2, 5, 1), tick=False):
        payment_memberships.renew_memberships()
        drain()

    [receipt] = receipts("receipt P-")
    assert "Premium membership Feb 5 – Mar 5, 2027: $249.00" in receipt.body
    assert "Tax: $0.00" in receipt.body and "Total: $249.00" in receipt.body
