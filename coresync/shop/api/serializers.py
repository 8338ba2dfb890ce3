"""Shop serializers (ARCHITECTURE.md "Shop and concierge")."""

from rest_framework import serializers

from coresync.core.api.manage import StrictFieldsMixin
from coresync.shop.models import Order, OrderLine, Product
from coresync.shop.services import MAX_QUANTITY, NOTES_MAX_LENGTH


class ProductSerializer(serializers.ModelSerializer):
    """``{slug, name, category, price, member_price, in_stock}`` and what the shop page shows."""

    in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Product
        fields = [
            "slug",
            "name",
            "category",
            "price",
            "member_price",
            "in_stock",
            "description",
            "image_url",
            "is_featured",
        ]
        read_only_fields = fields


class OrderItemInputSerializer(StrictFieldsMixin, serializers.Serializer):
    product = serializers.SlugField(max_length=80)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class OrderCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """``POST shop/orders/``: ``{items: [{product, quantity ≥ 1}], pickup_booking?, notes?}``."""

    items = OrderItemInputSerializer(many=True, allow_empty=False, max_length=50)
    pickup_booking = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=20
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH, default=""
    )


class OrderLineSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["product", "name", "quantity", "unit_price", "line_total"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    """An order: ``{reference, status, items: [{product, quantity, unit_price}], subtotal,
    tax, total}`` and its pickup details."""

    items = OrderLineSerializer(source="lines", many=True, read_only=True)
    pickup_booking = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    customer = serializers.EmailField(source="customer.email", read_only=True)

    class Meta:
        model = Order
        fields = [
            "reference",
            "status",
            "items",
            "subtotal",
            "tax",
            "total",
            "currency",
            "member_pricing",
            "pickup_booking",
            "notes",
            "customer",
            "created_at",
            "ready_at",
            "completed_at",
            "cancelled_at",
            "paid_at",
        ]
        read_only_fields = fields
