"""Admin for gift cards and packages: balances change only through the services (bookings,
refunds), so they are read-only here; a card paid at the desk is activated by an action."""

from django.contrib import admin, messages

from coresync.giftcards.models import GiftCard, GiftCardTransaction, Package, PackagePurchase


class GiftCardTransactionInline(admin.TabularInline):
    model = GiftCardTransaction
    extra = 0
    can_delete = False
    fields = ("created_at", "booking", "amount", "balance_after")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GiftCard)
class GiftCardAdmin(admin.ModelAdmin):
    list_display = ("masked_code", "amount", "balance", "status", "recipient_email", "deliver_on")
    list_filter = ("status",)
    search_fields = ("=code", "recipient_email", "purchaser__email")
    readonly_fields = (
        "code",
        "amount",
        "balance",
        "status",
        "purchaser",
        "delivered_at",
        "created_at",
    )
    fields = (
        "code",
        "amount",
        "balance",
        "status",
        "purchaser",
        "sender_name",
        "recipient_email",
        "recipient_name",
        "message",
        "deliver_on",
        "delivered_at",
        "created_at",
    )
    inlines = (GiftCardTransactionInline,)
    actions = ["activate_paid", "refund"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Refund and void the selected unused cards")
    def refund(self, request, queryset) -> None:
        from coresync.payments.giftcards import refund_gift_card

        _refund_each(
            self, request, queryset, lambda card: refund_gift_card(card, actor=request.user)
        )

    @admin.action(description="Paid at the desk: activate and email the selected cards")
    def activate_paid(self, request, queryset) -> None:
        from coresync.payments.giftcards import activate_paid_at_desk

        done = sum(1 for card in queryset if activate_paid_at_desk(card))
        self.message_user(request, f"{done} activated.", messages.SUCCESS)


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "minutes", "sessions", "price", "is_active")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(PackagePurchase)
class PackagePurchaseAdmin(admin.ModelAdmin):
    list_display = ("customer", "package", "sessions_left", "sessions_total", "status")
    list_filter = ("status", "package")
    readonly_fields = ("sessions_left", "sessions_total", "price", "status", "expires_on")
    actions = ["refund"]

    @admin.action(description="Refund and void the selected unused packages")
    def refund(self, request, queryset) -> None:
        from coresync.payments.giftcards import refund_package

        _refund_each(
            self, request, queryset, lambda purchase: refund_package(purchase, actor=request.user)
        )


def _refund_each(model_admin, request, queryset, refund) -> None:
    """Refund each selected row; report how many, and why each refused one was refused."""
    from coresync.core.errors import DomainError

    done = 0
    for row in queryset:
        try:
            refund(row)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.WARNING)
        else:
            done += 1
    model_admin.message_user(request, f"{done} refunded and voided.", messages.SUCCESS)
