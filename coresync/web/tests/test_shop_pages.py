"""The shop, concierge and desk pages (SPEC §8): what each person sees and can do; the rules
themselves are tested with the services and the API (coresync/shop, coresync/concierge)."""

from decimal import Decimal

import pytest

from coresync.accounts.models import Role
from coresync.concierge.models import ConciergeRequest
from coresync.shop.models import Order, Product
from factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(spa):
    return [
        Product.objects.create(
            slug="vitamin-c-serum",
            name="Vitamin C Serum",
            category="skincare",
            price=Decimal("80.00"),
            member_price=Decimal("68.00"),
            stock=5,
        ),
        Product.objects.create(
            slug="jade-roller", name="Jade Roller", category="accessories", price=35, stock=0
        ),
    ]


def test_the_shop_shows_member_prices_to_members_and_out_of_stock(client, base_member, products):
    guest_page = client.get("/shop/").content.decode()
    client.force_login(base_member)
    member_page = client.get("/shop/").content.decode()

    assert "$80.00" in guest_page and "$68.00 for members" in guest_page
    assert "member price" in member_page and "<s>$80.00</s>" in member_page
    assert "Out of stock" in member_page
    assert "Add to pickup list" in member_page


def test_a_member_orders_the_pickup_list_and_sees_it_in_my_orders(
    client, base_member, products, frozen_now
):
    client.force_login(base_member)
    client.post("/shop/list/add/", {"product": "vitamin-c-serum", "quantity": "2"})
    listed = client.get("/shop/list/")
    key = listed.context["form"]["idempotency_key"].value()

    ordered = client.post("/shop/list/", {"action": "order", "idempotency_key": key, "notes": ""})
    again = client.post("/shop/list/", {"action": "order", "idempotency_key": key, "notes": ""})

    assert ordered.status_code == 302 and ordered["Location"] == "/shop/orders/"
    assert again.status_code == 200  # the list is empty now: nothing ordered twice
    order = Order.objects.get()
    assert (order.customer, order.subtotal) == (base_member, Decimal("136.00"))
    page = client.get("/shop/orders/").content.decode()
    assert order.reference in page and "Cancel this order" in page
    assert Product.objects.get(slug="vitamin-c-serum").stock == 3


def test_the_desk_moves_orders_on_and_customers_cannot_reach_the_desk(
    client, customer, products, frozen_now
):
    client.force_login(customer)
    client.post("/shop/list/add/", {"product": "vitamin-c-serum", "quantity": "1"})
    key = client.get("/shop/list/").context["form"]["idempotency_key"].value()
    client.post("/shop/list/", {"action": "order", "idempotency_key": key})
    reference = Order.objects.get().reference

    refused = client.post(f"/desk/orders/{reference}/process/")
    client.force_login(StaffFactory(role=Role.FRONT_DESK))
    board = client.get("/desk/orders/").content.decode()
    client.post(f"/desk/orders/{reference}/process/")
    client.post(f"/desk/orders/{reference}/ready/")

    assert refused.status_code == 404
    assert reference in board and "Start preparing" in board
    assert Order.objects.get().status == "ready"


def test_the_concierge_page_asks_premium_members_and_explains_to_others(
    client, customer, premium_member, frozen_now
):
    client.force_login(customer)
    others = client.get("/concierge/").content.decode()
    client.force_login(premium_member)
    sent = client.post(
        "/concierge/",
        {
            "category": "flowers",
            "title": "Peonies",
            "description": "White, for Friday",
            "budget_min": "50",
            "budget_max": "90",
            "pickup_date": "2026-12-04",
        },
    )
    too_soon = client.post(
        "/concierge/",
        {
            "category": "flowers",
            "title": "Tulips",
            "description": "Tomorrow",
            "budget_min": "50",
            "budget_max": "90",
            "pickup_date": "2026-12-02",
        },
    )

    assert "part of the Premium and VIP memberships" in others
    assert sent.status_code == 302
    assert too_soon.status_code == 200
    assert "At least 3 days ahead" in too_soon.content.decode()
    assert list(ConciergeRequest.objects.values_list("title", flat=True)) == ["Peonies"]
    page = client.get("/concierge/").content.decode()
    assert "Peonies" in page and "Cancel this request" in page


def test_a_member_chooses_to_pay_online_and_comes_back_paid(
    client, base_member, products, frozen_now, stripe_on, fake_stripe
):
    client.force_login(base_member)
    client.post("/shop/list/add/", {"product": "vitamin-c-serum", "quantity": "1"})
    listed = client.get("/shop/list/")
    assert "Pay now online" in listed.content.decode()
    key = listed.context["form"]["idempotency_key"].value()

    ordered = client.post(
        "/shop/list/", {"action": "order", "idempotency_key": key, "payment": "online"}
    )

    order = Order.objects.get()
    assert ordered["Location"] == f"/shop/orders/{order.reference}/pay/"
    pay_page = client.get(ordered["Location"])
    assert pay_page.status_code == 200
    assert "https://js.stripe.com" in pay_page["Content-Security-Policy"]
    assert f"Order {order.reference}" in pay_page.content.decode()
    (intent_id,) = fake_stripe.intents
    fake_stripe.set_intent_status(intent_id, "succeeded", payment_method="pm_card")

    back = client.get(f"/shop/orders/{order.reference}/paid/", follow=True)

    order.refresh_from_db()
    assert order.paid_at == frozen_now
    page = back.content.decode()
    assert "is paid" in page and "paid online" in page
    assert "Pay now online" not in page


def test_without_online_payments_the_list_says_pay_at_pickup(
    client, base_member, products, frozen_now
):
    client.force_login(base_member)
    client.post("/shop/list/add/", {"product": "vitamin-c-serum", "quantity": "1"})

    page = client.get("/shop/list/").content.decode()

    assert "Pay now online" not in page
    assert "you pay at the front desk when you pick it up" in page


def test_another_customers_order_has_no_payment_page(
    client, base_member, customer, products, frozen_now, stripe_on, fake_stripe
):
    client.force_login(base_member)
    client.post("/shop/list/add/", {"product": "vitamin-c-serum", "quantity": "1"})
    key = client.get("/shop/list/").context["form"]["idempotency_key"].value()
    client.post("/shop/list/", {"action": "order", "idempotency_key": key, "payment": "pickup"})
    order = Order.objects.get()
    client.force_login(customer)

    assert client.get(f"/shop/orders/{order.reference}/pay/").status_code == 404
    assert fake_stripe.intent_requests() == []
