"""Paying a pickup order online (SPEC §8 "online payment when the payment provider allows";
docs/shop.md): one PaymentIntent per order, the webhook marks it paid once, a cancelled paid
order is refunded in full once, money that arrives after a cancellation goes back."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.core.models import AuditEntry
from coresync.notifications.outbox import dispatch_due
from coresync.payments.models import Payment, PaymentKind, PaymentStatus, Refund
from coresync.payments.purchases import REFUND_PURCHASE
from coresync.payments.tests.support import deliver, make_event
from coresync.shop.models import Order, OrderStatus, Product

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def place(client, key="order-1") -> dict:
    response = client.post(
        "/api/v1/shop/orders/",
        {"items": [{"product": "lavender-candle", "quantity": 2}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 201, response.content
    return response.json()


def pay(client, reference: str):
    return client.post(f"/api/v1/shop/orders/{reference}/pay/")


def run_refund_jobs() -> int:
    return dispatch_due(topics=[REFUND_PURCHASE])


def test_an_order_paid_online_is_marked_paid_once(
    products, customer, frozen_now, stripe_on, fake_stripe
):
    client = client_for(customer)
    placed = place(client)
    total = Decimal(placed["total"])  # 2 × 24.50 + tax

    first = pay(client, placed["reference"])
    again = pay(client, placed["reference"])

    assert first.status_code == 200, first.content
    assert first.json()["client_secret"].startswith("pi_")
    assert again.json()["client_secret"] == first.json()["client_secret"]
    assert len(fake_stripe.intent_requests()) == 1  # the same intent, asked for once
    assert fake_stripe.intent_requests()[0].params["amount"] == str(int(total * 100))
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount, payment.purpose_key) == (
        PaymentKind.ORDER,
        total,
        f"order:{Order.objects.get().pk}",
    )

    intent = fake_stripe.set_intent_status(payment.provider_payment_id, "succeeded")
    assert deliver(client, make_event("payment_intent.succeeded", intent)).status_code == 200
    assert deliver(client, make_event("payment_intent.succeeded", intent)).status_code == 200

    order = Order.objects.get()
    assert order.paid_at == frozen_now
    assert order.status == OrderStatus.PENDING  # the desk still prepares it
    assert AuditEntry.objects.filter(action="order.paid").count() == 1
    detail = client.get(f"/api/v1/shop/orders/{order.reference}/").json()
    assert detail["paid_at"] is not None
    assert pay(client, order.reference).status_code == 422  # nothing left to pay


def test_cancelling_a_paid_order_refunds_it_in_full_once_and_restocks(
    products, customer, frozen_now, stripe_on, fake_stripe
):
    client = client_for(customer)
    placed = place(client)
    pay(client, placed["reference"])
    payment = Payment.objects.get()
    intent = fake_stripe.set_intent_status(payment.provider_payment_id, "succeeded")
    deliver(client, make_event("payment_intent.succeeded", intent))

    response = client.post(f"/api/v1/shop/orders/{placed['reference']}/cancel/")

    assert response.json()["status"] == "cancelled"
    assert Product.objects.get(slug="lavender-candle").stock == 10
    assert run_refund_jobs() == 1
    assert run_refund_jobs() == 0
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal(placed["total"]), "succeeded")
    assert len(fake_stripe.refund_requests()) == 1
    assert fake_stripe.refund_requests()[0].params["amount"] == str(int(refund.amount * 100))
    payment.refresh_from_db()
    assert payment.amount_refunded == payment.amount


def test_cancelling_an_order_with_an_unpaid_intent_cancels_the_intent(
    products, customer, frozen_now, stripe_on, fake_stripe
):
    client = client_for(customer)
    placed = place(client)
    pay(client, placed["reference"])
    payment = Payment.objects.get()

    client.post(f"/api/v1/shop/orders/{placed['reference']}/cancel/")
    run_refund_jobs()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELED
    assert fake_stripe.intents[payment.provider_payment_id]["status"] == "canceled"
    assert Refund.objects.count() == 0


def test_money_arriving_after_a_cancellation_goes_back(
    products, customer, frozen_now, stripe_on, fake_stripe
):
    client = client_for(customer)
    placed = place(client)
    pay(client, placed["reference"])
    payment = Payment.objects.get()
    # The customer cancels in one tab while the card is being confirmed in another
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)

    intent = fake_stripe.set_intent_status(payment.provider_payment_id, "succeeded")
    deliver(client, make_event("payment_intent.succeeded", intent))
    run_refund_jobs()

    order.refresh_from_db()
    assert order.paid_at is None
    assert Refund.objects.get().amount == payment.amount
    assert len(fake_stripe.refund_requests()) == 1


def test_paying_at_the_spa_starts_nothing_online(products, customer, frozen_now):
    client = client_for(customer)
    placed = place(client)

    response = pay(client, placed["reference"])

    assert response.status_code == 200
    assert response.json() == {
        "provider": "onsite",
        "client_secret": None,
        "amount": placed["total"],
        "currency": "USD",
    }
    assert Payment.objects.count() == 0


def test_only_the_customer_pays_and_never_a_cancelled_order(
    products, customer, frozen_now, stripe_on, fake_stripe
):
    placed = place(client_for(customer))
    stranger = make_customer("stranger@example.com")

    assert pay(client_for(stranger), placed["reference"]).status_code == 404
    client_for(customer).post(f"/api/v1/shop/orders/{placed['reference']}/cancel/")
    refused = pay(client_for(customer), placed["reference"])

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_transition"
    assert Payment.objects.count() == 0
    assert fake_stripe.intent_requests() == []
