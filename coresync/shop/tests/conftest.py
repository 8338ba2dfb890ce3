"""Products of the shop tests: a serum with a member price, a candle without one."""

from decimal import Decimal

import pytest

from coresync.shop.models import Product


@pytest.fixture
def products(spa):
    serum = Product.objects.create(
        slug="vitamin-c-serum",
        name="Vitamin C Serum",
        category="skincare",
        price=Decimal("80.00"),
        member_price=Decimal("68.00"),
        stock=5,
        low_stock_threshold=2,
    )
    candle = Product.objects.create(
        slug="lavender-candle",
        name="Lavender Candle",
        category="accessories",
        price=Decimal("24.50"),
        stock=10,
    )
    return {"serum": serum, "candle": candle}


from coresync.payments.tests.conftest import api, fake_stripe, stripe_on  # noqa: E402, F401
