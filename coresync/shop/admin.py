from django.contrib import admin

from coresync.shop.models import Order, OrderLine, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "price", "member_price", "stock", "is_active"]
    list_filter = ["category", "is_active", "is_featured"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["product", "quantity", "unit_price", "line_total"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are read here; their status moves through the desk's steps (API and pages),
    which put stock back and send the emails."""

    list_display = ["reference", "customer", "status", "total", "paid_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["reference", "customer__email", "customer__name"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    readonly_fields = [
        "reference",
        "customer",
        "status",
        "pickup_booking",
        "notes",
        "member_pricing",
        "subtotal",
        "tax",
        "total",
        "currency",
        "created_at",
        "ready_at",
        "completed_at",
        "cancelled_at",
        "paid_at",
    ]
    exclude = ["idempotency_key", "request_fingerprint"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
