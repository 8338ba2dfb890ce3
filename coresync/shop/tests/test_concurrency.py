"""Racing buyers on PostgreSQL (real row locks; SQLite serializes writers and cannot race):
stock never goes below zero and an order takes all its lines or none."""

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from coresync.core.clock import now
from coresync.payments.models import Payment, PaymentKind, Refund
from coresync.payments.webhooks import handle_payment_intent_succeeded
from coresync.shop.errors import OutOfStock
from coresync.shop.models import Order, OrderLine, Product
from coresync.shop.services import OrderItem, cancel_order, place_order
from factories import CustomerFactory
from racing import run_together

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_fifty_racing_buyers_for_five_units_make_five_orders(products):
    # Given 50 customers and 5 serums left
    buyers = [CustomerFactory() for _ in range(50)]

    # When each orders one serum over HTTP at the same moment
    def buy(index: int):
        client = APIClient()
        client.force_authenticate(buyers[index])
        return client.post(
            "/api/v1/shop/orders/",
            {"items": [{"product": "vitamin-c-serum", "quantity": 1}]},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"race-{index}",
        )

    outcomes = run_together(50, buy)

    # Then exactly 5 orders, 45 out_of_stock, and the stock is 0, never below
    assert [o for o in outcomes if not hasattr(o, "status_code")] == []
    statuses = sorted(response.status_code for response in outcomes)
    assert statuses == [201] * 5 + [409] * 45
    assert {r.json()["error"]["code"] for r in outcomes if r.status_code == 409} == {"out_of_stock"}
    assert Order.objects.count() == 5
    assert Product.objects.get(slug="vitamin-c-serum").stock == 0


def test_orders_racing_over_two_products_take_all_their_lines_or_none(products):
    # Given 5 serums and 10 candles, and 20 buyers each wanting 1 serum and 1 candle, while 20
    # others want 2 candles in the other order of lines (locks are taken by primary key)
    buyers = [CustomerFactory() for _ in range(40)]

    def buy(index: int):
        items = (
            [OrderItem("vitamin-c-serum", 1), OrderItem("lavender-candle", 1)]
            if index % 2 == 0
            else [OrderItem("lavender-candle", 2), OrderItem("vitamin-c-serum", 1)]
        )
        return place_order(buyers[index], items, idempotency_key=f"pair-{index}")

    outcomes = run_together(40, buy)

    # Then no deadlock, no error but out-of-stock, and units add up line by line
    assert [o for o in outcomes if not isinstance(o, Order | OutOfStock)] == []
    taken = {
        slug: sum(line.quantity for line in OrderLine.objects.filter(product__slug=slug))
        for slug in ("vitamin-c-serum", "lavender-candle")
    }
    left = dict(Product.objects.values_list("slug", "stock"))
    assert taken["vitamin-c-serum"] + left["vitamin-c-serum"] == 5
    assert taken["lavender-candle"] + left["lavender-candle"] == 10
    assert min(left.values()) >= 0
    assert all(order.lines.count() == 2 for order in Order.objects.all())


def test_two_cancels_at_once_put_the_stock_back_once(products):
    buyer = CustomerFactory()
    placed = place_order(buyer, [OrderItem("vitamin-c-serum", 3)], idempotency_key="one")

    outcomes = run_together(2, lambda index: cancel_order(placed, actor=buyer))

    assert sum(isinstance(outcome, Order) for outcome in outcomes) == 1
    assert Product.objects.get(slug="vitamin-c-serum").stock == 5


def test_a_cancel_racing_the_payment_capture_refunds_once_and_never_deadlocks(products):
    # Given 5 orders, each with an open PaymentIntent the customer is confirming
    customer = CustomerFactory()
    orders = [place_order(customer, [OrderItem("lavender-candle", 1)]) for _ in range(5)]
    for order in orders:
        Payment.objects.create(
            purpose_key=f"order:{order.pk}",
            customer=customer,
            kind=PaymentKind.ORDER,
            amount=order.total,
            provider="stripe",
            provider_payment_id=f"pi_order_{order.pk}",
        )

    # When, for each, the customer cancels while Stripe reports the capture
    def race(index: int):
        order = orders[index // 2]
        if index % 2:
            return cancel_order(order, actor=customer)
        intent = {
            "id": f"pi_order_{order.pk}",
            "amount": int(order.total * 100),
            "amount_received": int(order.total * 100),
            "metadata": {},
        }
        with transaction.atomic():
            return handle_payment_intent_succeeded(intent, now())

    outcomes = run_together(10, race)

    # Then no attempt failed (no deadlock), every order is cancelled with its money given
    # back exactly once, whichever came first
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    for order in orders:
        order.refresh_from_db()
        assert order.status == "cancelled"
        refunds = Refund.objects.filter(payment__purpose_key=f"order:{order.pk}")
        assert [refund.amount for refund in refunds] == [order.total]
