"""Every webhook CoreSync acts on, delivered twice — the same event again, and the same news
as a new event (Stripe may send both) — changes nothing the second time."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from conftest import local, make_customer
from coresync.bookings.models import Booking, BookingHistory
from coresync.bookings.services import cancel_booking, create_booking
from coresync.giftcards.models import GiftCard
from coresync.memberships.models import (
    Membership,
    MembershipHistory,
    MembershipPlan,
    MembershipRenewal,
)
from coresync.notifications.models import OutboxMessage
from coresync.payments.models import Payment, PaymentCustomer, PaymentKind, Refund
from coresync.payments.tests.support import deliver, make_event

pytestmark = pytest.mark.django_db


def state() -> tuple:
    """Everything a webhook may change, without timestamps."""
    return (
        list(Booking.objects.order_by("pk").values_list("status", "hold_expires_at")),
        BookingHistory.objects.count(),
        list(
            Payment.objects.order_by("pk").values_list(
                "status", "amount_refunded", "payment_method_id", "failure_code"
            )
        ),
        list(Refund.objects.order_by("pk").values_list("status", "provider_refund_id")),
        list(PaymentCustomer.objects.order_by("pk").values_list("default_payment_method_id")),
        list(Membership.objects.order_by("pk").values_list("status", "current_period_end")),
        MembershipHistory.objects.count(),
        list(MembershipRenewal.objects.values_list("status", "attempts")),
        list(GiftCard.objects.values_list("status", "balance")),
        sorted(OutboxMessage.objects.values_list("dedupe_key", flat=True), key=str),
    )


def pending_booking_payment(customer, hour: int) -> Payment:
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, hour), awaiting_payment=True
    )
    return Payment.objects.create(
        purpose_key=f"booking:{booking.pk}:full",
        customer=customer,
        booking=booking,
        kind=PaymentKind.FULL,
        amount=booking.total,
        provider="stripe",
        provider_payment_id=f"pi_booking_{hour}",
    )


def intent(payment: Payment, status: str, **extra) -> dict:
    cents = int(payment.amount * 100)
    return {
        "id": payment.provider_payment_id,
        "object": "payment_intent",
        "amount": cents,
        "amount_received": cents if status == "succeeded" else 0,
        "currency": "usd",
        "status": status,
        "customer": "cus_guest",
        "payment_method": "pm_new",
        "metadata": {"coresync_payment": str(payment.uuid)},
        **extra,
    }


@pytest.fixture
def world(api, customer, frozen_now, stripe_on):
    """One of everything a webhook acts on."""
    PaymentCustomer.objects.create(
        user=customer, provider_customer_id="cus_guest", default_payment_method_id="pm_old"
    )
    paid = pending_booking_payment(customer, 10)
    failing = pending_booking_payment(customer, 12)
    processing = pending_booking_payment(customer, 14)
    # A refund CoreSync asked for (a paid booking cancelled in time)
    refunded = pending_booking_payment(customer, 15)
    Payment.objects.filter(pk=refunded.pk).update(status="succeeded", amount_refunded=Decimal("0"))
    cancel_booking(refunded.booking, actor=customer)
    refund = Refund.objects.create(
        purpose_key="payment:refund:1",
        payment=refunded,
        amount=refunded.amount,
        reason="booking_cancelled",
        provider_refund_id="re_1",
    )
    # A membership renewal attempt waiting for Stripe's answer, and a gift card being bought
    member = make_customer("renewing@example.com")
    membership = Membership.objects.create(
        customer=member,
        plan=MembershipPlan.objects.get(slug="base"),
        started_on=date(2026, 11, 1),
        current_period_start=date(2026, 11, 1),
        current_period_end=date(2026, 12, 1),
        billing_anchor_day=1,
    )
    renewal = MembershipRenewal.objects.create(
        membership=membership,
        period_start=date(2026, 12, 1),
        period_end=date(2027, 1, 1),
        plan=membership.plan,
        amount=Decimal("149.00"),
    )
    renewal_payment = Payment.objects.create(
        purpose_key=f"renewal:{renewal.pk}:attempt:1",
        customer=member,
        membership=membership,
        kind=PaymentKind.MEMBERSHIP,
        amount=Decimal("149.00"),
        provider="stripe",
        provider_payment_id="pi_renewal",
    )
    gift = GiftCard.objects.create(
        amount=Decimal("100.00"),
        balance=Decimal("0.00"),
        recipient_email="friend@example.com",
        deliver_on=date(2026, 12, 24),
    )
    gift_payment = Payment.objects.create(
        purpose_key=f"gift_card:{gift.pk}",
        customer=customer,
        kind=PaymentKind.GIFT_CARD,
        amount=Decimal("100.00"),
        provider="stripe",
        provider_payment_id="pi_gift",
    )
    return {
        "payment_intent.succeeded": intent(paid, "succeeded", setup_future_usage="off_session"),
        "payment_intent.payment_failed": intent(
            failing,
            "requires_payment_method",
            last_payment_error={"code": "card_declined", "message": "Declined."},
        ),
        "payment_intent.processing": intent(processing, "processing"),
        "payment_intent.canceled": intent(failing, "canceled"),
        "setup_intent.succeeded": {
            "id": "seti_1",
            "object": "setup_intent",
            "customer": "cus_guest",
            "payment_method": "pm_saved",
        },
        "payment_method.detached": {"id": "pm_old", "object": "payment_method"},
        "refund.updated": {
            "id": "re_1",
            "object": "refund",
            "status": "succeeded",
            "metadata": {"coresync_refund": str(refund.uuid)},
        },
        "renewal paid": intent(renewal_payment, "succeeded"),
        "renewal declined": intent(
            renewal_payment,
            "requires_payment_method",
            last_payment_error={"code": "card_declined", "message": "Declined."},
        ),
        "gift card paid": intent(gift_payment, "succeeded"),
    }


EVENT_TYPES = {
    "renewal paid": "payment_intent.succeeded",
    "renewal declined": "payment_intent.payment_failed",
    "gift card paid": "payment_intent.succeeded",
}


@pytest.mark.parametrize(
    "case",
    [
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.canceled",
        "setup_intent.succeeded",
        "payment_method.detached",
        "refund.updated",
        "renewal paid",
        "renewal declined",
        "gift card paid",
    ],
)
def test_a_webhook_delivered_twice_changes_nothing_the_second_time(api, world, case):
    event_type = EVENT_TYPES.get(case, case)
    body = make_event(event_type, world[case], event_id=f"evt_{case.replace(' ', '_')}")

    before = state()
    with time_machine.travel(local(2026, 12, 1, 8, 5), tick=False):
        first = deliver(api, body)
        assert first.status_code == 200, first.content
        assert first.json()["status"] == "processed"
        after_first = state()
        assert after_first != before  # the first delivery did its work

        again = deliver(api, body)
        as_new_event = deliver(api, make_event(event_type, world[case]))

    assert again.json()["status"] == "duplicate"
    assert as_new_event.status_code == 200
    assert state() == after_first
