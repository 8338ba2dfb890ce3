"""Payment endpoints: saving a card on file, the caller's payments."""

from decimal import Decimal

import pytest

from conftest import local, make_customer
from coresync.bookings.services import create_booking
from coresync.payments.models import Payment, PaymentCustomer, PaymentKind, Refund
from coresync.payments.tests.support import deliver, make_event

pytestmark = pytest.mark.django_db


def test_setup_intent_returns_a_client_secret_for_stripe_elements(
    api, customer, stripe_on, fake_stripe
):
    api.force_authenticate(customer)

    response = api.post("/api/v1/payments/setup-intent/")

    assert response.status_code == 201, response.content
    assert response.json() == {
        "provider": "stripe",
        "client_secret": "seti_0002_secret_test",
        "publishable_key": "pk_test_coresync",
    }
    customer_call, setup_call = fake_stripe.requests
    assert setup_call.path == "/v1/setup_intents"
    assert (setup_call.params["customer"], setup_call.params["usage"]) == (
        "cus_0001",
        "off_session",
    )
    assert setup_call.idempotency_key.startswith("setup-")
    assert customer_call.idempotency_key == f"customer-{PaymentCustomer.objects.get().uuid}"


def test_a_second_setup_intent_reuses_the_stripe_customer(api, customer, stripe_on, fake_stripe):
    api.force_authenticate(customer)
    api.post("/api/v1/payments/setup-intent/")

    api.post("/api/v1/payments/setup-intent/")

    assert len(fake_stripe.posts("/v1/customers")) == 1
    assert len(fake_stripe.posts("/v1/setup_intents")) == 2


def test_setup_intent_with_pay_at_the_spa_is_409(api, customer, fake_stripe):
    api.force_authenticate(customer)

    response = api.post("/api/v1/payments/setup-intent/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "online_payments_disabled"
    assert fake_stripe.requests == []
    assert PaymentCustomer.objects.count() == 0


def test_setup_intent_needs_a_login(api):
    assert api.post("/api/v1/payments/setup-intent/").status_code == 401


def test_a_confirmed_setup_intent_becomes_the_card_on_file(api, customer, stripe_on, fake_stripe):
    api.force_authenticate(customer)
    api.post("/api/v1/payments/setup-intent/")

    response = deliver(
        api,
        make_event(
            "setup_intent.succeeded",
            {
                "id": "seti_0002",
                "object": "setup_intent",
                "customer": "cus_0001",
                "payment_method": "pm_saved",
                "status": "succeeded",
            },
        ),
    )

    assert response.status_code == 200
    stripe_customer = PaymentCustomer.objects.get(user=customer)
    assert stripe_customer.default_payment_method_id == "pm_saved"
    assert stripe_customer.has_card_on_file

    # and a card removed at Stripe is no longer on file
    deliver(
        api,
        make_event("payment_method.detached", {"id": "pm_saved", "object": "payment_method"}),
    )
    stripe_customer.refresh_from_db()
    assert not stripe_customer.has_card_on_file


def test_payments_list_shows_only_the_callers_own(api, customer, frozen_now, stripe_on):
    other = make_customer("other@example.com")
    mine = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    theirs = create_booking(customer=other, service="swedish", start=local(2026, 12, 2, 11))
    payment = Payment.objects.create(
        purpose_key="booking:1:full",
        customer=customer,
        booking=mine,
        kind=PaymentKind.FULL,
        amount=Decimal("108.88"),
        amount_refunded=Decimal("54.44"),
        status="succeeded",
        provider="stripe",
        provider_payment_id="pi_mine",
    )
    Refund.objects.create(
        purpose_key="payment:1:refund:1",
        payment=payment,
        amount=Decimal("54.44"),
        status="succeeded",
        reason="booking_cancelled",
    )
    Payment.objects.create(
        purpose_key="booking:2:full",
        customer=other,
        booking=theirs,
        kind=PaymentKind.FULL,
        amount=Decimal("108.88"),
        provider="stripe",
    )
    api.force_authenticate(customer)

    response = api.get("/api/v1/payments/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [row] = body["results"]
    assert {key: row[key] for key in ("id", "kind", "status", "amount", "amount_refunded")} == {
        "id": str(payment.uuid),
        "kind": "full",
        "status": "succeeded",
        "amount": "108.88",
        "amount_refunded": "54.44",
    }
    assert row["booking"] == mine.reference
    assert [(refund["amount"], refund["reason"]) for refund in row["refunds"]] == [
        ("54.44", "booking_cancelled")
    ]
    assert "provider_payment_id" not in row


def test_payments_list_needs_a_login(api):
    assert api.get("/api/v1/payments/").status_code == 401
