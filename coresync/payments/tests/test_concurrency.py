"""Concurrent duplicate deliveries of one Stripe event on PostgreSQL: processed once.

Stripe may deliver an event twice at the same moment (a retry crossing a slow answer). Each
delivery here runs in its own thread with its own database connection, released together by
a barrier; the handler is slowed down so the duplicates arrive while the first is still
processing. What must hold: the handler runs once, one delivery answers ``processed`` and
every other ``duplicate`` (200, so Stripe stops), the booking is confirmed once and nothing
is refunded (a second run would find the booking confirmed and take the "paid after cancel"
path). SQLite is not raced, for the reason given in ``coresync/bookings/tests/
test_concurrency.py``; there, write transactions are serialized.
"""

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client

from conftest import local
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.notifications.models import OutboxMessage
from coresync.payments import webhooks
from coresync.payments.jobs import SETTLE_BOOKING
from coresync.payments.models import Payment, PaymentKind, Refund, StripeEvent
from coresync.payments.tests.support import WEBHOOK_URL, make_event, sign

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

DELIVERIES = 8
THREAD_TIMEOUT_SECONDS = 60


def deliver_concurrently(body: str, count: int) -> list[object]:
    """POST ``body`` (signed) from ``count`` threads at once; return each (status, json) or
    the exception a thread raised."""
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            connection.ensure_connection()
            client = Client()
            signature = sign(body)
            barrier.wait(timeout=THREAD_TIMEOUT_SECONDS)
            response = client.post(
                WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
            )
            outcomes[index] = (response.status_code, response.json())
        except BaseException as error:  # noqa: BLE001 - asserted on by the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a delivery hung"
    return outcomes


def test_concurrent_duplicate_deliveries_are_processed_once(
    customer, frozen_now, stripe_on, monkeypatch
):
    # Given a booking waiting for its payment
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 2, 10),
        awaiting_payment=True,
    )
    payment = Payment.objects.create(
        purpose_key=f"booking:{booking.pk}:full",
        customer=customer,
        booking=booking,
        kind=PaymentKind.FULL,
        amount=booking.total,
        provider="stripe",
        provider_payment_id="pi_race",
    )
    # and a handler slow enough for the duplicates to arrive while it runs
    runs = []
    real_handler = webhooks.HANDLERS["payment_intent.succeeded"]

    def slow_handler(intent, now):
        runs.append(intent["id"])
        time.sleep(0.3)
        real_handler(intent, now)

    monkeypatch.setitem(webhooks.HANDLERS, "payment_intent.succeeded", slow_handler)
    body = make_event(
        "payment_intent.succeeded",
        {
            "id": "pi_race",
            "object": "payment_intent",
            "amount": 10888,
            "amount_received": 10888,
            "status": "succeeded",
            "metadata": {"coresync_payment": str(payment.uuid)},
        },
        event_id="evt_race",
    )

    # When Stripe delivers the same event eight times at once
    outcomes = deliver_concurrently(body, DELIVERIES)

    # Then every delivery is acknowledged, one processed it, and it ran once
    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert sorted(outcome[1]["status"] for outcome in outcomes) == ["duplicate"] * (
        DELIVERIES - 1
    ) + ["processed"]
    assert {outcome[0] for outcome in outcomes} == {200}
    assert runs == ["pi_race"]
    event = StripeEvent.objects.get()
    assert (event.event_id, event.attempts) == ("evt_race", 1)
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.history.filter(action="booking.confirmed").count() == 1
    assert Refund.objects.count() == 0
    assert not OutboxMessage.objects.filter(topic=SETTLE_BOOKING).exists()
