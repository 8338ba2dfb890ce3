"""The payments admin: everything read-only, nothing added or deleted by hand; failed Stripe
events can be processed again."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import local
from coresync.accounts.models import User
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.payments.models import Payment, PaymentKind, Refund, StripeEvent
from coresync.payments.tests.support import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("boss@coresync.test", None, name="Boss")
    client.force_login(user)
    return client


@pytest.fixture
def payment(customer, frozen_now):
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), awaiting_payment=True
    )
    payment = Payment.objects.create(
        purpose_key=f"booking:{booking.pk}:full",
        customer=customer,
        booking=booking,
        kind=PaymentKind.FULL,
        amount=Decimal("108.88"),
        status="succeeded",
        provider="stripe",
        provider_payment_id="pi_admin",
    )
    Refund.objects.create(
        purpose_key=f"payment:{payment.pk}:refund:1",
        payment=payment,
        amount=Decimal("20.00"),
        reason="requested",
    )
    return payment


@pytest.mark.parametrize("model", ["payment", "refund", "stripeevent", "paymentcustomer"])
def test_lists_open_and_nothing_can_be_added(admin_client, payment, model):
    assert admin_client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:payments_{model}_add")).status_code == 403


def test_a_payment_page_shows_money_read_only_and_a_post_changes_nothing(admin_client, payment):
    url = reverse("admin:payments_payment_change", args=[payment.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"amount": "1.00", "status": "failed"})

    assert page.status_code == 200
    assert b'name="amount"' not in page.content
    assert b"108.88" in page.content
    assert b"20.00" in page.content  # the refund inline
    payment.refresh_from_db()
    assert (payment.amount, payment.status) == (Decimal("108.88"), "succeeded")
    delete = reverse("admin:payments_payment_delete", args=[payment.pk])
    assert admin_client.get(delete).status_code == 403


def test_a_failed_event_can_be_processed_again(admin_client, payment):
    # Given an event stored as failed for a booking still pending
    Payment.objects.filter(pk=payment.pk).update(status="pending")
    body = make_event(
        "payment_intent.succeeded",
        {"id": "pi_admin", "object": "payment_intent", "amount_received": 10888},
        event_id="evt_retry",
    )
    StripeEvent.objects.create(
        event_id="evt_retry",
        type="payment_intent.succeeded",
        payload=json.loads(body),
        status="failed",
        error="RuntimeError: boom",
    )

    # When a manager processes it again
    response = admin_client.post(
        reverse("admin:payments_stripeevent_changelist"),
        {"action": "process_again", "_selected_action": [StripeEvent.objects.get().pk]},
        follow=True,
    )

    # Then it is processed and the booking confirmed
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == "processed"
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
