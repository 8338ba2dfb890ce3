"""Admin for the staff side: hours, time off, rates and closed pay periods are looked at here;
they change through the staff portal and API (docs/staff.md), whose services keep the history,
flag bookings and freeze payroll. Pay rates may be added here too."""

from django.contrib import admin

from coresync.notifications.admin import ReadOnlyAdminMixin
from coresync.staff.models import (
    PayPeriod,
    PayRate,
    PayrollLine,
    TimeBreak,
    TimeEntry,
    TimeEntryChange,
    TimeOffRequest,
)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Looked at only: changes go through the portal's services."""


class TimeBreakInline(admin.TabularInline):
    model = TimeBreak
    extra = 0
    can_delete = False
    readonly_fields = ("started_at", "ended_at")


class TimeEntryChangeInline(admin.TabularInline):
    model = TimeEntryChange
    extra = 0
    can_delete = False
    readonly_fields = ("action", "actor", "before", "after", "reason", "created_at")


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin):
    list_display = ("technician", "started_at", "ended_at", "status", "source", "note")
    list_filter = ("status", "source", "technician")
    list_select_related = ("technician",)
    date_hierarchy = "started_at"
    inlines = [TimeBreakInline, TimeEntryChangeInline]


@admin.register(TimeOffRequest)
class TimeOffRequestAdmin(ReadOnlyAdmin):
    list_display = ("technician", "kind", "date", "end_date", "start", "end", "status")
    list_filter = ("status", "kind", "technician")
    list_select_related = ("technician",)
    date_hierarchy = "date"


@admin.register(PayRate)
class PayRateAdmin(admin.ModelAdmin):
    list_display = ("technician", "hourly_rate", "effective_from", "created_by")
    list_filter = ("technician",)
    list_select_related = ("technician", "created_by")
    fields = ("technician", "hourly_rate", "effective_from")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class PayrollLineInline(admin.TabularInline):
    model = PayrollLine
    extra = 0
    can_delete = False
    fields = (
        "technician_name",
        "approved_hours",
        "overtime_hours",
        "hourly_rates",
        "gross_pay",
        "service_count",
        "revenue",
        "pending_entries",
    )
    readonly_fields = fields


@admin.register(PayPeriod)
class PayPeriodAdmin(ReadOnlyAdmin):
    list_display = ("starts_at", "ends_at", "closed_at", "closed_by")
    inlines = [PayrollLineInline]
