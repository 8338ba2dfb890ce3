"""Refunds and fees after a cancellation, a no-show or an expired hold, per the policy
(spa default: free until 24 h before, then 50%; no-show 100%)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from conftest import local
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking, expire_holds, mark_no_show
from coresync.notifications.models import OutboxMessage, OutboxStatus
from coresync.payments.jobs import SETTLE_BOOKING
from coresync.payments.models import (
    Payment,
    PaymentCustomer,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from coresync.payments.services import settle_booking
from coresync.payments.tests.support import deliver, make_event, run_payment_jobs

pytestmark = pytest.mark.django_db


def book(api, start: str = "2026-12-02T10:00:00-05:00", key: str = "key-1", **payload):
    body = {"service": "swedish", "start": start, **payload}
    response = api.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    return response.json()


def pay(api, fake_stripe, payment: Payment, payment_method: str = "pm_card_visa"):
    """The customer pays on the page; Stripe sends payment_intent.succeeded."""
    intent = fake_stripe.set_intent_status(
        payment.provider_payment_id, "succeeded", payment_method=payment_method
    )
    response = deliver(api, make_event("payment_intent.succeeded", intent))
    assert response.status_code == 200, response.content
    return intent


def cancel(api, reference: str):
    response = api.post(f"/api/v1/bookings/{reference}/cancel/", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def paid_booking(api, customer, frozen_now, stripe_on, fake_stripe):
    """A booking tomorrow at 10:00 (26 h ahead), paid in full online (108.88)."""
    api.force_authenticate(customer)
    reference = book(api)["reference"]
    payment = Payment.objects.get()
    pay(api, fake_stripe, payment)
    return Booking.objects.get(reference=reference)


def test_free_cancellation_refunds_everything(api, paid_booking, fake_stripe):
    # When the customer cancels 26 hours ahead (free)
    body = cancel(api, paid_booking.reference)
    assert body["cancellation_fee"] == "0.00"
    # (the cancellation itself calls no one: the refund is an outbox job, run after commit)
    assert fake_stripe.refund_requests() == []
    assert OutboxMessage.objects.get(topic=SETTLE_BOOKING).payload == {
        "booking_id": paid_booking.pk,
        "cause": "booking.cancelled",
    }

    # Then the settlement job refunds the whole payment once
    assert run_payment_jobs() == 1
    [call] = fake_stripe.refund_requests()
    payment = Payment.objects.get()
    refund = Refund.objects.get()
    assert (call.params["amount"], call.params["payment_intent"]) == ("10888", "pi_0002")
    assert call.idempotency_key == f"refund-{refund.uuid}"
    assert (refund.amount, refund.status, refund.reason, refund.provider_refund_id) == (
        Decimal("108.88"),
        RefundStatus.SUCCEEDED,
        RefundReason.BOOKING_CANCELLED,
        "re_0003",
    )
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("108.88")

    # And running it again refunds nothing more
    assert run_payment_jobs() == 0
    settle_booking(paid_booking.pk)
    assert len(fake_stripe.refund_requests()) == 1
    assert Refund.objects.count() == 1


def test_late_cancellation_refunds_the_total_minus_the_50_percent_fee(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given a 90-minute massage today at 14:00 (6 h ahead), paid in full: 152.43
    api.force_authenticate(customer)
    booking = book(api, start="2026-12-01T14:00:00-05:00", duration=90)
    assert booking["price"]["total"] == "152.43"
    pay(api, fake_stripe, Payment.objects.get())

    # When the customer cancels inside the 24-hour window
    body = cancel(api, booking["reference"])

    # Then the fee is 50% (76.215 → 76.22) and the rest, 76.21, is refunded
    assert body["cancellation_fee"] == "76.22"
    run_payment_jobs()
    [call] = fake_stripe.refund_requests()
    assert call.params["amount"] == "7621"
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("76.21"), RefundStatus.SUCCEEDED)
    assert Payment.objects.get().amount_refunded == Decimal("76.21")
    assert Payment.objects.filter(kind=PaymentKind.FEE).count() == 0


def test_a_waived_late_fee_refunds_everything(
    api, customer, manager, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)
    booking = book(api, start="2026-12-01T14:00:00-05:00")
    pay(api, fake_stripe, Payment.objects.get())
    api.force_authenticate(manager)

    response = api.post(
        f"/api/v1/bookings/{booking['reference']}/cancel/", {"waive_fee": True}, format="json"
    )

    assert response.json()["cancellation_fee"] == "0.00"
    run_payment_jobs()
    assert [call.params["amount"] for call in fake_stripe.refund_requests()] == ["10888"]


def test_payment_succeeding_after_the_cancellation_is_refunded(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given a pending booking the customer pays for on the page…
    api.force_authenticate(customer)
    reference = book(api)["reference"]
    payment = Payment.objects.get()
    intent = fake_stripe.set_intent_status(
        payment.provider_payment_id, "succeeded", payment_method="pm_card_visa"
    )

    # …and cancels before Stripe's event arrives (the intent can no longer be cancelled)
    cancel(api, reference)
    run_payment_jobs()
    assert [call.path for call in fake_stripe.posts("/v1/payment_intents/")] == [
        f"/v1/payment_intents/{payment.provider_payment_id}/cancel"
    ]
    assert fake_stripe.refund_requests() == []

    # When payment_intent.succeeded arrives after the cancellation
    response = deliver(api, make_event("payment_intent.succeeded", intent))
    run_payment_jobs()

    # Then the booking stays cancelled and the payment is refunded in full (free cancellation)
    assert response.status_code == 200
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CANCELLED
    assert not booking.history.filter(action="booking.confirmed").exists()
    [call] = fake_stripe.refund_requests()
    assert call.params["amount"] == "10888"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (
        PaymentStatus.SUCCEEDED,
        Decimal("108.88"),
    )


def test_cancelling_an_unpaid_booking_cancels_its_payment_intent(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)
    reference = book(api)["reference"]

    cancel(api, reference)
    run_payment_jobs()

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CANCELED
    assert fake_stripe.intents[payment.provider_payment_id]["status"] == "canceled"
    assert fake_stripe.refund_requests() == []
    assert Payment.objects.filter(kind=PaymentKind.FEE).count() == 0


def test_payment_after_the_hold_expired_is_refunded_in_full(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given a pending booking whose 15-minute hold runs out before the payment is reported
    api.force_authenticate(customer)
    reference = book(api)["reference"]
    payment = Payment.objects.get()
    intent = fake_stripe.set_intent_status(payment.provider_payment_id, "succeeded")

    with time_machine.travel(frozen_now + timedelta(minutes=16), tick=False):
        # When payment_intent.succeeded arrives
        response = deliver(api, make_event("payment_intent.succeeded", intent))
        run_payment_jobs()

    # Then the booking is expired (its slot may be someone else's) and the money goes back
    assert response.status_code == 200
    assert Booking.objects.get(reference=reference).status == BookingStatus.EXPIRED
    [call] = fake_stripe.refund_requests()
    assert call.params["amount"] == "10888"
    assert Refund.objects.get().reason == RefundReason.HOLD_EXPIRED


def test_an_expired_unpaid_hold_cancels_its_payment_intent(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)
    book(api)

    with time_machine.travel(frozen_now + timedelta(minutes=16), tick=False):
        assert expire_holds() == 1
        run_payment_jobs()

    assert Payment.objects.get().status == PaymentStatus.CANCELED
    assert fake_stripe.refund_requests() == []


@pytest.fixture
def card_on_file(customer):
    return PaymentCustomer.objects.create(
        user=customer,
        provider="stripe",
        provider_customer_id="cus_saved",
        default_payment_method_id="pm_saved_card",
    )


def test_no_show_fee_is_charged_to_the_card_on_file_once(
    customer, manager, card_on_file, frozen_now, stripe_on, fake_stripe
):
    # Given a confirmed booking made at the desk (nothing paid yet) and a card on file
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 1, 10))
    assert booking.status == BookingStatus.CONFIRMED

    # When the guest does not come
    with time_machine.travel(local(2026, 12, 1, 10, 30), tick=False):
        mark_no_show(booking, actor=manager)
        run_payment_jobs()
        # (and the settlement runs again, as a retried job would)
        settle_booking(booking.pk)
        run_payment_jobs()

    # Then the no-show fee (100% of 108.88) was charged off-session, once
    [call] = fake_stripe.intent_requests()
    fee = Payment.objects.get(kind=PaymentKind.FEE)
    assert call.idempotency_key == f"payment-{fee.uuid}"
    assert {
        key: call.params[key]
        for key in ("amount", "currency", "customer", "payment_method", "off_session", "confirm")
    } == {
        "amount": "10888",
        "currency": "usd",
        "customer": "cus_saved",
        "payment_method": "pm_saved_card",
        "off_session": "true",
        "confirm": "true",
    }
    assert (fee.amount, fee.status, fee.booking_id, fee.purpose_key) == (
        Decimal("108.88"),
        PaymentStatus.SUCCEEDED,
        booking.pk,
        f"booking:{booking.pk}:fee",
    )
    assert Payment.objects.count() == 1


def test_a_declined_no_show_fee_is_recorded_and_not_retried(
    customer, manager, card_on_file, frozen_now, stripe_on, fake_stripe
):
    fake_stripe.decline_off_session = "card_declined"
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 1, 10))

    with time_machine.travel(local(2026, 12, 1, 10, 30), tick=False):
        mark_no_show(booking, actor=manager)
        run_payment_jobs()
        settle_booking(booking.pk)

    fee = Payment.objects.get(kind=PaymentKind.FEE)
    assert (fee.status, fee.failure_code, fee.failure_message, fee.provider_payment_id) == (
        PaymentStatus.FAILED,
        "card_declined",
        "Your card was declined.",
        "pi_0001",
    )
    assert len(fake_stripe.intent_requests()) == 1


def test_no_show_without_a_card_on_file_charges_nothing(
    customer, manager, frozen_now, stripe_on, fake_stripe
):
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 1, 10))

    with time_machine.travel(local(2026, 12, 1, 10, 30), tick=False):
        mark_no_show(booking, actor=manager)
        run_payment_jobs()

    assert Payment.objects.count() == 0
    assert fake_stripe.requests == []


def test_no_show_of_a_booking_paid_in_full_keeps_the_payment(
    api, paid_booking, manager, fake_stripe
):
    with time_machine.travel(local(2026, 12, 2, 10, 30), tick=False):
        mark_no_show(paid_booking, actor=manager)
        run_payment_jobs()

    assert fake_stripe.refund_requests() == []
    assert len(fake_stripe.intent_requests()) == 1  # the booking's own payment only
    assert Payment.objects.get().amount_refunded == Decimal("0.00")


def test_late_cancellation_of_a_deposit_charges_the_rest_of_the_fee_to_the_saved_card(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given a 30% deposit (32.66 of 108.88) paid today for 14:00; the card is kept
    stripe_on.PAYMENT_DEPOSIT_PERCENT = 30
    api.force_authenticate(customer)
    reference = book(api, start="2026-12-01T14:00:00-05:00")["reference"]
    pay(api, fake_stripe, Payment.objects.get(), payment_method="pm_from_deposit")

    # When the customer cancels late: the fee is 54.44
    assert cancel(api, reference)["cancellation_fee"] == "54.44"
    run_payment_jobs()

    # Then the deposit is kept and the missing 21.78 is charged to the saved card
    fee = Payment.objects.get(kind=PaymentKind.FEE)
    assert (fee.amount, fee.status) == (Decimal("21.78"), PaymentStatus.SUCCEEDED)
    fee_call = fake_stripe.intent_requests()[-1]
    assert (fee_call.params["amount"], fee_call.params["payment_method"]) == (
        "2178",
        "pm_from_deposit",
    )
    assert fake_stripe.refund_requests() == []


def test_a_transient_refund_failure_is_retried_with_the_same_key(
    api, paid_booking, fake_stripe, frozen_now
):
    # Given Stripe fails the first refund attempt
    fake_stripe.fail_once("/v1/refunds", status=503)
    cancel(api, paid_booking.reference)

    # When the job runs: it fails and is scheduled again
    run_payment_jobs()
    message = OutboxMessage.objects.get(topic=SETTLE_BOOKING)
    assert message.status == OutboxStatus.FAILED
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.PENDING

    # And later succeeds, with the same idempotency key: one refund in all
    with time_machine.travel(frozen_now + timedelta(hours=2), tick=False):
        assert run_payment_jobs() == 1
    keys = [call.idempotency_key for call in fake_stripe.refund_requests()]
    assert keys == [f"refund-{refund.uuid}"] * 2
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert Refund.objects.count() == 1


def test_a_refund_that_fails_later_gives_the_amount_back(api, paid_booking, fake_stripe):
    cancel(api, paid_booking.reference)
    run_payment_jobs()
    refund = Refund.objects.get()
    stripe_refund = {
        **fake_stripe.refunds[refund.provider_refund_id],
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
    }

    response = deliver(api, make_event("refund.updated", stripe_refund))

    assert response.status_code == 200
    refund.refresh_from_db()
    assert (refund.status, refund.failure_message) == (
        RefundStatus.FAILED,
        "expired_or_canceled_card",
    )
    assert Payment.objects.get().amount_refunded == Decimal("0.00")
