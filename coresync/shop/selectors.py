"""Reads of the shop: the products on offer and the orders a user may see."""

from django.db.models import QuerySet

from coresync.accounts.models import acts_for_every_customer
from coresync.shop.models import Order, Product


def products_on_offer() -> QuerySet[Product]:
    """Active products, featured first, then by category and name."""
    return Product.objects.filter(is_active=True).order_by("-is_featured", "category", "name")


def orders_visible_to(user) -> QuerySet[Order]:
    """Front desk and managers see every order; a customer their own; anyone else none."""
    orders = Order.objects.select_related("customer", "pickup_booking").prefetch_related(
        "lines__product"
    )
    if not getattr(user, "is_authenticated", False):
        return orders.none()
    if acts_for_every_customer(user):
        return orders
    return orders.filter(customer=user)
