"""What each kind of money movement becomes in QuickBooks: the exact lines, tax and total
(offline provider: the ledger holds the document that would be sent)."""

from decimal import Decimal

import pytest

from coresync.accounting import jobs
from coresync.accounting.models import LedgerReceipt
from coresync.payments.models import Payment, PaymentKind, PaymentStatus
from coresync.shop.models import Product
from coresync.shop.services import (
    OrderItem,
    complete_order,
    mark_order_ready,
    place_order,
    process_order,
)

pytestmark = pytest.mark.django_db


def lines(receipt):
    return [
        (
            line["description"],
            line["category"],
            line["quantity"],
            line["unit_price"],
            line["amount"],
        )
        for line in receipt.document["lines"]
    ]


def test_a_picked_up_shop_order_is_one_receipt_with_a_line_per_product(
    customer, manager, frozen_now
):
    # Given an order of two serums and a candle, picked up
    Product.objects.create(
        slug="serum", name="Vitamin C Serum", category="skincare", price=Decimal("80.00"), stock=5
    )
    Product.objects.create(
        slug="candle",
        name="Lavender Candle",
        category="accessories",
        price=Decimal("24.50"),
        stock=5,
    )
    order = place_order(customer, [OrderItem("serum", 2), OrderItem("candle", 1)])
    jobs.sync_quickbooks()
    assert not LedgerReceipt.objects.exists()  # not paid yet: nothing to record
    for step in (process_order, mark_order_ready, complete_order):
        order = step(order, actor=manager, now=frozen_now)

    # When the batch runs
    jobs.sync_quickbooks()

    # Then one sales receipt: a line per product, the order's tax and total
    receipt = LedgerReceipt.objects.get()
    assert receipt.entity == f"order:{order.pk}"
    assert lines(receipt) == [
        ("Vitamin C Serum", "product:skincare", "2", "80.00", "160.00"),
        ("Lavender Candle", "product:accessories", "1", "24.50", "24.50"),
    ]
    assert (receipt.document["tax"], receipt.document["total"]) == ("16.37", "200.87")
    assert receipt.document["doc_number"] == order.reference


@pytest.mark.parametrize(
    ("kind", "description", "category"),
    [
        (PaymentKind.FEE, "Late cancellation fee", "fee"),
        (PaymentKind.MEMBERSHIP, "Base membership, December", "membership"),
    ],
)
def test_a_fee_or_membership_charge_is_one_untaxed_line(
    customer, frozen_now, kind, description, category
):
    payment = Payment.objects.create(
        purpose_key=f"{kind}:1",
        customer=customer,
        kind=kind,
        amount=Decimal("149.00"),
        status=PaymentStatus.SUCCEEDED,
        provider="stripe",
        provider_payment_id="pi_1",
        description=description,
        succeeded_at=frozen_now,
    )

    jobs.sync_quickbooks()

    receipt = LedgerReceipt.objects.get()
    assert receipt.entity == f"payment:{payment.pk}"
    assert lines(receipt) == [(description, category, "1", "149.00", "149.00")]
    assert receipt.document["lines"][0]["taxable"] is False
    assert (receipt.document["tax"], receipt.document["total"]) == ("0.00", "149.00")
    assert receipt.document["customer"] == {
        "name": customer.get_full_name(),
        "email": customer.email,
    }


def test_payments_not_captured_are_not_recorded(customer, frozen_now):
    for status in (PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.CANCELED):
        Payment.objects.create(
            purpose_key=f"fee:{status}",
            customer=customer,
            kind=PaymentKind.FEE,
            amount=Decimal("20.00"),
            status=status,
            provider="stripe",
        )

    assert jobs.sync_quickbooks() == 0
    assert not LedgerReceipt.objects.exists()


def test_a_booking_paid_at_the_spa_is_recorded_when_completed(customer, manager, frozen_now):
    from conftest import local
    from coresync.bookings.services import check_in_booking, complete_booking, create_booking

    # Given the default "pay at the spa": a Swedish massage with CBD oil, no payment row
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 1, 9),
        addon_slugs=["cbd-oil"],
        enforce_booking_window=False,
    )
    jobs.sync_quickbooks()
    assert not LedgerReceipt.objects.exists()  # not delivered yet

    # When the guest comes, is served and pays at the desk
    booking = check_in_booking(booking, actor=manager, now=local(2026, 12, 1, 8, 55))
    booking = complete_booking(booking, actor=manager, now=local(2026, 12, 1, 10, 5))
    jobs.sync_quickbooks()

    # Then one sales receipt with the booking's lines, tax and total
    receipt = LedgerReceipt.objects.get()
    assert receipt.entity == f"booking:{booking.pk}"
    assert lines(receipt) == [
        (
            f"Swedish Massage, 60 min ({booking.reference})",
            "service:massage",
            "1",
            "100.00",
            "100.00",
        ),
        ("CBD Oil", "addon", "1", "25.00", "25.00"),
    ]
    assert (receipt.document["tax"], receipt.document["total"]) == ("11.09", "136.09")
    assert jobs.sync_quickbooks() == 0
