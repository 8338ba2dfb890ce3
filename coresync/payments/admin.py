"""Admin for payments, refunds, Stripe events and cards on file (SPEC §5).

Money moves only through :mod:`coresync.payments.services` and the provider: every amount,
status and provider id here is read-only, and rows are never added or deleted by hand. A
failed Stripe event can be processed again from its list.
"""

from django.contrib import admin, messages

from coresync.payments.models import Payment, PaymentCustomer, Refund, StripeEvent
from coresync.payments.webhooks import WebhookProcessingFailed, process_stripe_event


class ReadOnlyAdmin(admin.ModelAdmin):
    """Every field read-only; no add or delete."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("amount", "currency", "status", "reason", "provider_refund_id", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "amount",
        "amount_refunded",
        "currency",
        "status",
        "provider",
        "booking",
        "customer",
        "provider_payment_id",
    )
    list_filter = ("status", "kind", "provider")
    search_fields = (
        "provider_payment_id",
        "booking__reference",
        "customer__email",
        "purpose_key",
    )
    list_select_related = ("booking", "customer")
    date_hierarchy = "created_at"
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "amount", "currency", "status", "reason", "payment")
    list_filter = ("status", "reason")
    search_fields = ("provider_refund_id", "payment__provider_payment_id")
    list_select_related = ("payment",)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event_id", "type", "status", "attempts", "processed_at")
    list_filter = ("status", "type", "livemode")
    search_fields = ("event_id",)
    actions = ["process_again"]

    @admin.action(description="Process the selected failed events again")
    def process_again(self, request, queryset) -> None:
        done = failed = 0
        for event in queryset.filter(status__in=["received", "failed"]):
            try:
                process_stripe_event(event.event_id)
                done += 1
            except WebhookProcessingFailed:
                failed += 1
        self.message_user(request, f"{done} processed, {failed} failed again.")
        if failed:
            self.message_user(request, "See each event's error.", level=messages.WARNING)


@admin.register(PaymentCustomer)
class PaymentCustomerAdmin(ReadOnlyAdmin):
    list_display = ("user", "provider", "provider_customer_id", "default_payment_method_id")
    search_fields = ("user__email", "provider_customer_id")
    list_select_related = ("user",)
