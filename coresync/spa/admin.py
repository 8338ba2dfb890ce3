"""Admin for the spa-wide settings: one row, edited in place, never deleted.

``IssuedNumber`` is deliberately not registered: it is the reference sequence, and a row
changed or deleted by hand could only do harm.
"""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from coresync.spa.models import SpaSettings


@admin.register(SpaSettings)
class SpaSettingsAdmin(admin.ModelAdmin):
    """The single settings row. The list page goes straight to it (or to the add form while
    the spa has none yet); the time zone and currency are facts of the spa, changed only by
    ``import_spa``, because every stored opening hour is read in that zone."""

    fieldsets = (
        ("General", {"fields": ("name", "timezone", "currency", "tax_rate")}),
        (
            "Booking rules",
            {
                "fields": (
                    "min_notice_minutes",
                    "slot_interval_minutes",
                    "non_member_advance_days",
                    "hold_minutes",
                    "check_in_window_minutes",
                ),
            },
        ),
        (
            "Cancellation policy",
            {
                "fields": (
                    "free_cancellation_hours",
                    "late_cancellation_fee_percent",
                    "no_show_fee_percent",
                ),
                "description": "The spa-wide policy; a membership plan may override it.",
            },
        ),
    )
    readonly_fields = ("timezone", "currency")

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not SpaSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = SpaSettings.objects.first()
        opts = self.model._meta
        if settings_row is not None:
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[settings_row.pk]
            )
            return HttpResponseRedirect(url)
        if self.has_add_permission(request):
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        return super().changelist_view(request, extra_context)
