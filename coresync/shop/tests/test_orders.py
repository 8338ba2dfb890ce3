"""Pickup orders over the API (ARCHITECTURE.md "Shop and concierge"): prices, stock, the
desk's steps, who may do what; every refusal changes nothing."""

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from conftest import make_customer
from coresync.accounts.models import Role
from coresync.core.models import AuditEntry
from coresync.notifications.models import OutboxMessage
from coresync.shop.models import Order, Product
from factories import BookingFactory, StaffFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def order(client, items, key="order-1", **body):
    return client.post(
        "/api/v1/shop/orders/", {"items": items, **body}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def line(product: str, quantity: int) -> dict:
    return {"product": product, "quantity": quantity}


def stock() -> dict[str, int]:
    return dict(Product.objects.values_list("slug", "stock"))


def test_anyone_sees_the_products_on_offer(products):
    Product.objects.create(
        slug="old", name="Withdrawn", category="skincare", price=1, stock=3, is_active=False
    )

    response = APIClient().get("/api/v1/shop/products/")

    assert response.status_code == 200
    by_slug = {row["slug"]: row for row in response.json()}
    assert set(by_slug) == {"vitamin-c-serum", "lavender-candle"}
    serum = by_slug["vitamin-c-serum"]
    contract = ("slug", "name", "category", "price", "member_price", "in_stock")
    assert {key: serum[key] for key in contract} == {
        "slug": "vitamin-c-serum",
        "name": "Vitamin C Serum",
        "category": "skincare",
        "price": "80.00",
        "member_price": "68.00",
        "in_stock": True,
    }
    assert by_slug["lavender-candle"]["member_price"] is None


def test_a_non_member_pays_the_price_and_the_tax(customer, products):
    response = order(
        client_for(customer),
        [
            {"product": "vitamin-c-serum", "quantity": 2},
            {"product": "lavender-candle", "quantity": 1},
        ],
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("PO-2026-")
    assert body["status"] == "pending"
    assert [(i["product"], i["quantity"], i["unit_price"]) for i in body["items"]] == [
        ("vitamin-c-serum", 2, "80.00"),
        ("lavender-candle", 1, "24.50"),
    ]
    # 184.50 × 8.875% = 16.374… → 16.37 (half up to cents)
    assert (body["subtotal"], body["tax"], body["total"]) == ("184.50", "16.37", "200.87")
    assert stock() == {"vitamin-c-serum": 3, "lavender-candle": 9}


def test_an_active_member_pays_the_member_price_where_there_is_one(base_member, products):
    response = order(
        client_for(base_member),
        [
            {"product": "vitamin-c-serum", "quantity": 1},
            {"product": "lavender-candle", "quantity": 2},
        ],
    )

    assert response.status_code == 201, response.content
    assert [i["unit_price"] for i in response.json()["items"]] == ["68.00", "24.50"]
    assert response.json()["subtotal"] == "117.00"


def test_more_than_is_left_is_409_naming_the_product_and_takes_nothing(customer, products):
    before = stock()

    response = order(
        client_for(customer),
        [
            {"product": "lavender-candle", "quantity": 2},
            {"product": "vitamin-c-serum", "quantity": 6},
        ],
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "out_of_stock"
    assert list(error["fields"]) == ["vitamin-c-serum"]
    assert stock() == before
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"product": "vitamin-c-serum", "quantity": 0}]}, "items"),
        ({"items": [{"product": "nothing-like-it", "quantity": 1}]}, "items"),
        ({"items": [{"product": "vitamin-c-serum", "quantity": 1}], "colour": "red"}, "colour"),
        ({"items": [{"product": "vitamin-c-serum", "quantity": 1}], "total": "1.00"}, "total"),
        (
            {"items": [{"product": "vitamin-c-serum", "quantity": 1}], "pickup_booking": "CS-1"},
            "pickup_booking",
        ),
    ],
)
def test_bad_orders_are_400_naming_the_field(customer, products, body, field):
    before = stock()

    response = client_for(customer).post(
        "/api/v1/shop/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="bad"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert stock() == before
    assert not Order.objects.exists()


def test_an_order_needs_an_idempotency_key_and_a_repeat_gives_the_same_order(customer, products):
    client = client_for(customer)
    items = [{"product": "lavender-candle", "quantity": 1}]

    missing = client.post("/api/v1/shop/orders/", {"items": items}, format="json")
    first = order(client, items, key="same")
    again = order(client, items, key="same")
    other = order(client, [{"product": "lavender-candle", "quantity": 2}], key="same")

    assert missing.status_code == 400
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert (other.status_code, other.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert Order.objects.count() == 1
    assert stock()["lavender-candle"] == 9


def test_an_order_may_name_the_customers_coming_booking_for_pickup(customer, products, frozen_now):
    booking = BookingFactory(customer=customer)
    someone_else = BookingFactory(customer=make_customer("other@example.com"), technician="ben")
    client = client_for(customer)
    items = [{"product": "lavender-candle", "quantity": 1}]

    mine = order(client, items, key="a", pickup_booking=booking.reference)
    theirs = order(client, items, key="b", pickup_booking=someone_else.reference)

    assert mine.status_code == 201, mine.content
    assert mine.json()["pickup_booking"] == booking.reference
    assert theirs.status_code == 400
    assert list(theirs.json()["error"]["fields"]) == ["pickup_booking"]


def test_the_desk_moves_an_order_to_ready_and_the_customer_is_emailed(customer, products):
    desk = StaffFactory(role=Role.FRONT_DESK)
    reference = order(client_for(customer), [{"product": "lavender-candle", "quantity": 1}]).json()[
        "reference"
    ]
    url = f"/api/v1/shop/orders/{reference}"

    processing = client_for(desk).post(f"{url}/process/")
    ready = client_for(desk).post(f"{url}/ready/")
    completed = client_for(desk).post(f"{url}/complete/")

    assert [r.json()["status"] for r in (processing, ready, completed)] == [
        "processing",
        "ready",
        "completed",
    ]
    assert OutboxMessage.objects.filter(payload__kind="order_ready").count() == 1
    actions = list(
        AuditEntry.objects.filter(action__startswith="order.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["order.created", "order.processing", "order.ready", "order.completed"]


def test_a_customer_cannot_move_an_order_on_or_see_anothers(customer, products):
    reference = order(client_for(customer), [{"product": "lavender-candle", "quantity": 1}]).json()[
        "reference"
    ]
    stranger = make_customer("stranger@example.com")

    own_step = client_for(customer).post(f"/api/v1/shop/orders/{reference}/ready/")
    peek = client_for(stranger).get(f"/api/v1/shop/orders/{reference}/")
    cancel = client_for(stranger).post(f"/api/v1/shop/orders/{reference}/cancel/")
    listing = client_for(stranger).get("/api/v1/shop/orders/")

    assert (own_step.status_code, own_step.json()["error"]["code"]) == (403, "forbidden")
    assert peek.status_code == 404
    assert cancel.status_code == 404
    assert listing.json()["results"] == []
    assert Order.objects.get().status == "pending"


def test_cancelling_puts_the_stock_back_once(customer, products):
    client = client_for(customer)
    reference = order(client, [{"product": "vitamin-c-serum", "quantity": 3}]).json()["reference"]
    assert stock()["vitamin-c-serum"] == 2

    first = client.post(f"/api/v1/shop/orders/{reference}/cancel/")
    second = client.post(f"/api/v1/shop/orders/{reference}/cancel/")

    assert (first.status_code, first.json()["status"]) == (200, "cancelled")
    assert (second.status_code, second.json()["error"]["code"]) == (422, "invalid_transition")
    assert stock()["vitamin-c-serum"] == 5


def test_a_ready_order_can_no_longer_be_cancelled(customer, products, manager):
    reference = order(client_for(customer), [{"product": "vitamin-c-serum", "quantity": 1}]).json()[
        "reference"
    ]
    for step in ("process", "ready"):
        client_for(manager).post(f"/api/v1/shop/orders/{reference}/{step}/")

    response = client_for(customer).post(f"/api/v1/shop/orders/{reference}/cancel/")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_transition")
    assert Order.objects.get().status == "ready"
    assert stock()["vitamin-c-serum"] == 4


def test_falling_to_the_threshold_tells_each_manager_once(customer, products, manager):
    client = client_for(customer)

    order(client, [{"product": "vitamin-c-serum", "quantity": 2}], key="a")  # 5 → 3
    order(client, [{"product": "vitamin-c-serum", "quantity": 1}], key="b")  # 3 → 2: alert
    order(client, [{"product": "vitamin-c-serum", "quantity": 1}], key="c")  # 2 → 1: no repeat

    alerts = OutboxMessage.objects.filter(payload__kind="low_stock")
    assert [row.payload["manager_id"] for row in alerts] == [manager.pk]


def test_the_staff_see_every_order(customer, products, manager):
    order(client_for(customer), [{"product": "lavender-candle", "quantity": 1}])

    listing = client_for(manager).get("/api/v1/shop/orders/").json()["results"]

    assert [row["customer"] for row in listing] == [customer.email]


def test_the_database_refuses_negative_stock(products):
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(slug="vitamin-c-serum").update(stock=-1)
    assert stock()["vitamin-c-serum"] == 5
