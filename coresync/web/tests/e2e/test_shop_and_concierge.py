"""Issue 14 in a real browser: a member fills a pickup list with two products, orders and
finds the order in My orders; a Premium member asks the concierge for flowers; the front desk
marks both ready. On a 375 px phone, screenshots taken; the shop and concierge pages pass axe."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from coresync.accounts.models import Role
from coresync.concierge.models import ConciergeRequest
from coresync.shop.models import Order, Product
from coresync.web.tests.e2e.conftest import DESKTOP, screenshot
from coresync.web.tests.e2e.test_pages import serious_axe_violations
from factories import StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def products(spa):
    Product.objects.create(
        slug="vitamin-c-serum",
        name="Vitamin C Serum",
        category="skincare",
        description="Brightening serum, 30 ml.",
        price=Decimal("80.00"),
        member_price=Decimal("68.00"),
        stock=5,
        is_featured=True,
    )
    Product.objects.create(
        slug="lavender-candle",
        name="Lavender Candle",
        category="accessories",
        price=Decimal("24.50"),
        stock=10,
    )


def test_a_member_orders_two_products_and_asks_the_concierge_and_the_desk_readies_both(
    open_page, premium_member, products
):
    premium_member.birthday = date(1985, 5, 5)
    premium_member.save(update_fields=["birthday"])

    # A Premium member adds two products to the pickup list on a phone
    page = open_page("/shop/", user=premium_member)
    expect(page.get_by_text("$68.00")).to_be_visible()
    page.locator("form:has(input[value=vitamin-c-serum]) button").click()
    expect(page.locator(".messages")).to_contain_text("Vitamin C Serum is on your pickup list.")
    page.locator("#quantity-lavender-candle").fill("2")
    page.locator("form:has(input[value=lavender-candle]) button").click()
    screenshot(page, "shop")

    # orders the list and finds the order in My orders
    page.get_by_role("link", name="Pickup list (3 items)").click()
    expect(page.get_by_role("cell", name="Lavender Candle", exact=True)).to_be_visible()
    screenshot(page, "shop-pickup-list")
    page.get_by_role("button", name="Place the order").click()
    expect(page.locator(".messages")).to_contain_text("is placed")
    order = Order.objects.get()
    expect(page.locator(".card__title", has_text=order.reference)).to_be_visible()
    screenshot(page, "shop-my-orders")
    assert order.subtotal == Decimal("117.00")  # 68.00 + 2 × 24.50

    # and asks the concierge for flowers
    page.goto(page.url.split("/shop/")[0] + "/concierge/")
    page.locator("#id_category").select_option("flowers")
    page.locator("#id_title").fill("White peonies")
    page.locator("#id_description").fill("A bouquet for my mother.")
    page.locator("#id_budget_min").fill("80")
    page.locator("#id_budget_max").fill("150")
    page.locator("#id_pickup_date").fill("2026-12-05")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".messages")).to_contain_text("is with our concierge")
    screenshot(page, "concierge")
    request = ConciergeRequest.objects.get()

    # The front desk moves both on to "ready" on a desktop
    desk = open_page("/desk/orders/", user=StaffFactory(role=Role.FRONT_DESK), viewport=DESKTOP)
    desk.get_by_role("button", name="Start preparing").click()
    desk.get_by_role("button", name="Ready for pickup").click()
    expect(desk.locator(".messages")).to_contain_text(f"{order.reference}: done.")
    screenshot(desk, "desk-orders")
    desk.get_by_role("link", name="Concierge requests").click()
    desk.get_by_role("button", name="Approve").click()
    desk.get_by_role("button", name="Start finding it").click()
    desk.get_by_role("button", name="Ready for pickup").click()
    screenshot(desk, "desk-requests")

    order.refresh_from_db()
    request.refresh_from_db()
    assert (order.status, request.status) == ("ready", "ready")


@pytest.mark.parametrize("path", ["/shop/", "/concierge/", "/shop/list/"])
def test_the_shop_pages_pass_axe(open_page, premium_member, products, path):
    page = open_page(path, user=premium_member, bypass_csp=True)
    assert serious_axe_violations(page) == []
