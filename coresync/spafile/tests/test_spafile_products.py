"""``products`` in the spa file (ARCHITECTURE.md "Shop and concierge"): imported by slug,
exported back, bad entries named by file, line, entry and field."""

from decimal import Decimal

import pytest

from coresync.shop.models import Product
from coresync.spafile.services import SpaFileError, export_spa_text, import_spa_text

pytestmark = pytest.mark.django_db

SPA = """
settings:
  name: Test Spa
  timezone: America/New_York
products:
  - slug: vitamin-c-serum
    name: Vitamin C Serum
    category: skincare
    price: "80.00"
    member_price: "68.00"
    stock: 12
    low_stock_threshold: 3
  - {slug: jade-roller, name: Jade Roller, category: accessories, price: "35.00", stock: 0,
     active: false}
"""


def test_products_are_imported_by_slug_and_exported_back():
    report = import_spa_text(SPA, filename="spa.yaml")
    again = import_spa_text(SPA, filename="spa.yaml")

    serum = Product.objects.get(slug="vitamin-c-serum")
    assert (serum.price, serum.member_price, serum.stock, serum.low_stock_threshold) == (
        Decimal("80.00"),
        Decimal("68.00"),
        12,
        3,
    )
    assert Product.objects.get(slug="jade-roller").is_active is False
    assert report.created["products"] == 2
    assert again.created["products"] == 0 and again.updated["products"] == 0
    exported = export_spa_text()
    assert "products:" in exported and "vitamin-c-serum" in exported
    import_spa_text(exported, filename="export.yaml")
    assert Product.objects.count() == 2


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('{slug: x, name: X, category: cars, price: "1.00", stock: 1}', "category"),
        ('{slug: x, name: X, category: skincare, price: "1.00", stock: -1}', "stock"),
        ('{slug: x, name: X, category: skincare, price: "abc", stock: 1}', "price"),
        ("{slug: x, name: X, category: skincare, stock: 1}", "price"),
    ],
)
def test_a_bad_product_names_file_line_entry_and_field(entry, field):
    text = f"products:\n  - {entry}\n"

    with pytest.raises(SpaFileError) as refused:
        import_spa_text(text, filename="spa.yaml")

    message = str(refused.value)
    assert "spa.yaml:2" in message and "products[0]" in message and field in message
    assert not Product.objects.exists()
