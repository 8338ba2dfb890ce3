"""Booking with a payment: pay at the spa (default) or online with Stripe (real SDK, fake API)."""

from decimal import Decimal

import pytest

from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import confirm_booking
from coresync.core import audit
from coresync.payments.models import Payment, PaymentCustomer, PaymentKind, PaymentStatus
from coresync.payments.tests.support import deliver, make_event

pytestmark = pytest.mark.django_db


def book(api, key: str = "key-1", **payload):
    body = {"service": "swedish", "start": "2026-12-02T10:00:00-05:00", **payload}
    return api.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_pay_at_the_spa_confirms_at_once_and_calls_no_one(api, customer, frozen_now, fake_stripe):
    # Given the default provider (pay at the spa)
    api.force_authenticate(customer)

    # When the customer books
    response = book(api)

    # Then the booking is confirmed, the total is due at the spa, and nothing was called
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["payment"] == {
        "provider": "onsite",
        "client_secret": None,
        "amount": "108.88",
        "currency": "USD",
    }
    assert Payment.objects.count() == 0
    assert fake_stripe.requests == []


def test_booking_paid_with_stripe_is_pending_with_a_client_secret(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given Stripe is the provider
    api.force_authenticate(customer)

    # When the customer books
    response = book(api)

    # Then the booking holds its slot, pending, and the page gets the intent's client secret
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["hold_expires_at"] == "2026-12-01T08:15:00-05:00"
    assert body["price"]["total"] == "108.88"
    assert body["payment"] == {
        "provider": "stripe",
        "client_secret": "pi_0002_secret_test",
        "amount": "108.88",
        "currency": "USD",
    }
    booking = Booking.objects.get()
    payment = Payment.objects.get()
    stripe_customer = PaymentCustomer.objects.get(user=customer)
    assert (
        payment.booking,
        payment.customer,
        payment.kind,
        payment.amount,
        payment.status,
        payment.provider,
        payment.provider_payment_id,
        payment.provider_customer_id,
    ) == (
        booking,
        customer,
        PaymentKind.FULL,
        Decimal("108.88"),
        PaymentStatus.PENDING,
        "stripe",
        "pi_0002",
        "cus_0001",
    )
    # And Stripe was asked through the SDK, with the secret key and an idempotency key each
    customer_call, intent_call = fake_stripe.requests
    assert customer_call.path == "/v1/customers"
    assert customer_call.params["email"] == "guest@example.com"
    assert customer_call.idempotency_key == f"customer-{stripe_customer.uuid}"
    assert intent_call.path == "/v1/payment_intents"
    assert intent_call.authorization == "Bearer sk_test_coresync"
    assert intent_call.idempotency_key == f"payment-{payment.uuid}"
    assert {
        key: intent_call.params[key]
        for key in (
            "amount",
            "currency",
            "customer",
            "setup_future_usage",
            "metadata[coresync_booking]",
            "metadata[coresync_payment]",
        )
    } == {
        "amount": "10888",
        "currency": "usd",
        "customer": "cus_0001",
        "setup_future_usage": "off_session",
        "metadata[coresync_booking]": booking.reference,
        "metadata[coresync_payment]": str(payment.uuid),
    }


def test_succeeded_webhook_confirms_the_booking_and_keeps_the_card(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given a booking waiting for its payment
    api.force_authenticate(customer)
    reference = book(api).json()["reference"]
    payment = Payment.objects.get()

    # When Stripe reports the payment succeeded
    intent = fake_stripe.set_intent_status(
        payment.provider_payment_id, "succeeded", payment_method="pm_card_visa"
    )
    response = deliver(api, make_event("payment_intent.succeeded", intent))

    # Then the booking is confirmed, the payment recorded and the card kept on file
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "status": "processed"}
    booking = Booking.objects.get(reference=reference)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.hold_expires_at is None
    payment.refresh_from_db()
    assert (payment.status, payment.payment_method_id) == (PaymentStatus.SUCCEEDED, "pm_card_visa")
    assert payment.succeeded_at == frozen_now
    stripe_customer = PaymentCustomer.objects.get(user=customer)
    assert stripe_customer.default_payment_method_id == "pm_card_visa"
    assert api.get(f"/api/v1/bookings/{reference}/").json()["status"] == "confirmed"


def test_failed_payment_keeps_the_booking_pending_for_another_try(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)
    book(api)
    payment = Payment.objects.get()
    intent = fake_stripe.set_intent_status(
        payment.provider_payment_id,
        "requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )

    response = deliver(api, make_event("payment_intent.payment_failed", intent))

    assert response.status_code == 200
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code, payment.failure_message) == (
        PaymentStatus.FAILED,
        "card_declined",
        "Your card was declined.",
    )
    assert Booking.objects.get().status == BookingStatus.PENDING


def test_stripe_down_answers_503_and_the_same_request_later_reuses_the_booking(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given Stripe fails to create the PaymentIntent once
    api.force_authenticate(customer)
    fake_stripe.fail_once("/v1/payment_intents", status=500)

    # When the customer books
    first = book(api, key="retry-key")

    # Then the answer says so; the slot stays held by the pending booking
    assert first.status_code == 503, first.content
    assert first.json()["error"]["code"] == "payment_provider_unavailable"
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.PENDING

    # When the page sends the same request again
    second = book(api, key="retry-key")

    # Then it gets the same booking and one PaymentIntent, created with the same key
    assert second.status_code == 201, second.content
    assert second.json()["reference"] == booking.reference
    assert second.json()["payment"]["client_secret"] == "pi_0002_secret_test"
    payment = Payment.objects.get()
    attempts = fake_stripe.intent_requests()
    assert [call.idempotency_key for call in attempts] == [f"payment-{payment.uuid}"] * 2
    assert Booking.objects.count() == 1


def test_an_idempotent_replay_returns_the_same_client_secret(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    api.force_authenticate(customer)
    first = book(api, key="same")
    again = book(api, key="same")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    # The replay asks Stripe again with the payment's own key: Stripe answers with the same
    # PaymentIntent (its idempotent replay), so there is one intent, one Payment row.
    keys = {call.idempotency_key for call in fake_stripe.intent_requests()}
    assert keys == {f"payment-{Payment.objects.get().uuid}"}


def test_a_replay_after_the_webhook_confirmed_the_booking_answers_without_asking_stripe(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given a booking paid and confirmed by the webhook
    api.force_authenticate(customer)
    first = book(api, key="paid")
    booking = Booking.objects.get(reference=first.json()["reference"])
    confirm_booking(booking)
    asked = len(fake_stripe.requests)

    # When the client's retry with the same key arrives late
    again = book(api, key="paid")

    # Then it gets the booking as it is now, with no secret to confirm, and Stripe is not asked
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == booking.reference
    assert again.json()["status"] == "confirmed"
    assert again.json()["payment"]["client_secret"] is None
    assert len(fake_stripe.requests) == asked
    assert Booking.objects.count() == 1


def test_deposit_asks_for_a_share_of_the_total(api, customer, frozen_now, stripe_on, fake_stripe):
    stripe_on.PAYMENT_DEPOSIT_PERCENT = 30
    api.force_authenticate(customer)

    body = book(api).json()

    assert body["payment"]["amount"] == "32.66"  # 30% of 108.88, rounded half up
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount) == (PaymentKind.DEPOSIT, Decimal("32.66"))
    assert fake_stripe.intent_requests()[0].params["amount"] == "3266"


def test_each_change_of_a_payment_is_in_the_audit_log_once(
    api, customer, frozen_now, stripe_on, fake_stripe
):
    # Given a booking payment that fails once, then succeeds, and the success sent twice
    api.force_authenticate(customer)
    book(api)
    payment = Payment.objects.get()
    failed = fake_stripe.set_intent_status(
        payment.provider_payment_id,
        "requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )
    deliver(api, make_event("payment_intent.payment_failed", failed))
    paid = fake_stripe.set_intent_status(
        payment.provider_payment_id, "succeeded", payment_method="pm_card_visa"
    )
    event = make_event("payment_intent.succeeded", paid)
    deliver(api, event)
    deliver(api, event)

    # Then the payment's history names each change once, by the system (the webhook)
    entries = list(audit.history(payment))
    assert [entry.action for entry in reversed(entries)] == ["payment.failed", "payment.succeeded"]
    assert entries[-1].data == {"code": "card_declined"}
    assert all(entry.actor is None for entry in entries)
