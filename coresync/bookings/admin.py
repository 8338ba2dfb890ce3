"""Admin for bookings: find, read and move them through their life cycle (SPEC §4).

Bookings are created by the booking flow and the API, never here. What a booking costs, its
status, reference, tier and the resources it holds (allocations) are read-only: every state
change goes through :mod:`coresync.bookings.services` (the actions below), which guards the
status, recomputes fees, frees allocations and writes the history in one transaction. Only the
notes and the guest's preferences are edited in place.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from coresync.bookings.models import Booking, BookingAddOn, BookingHistory
from coresync.core.errors import DomainError
from coresync.scheduling.models import Allocation


class ReadOnlyInline(admin.TabularInline):
    """An inline shown as a table: no add, change or delete from the booking page."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class BookingAddOnInline(ReadOnlyInline):
    model = BookingAddOn
    fields = ("addon", "price", "extra_minutes")
    verbose_name_plural = "add-ons (price and minutes when booked)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("addon")


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = (
        "resource_key",
        "technician",
        "room",
        "unit",
        "starts_at",
        "ends_at",
        "expires_at",
        "is_active",
    )
    verbose_name_plural = "allocations (resources held, buffers included)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("technician", "room")


class BookingHistoryInline(ReadOnlyInline):
    model = BookingHistory
    fields = ("created_at", "action", "actor", "from_status", "to_status", "data")
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


Transition = Callable[..., Any]


def _run_transition(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    bookings: QuerySet[Booking],
    transition: Transition,
    done: str,
    **options: Any,
) -> None:
    """Apply ``transition`` to each booking; report refusals one by one, then the successes.

    Each booking is its own service call (and transaction), so one refusal does not undo the
    others.
    """
    succeeded = 0
    for booking in bookings.order_by("start", "pk"):
        try:
            transition(booking, actor=request.user, **options)
        except DomainError as error:
            model_admin.message_user(
                request, f"{booking.reference}: {error.message}", level=messages.ERROR
            )
        else:
            succeeded += 1
    if succeeded:
        noun = "booking" if succeeded == 1 else "bookings"
        model_admin.message_user(request, f"{succeeded} {noun} {done}.", level=messages.SUCCESS)


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "start",
        "customer",
        "service",
        "technician",
        "room",
        "status",
        "tier",
        "total",
    )
    list_filter = ("status", "tier", "service", "technician", "room")
    list_select_related = ("customer", "service", "technician", "room")
    date_hierarchy = "start"
    search_fields = ("reference", "customer__email", "customer__name")
    ordering = ("-start",)
    list_per_page = 50
    actions = ["cancel_waiving_fee", "check_in", "complete", "no_show"]
    inlines = [BookingAddOnInline, AllocationInline, BookingHistoryInline]
    fieldsets = (
        (None, {"fields": ("reference", "status", "customer", "tier", "customer_tier")}),
        (
            "What, when, where (start and end in spa local time)",
            {
                "fields": (
                    "service",
                    "duration_minutes",
                    "guests",
                    "start",
                    "end",
                    "technician",
                    "room",
                    "membership",
                ),
            },
        ),
        ("Guest", {"fields": ("preferences", "notes")}),
        (
            "Price",
            {"fields": ("price_lines_table", "subtotal", "tax", "total", "currency")},
        ),
        (
            "Life cycle",
            {
                "fields": (
                    "hold_expires_at",
                    "checked_in_at",
                    "completed_at",
                    "reschedule_count",
                    "cancelled_at",
                    "cancelled_by",
                    "cancellation_reason",
                    "cancellation_fee",
                    "fee_waived",
                ),
            },
        ),
        (
            "Technical",
            {
                "classes": ("collapse",),
                "fields": ("idempotency_key", "request_fingerprint", "created_at", "updated_at"),
            },
        ),
    )
    # Everything but the notes and preferences: changing who, when or what a booking costs
    # without the services would desynchronize its allocations, price and history.
    readonly_fields = (
        "reference",
        "status",
        "customer",
        "tier",
        "customer_tier",
        "service",
        "duration_minutes",
        "guests",
        "start",
        "end",
        "technician",
        "room",
        "membership",
        "price_lines_table",
        "subtotal",
        "tax",
        "total",
        "currency",
        "hold_expires_at",
        "checked_in_at",
        "completed_at",
        "reschedule_count",
        "cancelled_at",
        "cancelled_by",
        "cancellation_reason",
        "cancellation_fee",
        "fee_waived",
        "idempotency_key",
        "request_fingerprint",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_manager:
            # Waiving a fee is a manager's decision (the cancel service checks it too).
            actions.pop("cancel_waiving_fee", None)
        return actions

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("customer", "service", "technician", "room", "membership__plan")
        )

    @admin.display(description="price lines")
    def price_lines_table(self, booking: Booking) -> str:
        if not booking.price_lines:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td style='text-align:right'>{}</td></tr>",
            (
                (line.get("label") or line.get("code", ""), line.get("amount", ""))
                for line in booking.price_lines
            ),
        )
        return format_html("<table>{}</table>", rows)

    @admin.action(description="Cancel selected bookings (waive fee)", permissions=["change"])
    def cancel_waiving_fee(self, request, queryset):
        from coresync.bookings.services import cancel_booking

        _run_transition(self, request, queryset, cancel_booking, "cancelled", waive_fee=True)

    @admin.action(description="Mark as checked in", permissions=["change"])
    def check_in(self, request, queryset):
        from coresync.bookings.services import check_in_booking

        _run_transition(self, request, queryset, check_in_booking, "checked in")

    @admin.action(description="Mark completed", permissions=["change"])
    def complete(self, request, queryset):
        from coresync.bookings.services import complete_booking

        _run_transition(self, request, queryset, complete_booking, "completed")

    @admin.action(description="Mark no-show", permissions=["change"])
    def no_show(self, request, queryset):
        from coresync.bookings.services import mark_no_show

        _run_transition(self, request, queryset, mark_no_show, "marked no-show")
