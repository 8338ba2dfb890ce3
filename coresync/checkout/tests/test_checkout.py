"""One booking step for every channel (issue 9 item 1): the website's confirm and the API
both go through :func:`coresync.checkout.services.checkout_booking`, so with Stripe a
website booking waits for its payment exactly as an API booking does."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from coresync.bookings.models import Booking, BookingStatus
from coresync.payments.models import Payment, PaymentStatus
from coresync.payments.tests.support import deliver, make_event
from coresync.web.tests.test_booking_page import ready_params

pytestmark = pytest.mark.django_db


def test_a_website_booking_with_stripe_waits_for_its_payment_like_the_api(
    client, spa, customer, frozen_now, stripe_on, fake_stripe
):
    # Given Stripe is the provider and a guest on the booking page
    client.force_login(customer)

    # When they confirm on the website
    response = client.post("/book/confirm/", {**ready_params(), "idempotency_key": "site-1"})

    # Then the booking holds its slot, pending, with a PaymentIntent at Stripe
    booking = Booking.objects.get()
    assert response["Location"] == f"/book/pay/{booking.reference}/"  # the Payment Element
    assert booking.status == BookingStatus.PENDING
    payment = Payment.objects.get(booking=booking)
    assert (payment.amount, payment.status, payment.provider_payment_id) == (
        Decimal("108.88"),
        PaymentStatus.PENDING,
        "pi_0002",
    )
    assert [call.path for call in fake_stripe.requests] == ["/v1/customers", "/v1/payment_intents"]
    page = client.get(f"/book/done/{booking.reference}/").content.decode()
    assert "Your time is held" in page and "Your booking is confirmed" not in page

    # And the same form sent again books nothing more and asks Stripe for nothing new
    again = client.post("/book/confirm/", {**ready_params(), "idempotency_key": "site-1"})
    assert again["Location"] == response["Location"]
    assert Booking.objects.count() == Payment.objects.count() == 1

    # When Stripe reports the payment succeeded, the booking is confirmed as an API one is
    intent = fake_stripe.set_intent_status("pi_0002", "succeeded", payment_method="pm_card_visa")
    assert deliver(APIClient(), make_event("payment_intent.succeeded", intent)).status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    paid = client.get(response["Location"], follow=True)  # the payment page sends to the booking
    assert "Your booking is confirmed" in paid.content.decode()


def test_pay_at_the_spa_confirms_a_website_booking_at_once(client, spa, customer, frozen_now):
    client.force_login(customer)
    client.post("/book/confirm/", {**ready_params(), "idempotency_key": "site-2"})
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    assert not Payment.objects.exists()


def test_a_booking_a_credit_makes_free_is_confirmed_with_nothing_to_pay(
    client, spa, frozen_now, stripe_on, fake_stripe
):
    from datetime import date

    from conftest import make_customer
    from coresync.memberships.models import Membership

    member = make_customer("credited@example.com")
    Membership.objects.create(
        customer=member,
        plan=spa.plans["vip"],
        started_on=date(2026, 11, 1),
        current_period_start=date(2026, 12, 1),
        current_period_end=date(2027, 1, 1),
        billing_anchor_day=1,
    )
    client.force_login(member)

    page = client.get("/book/", ready_params()).content.decode()
    assert "Included credit" in page
    assert "uses one of your included services (4 left this period)" in page

    response = client.post("/book/confirm/", {**ready_params(), "idempotency_key": "credit-1"})

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert (booking.status, booking.total, booking.credits_used) == (
        BookingStatus.CONFIRMED,
        Decimal("0.00"),
        1,
    )
    assert fake_stripe.intent_requests() == []  # nothing to pay online
    account = client.get("/account/").content.decode()
    assert "1 of 4 used" in account and "3 left, used when you book" in account
