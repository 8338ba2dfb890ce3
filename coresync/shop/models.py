"""The pickup shop: products with their stock, and pickup orders (SPEC §8).

Stock never goes below zero: the database refuses it (``product_stock_not_negative``) and the
services take units with a conditional update under row locks taken in primary-key order
(:mod:`coresync.shop.services`), as Saleor allocates stock.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class ProductCategory(models.TextChoices):
    SKINCARE = "skincare", "Skincare"
    WELLNESS_TECH = "wellness_tech", "Wellness tech"
    ACCESSORIES = "accessories", "Accessories"
    SUPPLEMENTS = "supplements", "Supplements"


class Product(models.Model):
    """A product to pick up at the spa. ``member_price`` (optional) is what active members
    pay; ``stock`` is the units left; at or below ``low_stock_threshold`` managers are told."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=150)
    category = models.CharField(max_length=20, choices=ProductCategory.choices)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    member_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    stock = models.IntegerField(default=0, validators=[MinValueValidator(0)])
    low_stock_threshold = models.PositiveIntegerField(default=0)
    image_url = models.CharField(
        max_length=300, blank=True, help_text="A path under /static/ or an https:// address."
    )
    is_featured = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="product_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


class OrderStatus(models.TextChoices):
    """pending → processing → ready → completed, or cancelled (stock back, once)."""

    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready for pickup"
    COMPLETED = "completed", "Picked up"
    CANCELLED = "cancelled", "Cancelled"


class Order(models.Model):
    """A pickup order ``PO-YYYY-NNNNNN``: lines at the prices of the moment, tax at the spa's
    rate, paid at pickup or — when the payment provider collects online — on the site
    (``paid_at`` is set when that payment is captured). ``idempotency_key`` and
    ``request_fingerprint``: the one idempotency mechanism of :mod:`coresync.core.idempotency`."""

    reference = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_orders"
    )
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    pickup_booking = models.ForeignKey(
        "bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    member_pricing = models.BooleanField(default=False)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    tax = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the online payment was captured (empty: pay at pickup).",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="order_idempotency_key_per_customer",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_paid(self) -> bool:
        """Paid online (the desk collects nothing at pickup)."""
        return self.paid_at is not None


class OrderLine(models.Model):
    """One product of an order, at the unit price charged when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    line_total = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="order_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"
