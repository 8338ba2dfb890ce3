"""The Stripe webhook endpoint: signatures verified by the SDK, each event processed once."""

import json
import logging
import time

import pytest
from rest_framework.test import APIClient

from conftest import local
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.payments import webhooks
from coresync.payments.models import Payment, PaymentKind, StripeEvent, StripeEventStatus
from coresync.payments.tests.support import WEBHOOK_URL, deliver, make_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_payment(customer, frozen_now, stripe_on):
    """A booking waiting for its payment, whose PaymentIntent is ``pi_pending``."""
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 2, 10),
        awaiting_payment=True,
    )
    return Payment.objects.create(
        purpose_key=f"booking:{booking.pk}:full",
        customer=customer,
        booking=booking,
        kind=PaymentKind.FULL,
        amount=booking.total,
        provider="stripe",
        provider_payment_id="pi_pending",
    )


def succeeded(payment: Payment, event_id: str = "evt_paid") -> str:
    return make_event(
        "payment_intent.succeeded",
        {
            "id": payment.provider_payment_id,
            "object": "payment_intent",
            "amount": 10888,
            "amount_received": 10888,
            "currency": "usd",
            "status": "succeeded",
            "metadata": {"coresync_payment": str(payment.uuid)},
        },
        event_id=event_id,
    )


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="wrong-secret"),
        pytest.param("", id="missing"),
        pytest.param("t=1,v1=deadbeef", id="garbage"),
    ],
)
def test_a_bad_signature_is_400_and_changes_nothing(api, pending_payment, signature):
    body = succeeded(pending_payment)
    if signature is None:
        signature = sign(body, secret="whsec_someone_else")

    response = deliver(api, body, signature=signature)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert StripeEvent.objects.count() == 0
    assert Booking.objects.get().status == BookingStatus.PENDING


def test_a_body_changed_after_signing_is_400(api, pending_payment):
    body = succeeded(pending_payment)
    signature = sign(body)

    response = deliver(api, body.replace("10888", "1"), signature=signature)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_stale_timestamp_is_400(api, pending_payment):
    # Signed correctly, but 301 s ago: outside the SDK's default 300 s tolerance (a replay)
    body = succeeded(pending_payment)

    response = deliver(api, body, signature=sign(body, timestamp=int(time.time()) - 301))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    assert Booking.objects.get().status == BookingStatus.PENDING


def test_a_timestamp_inside_the_tolerance_is_accepted(api, pending_payment):
    body = succeeded(pending_payment)

    response = deliver(api, body, signature=sign(body, timestamp=int(time.time()) - 299))

    assert response.status_code == 200


def test_the_webhook_needs_no_login_and_no_csrf_token(pending_payment):
    client = APIClient(enforce_csrf_checks=True)

    response = deliver(client, succeeded(pending_payment))

    assert response.status_code == 200


def test_a_replayed_event_is_processed_once(api, pending_payment):
    # Given an event delivered and processed
    body = succeeded(pending_payment)
    first = deliver(api, body)
    assert first.json() == {"received": True, "status": "processed"}

    # When Stripe delivers it again (same id, signed anew)
    again = deliver(api, body)

    # Then it is acknowledged and nothing happens twice
    assert again.status_code == 200
    assert again.json() == {"received": True, "status": "duplicate"}
    event = StripeEvent.objects.get()
    assert (event.event_id, event.status, event.attempts) == (
        "evt_paid",
        StripeEventStatus.PROCESSED,
        1,
    )
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.history.filter(action="booking.confirmed").count() == 1


def test_an_unknown_event_type_is_acknowledged_and_logged(api, stripe_on, caplog):
    body = make_event("customer.tax_id.created", {"id": "txi_1"}, event_id="evt_unknown")

    with caplog.at_level(logging.INFO, logger="coresync.payments.webhooks"):
        response = deliver(api, body)

    assert response.status_code == 200
    assert response.json() == {"received": True, "status": "ignored"}
    event = StripeEvent.objects.get()
    assert (event.type, event.status) == ("customer.tax_id.created", StripeEventStatus.IGNORED)
    assert event.payload == json.loads(body)
    assert "evt_unknown of type customer.tax_id.created ignored" in caplog.text


def test_a_signed_body_that_is_not_an_event_is_400(api, stripe_on):
    body = json.dumps({"hello": "world"})

    response = deliver(api, body)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_failing_handler_answers_500_and_the_redelivery_processes_it(
    api, pending_payment, monkeypatch
):
    # Given the handler fails once (e.g. the database was briefly unavailable)
    real_handler = webhooks.HANDLERS["payment_intent.succeeded"]
    calls = []

    def flaky(intent, now):
        calls.append(intent["id"])
        if len(calls) == 1:
            # Writes made before the failure must roll back with it.
            Payment.objects.filter(pk=pending_payment.pk).update(status="succeeded")
            raise RuntimeError("database went away")
        real_handler(intent, now)

    monkeypatch.setitem(webhooks.HANDLERS, "payment_intent.succeeded", flaky)
    body = succeeded(pending_payment)

    # When Stripe delivers: 500, so Stripe will deliver again
    first = deliver(api, body)
    assert first.status_code == 500
    assert first.json()["error"]["code"] == "webhook_processing_failed"
    event = StripeEvent.objects.get()
    assert (event.status, event.error) == (
        StripeEventStatus.FAILED,
        "RuntimeError: database went away",
    )
    assert Payment.objects.get().status == "pending"

    # Then the redelivery processes it
    second = deliver(api, body)
    assert second.json()["status"] == "processed"
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == (StripeEventStatus.PROCESSED, 2, "")
    assert Booking.objects.get().status == BookingStatus.CONFIRMED


def test_a_payment_intent_of_someone_else_is_acknowledged(api, stripe_on, caplog):
    body = make_event(
        "payment_intent.succeeded",
        {"id": "pi_not_ours", "object": "payment_intent", "amount": 500, "metadata": {}},
    )

    with caplog.at_level(logging.WARNING, logger="coresync.payments.webhooks"):
        response = deliver(api, body)

    assert response.status_code == 200
    assert "unknown intent pi_not_ours" in caplog.text


def test_the_webhook_refuses_get(api):
    assert api.get(WEBHOOK_URL).status_code == 405


def test_without_a_webhook_secret_every_delivery_is_refused(api, pending_payment, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(api, succeeded(pending_payment))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "42", "null"])
def test_a_signed_body_that_is_not_an_object_is_400_not_500(api, stripe_on, body):
    response = deliver(api, body)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid", "invalid_signature")
    assert StripeEvent.objects.count() == 0
