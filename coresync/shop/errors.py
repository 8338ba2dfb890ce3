"""Errors of the shop (ARCHITECTURE.md "Shop and concierge" codes)."""

from coresync.core.errors import DomainError


class OutOfStock(DomainError):
    """More units than are left (409 ``out_of_stock``; ``fields`` name the products)."""

    code = "out_of_stock"
    status = 409
    default_message = "Some of these products are no longer in stock."
