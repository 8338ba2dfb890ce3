"""Admin for the catalog: categories, services with durations and tier prices, add-ons and
peak pricing (SPEC §1)."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from coresync.catalog.models import (
    AddOn,
    PeakPricingWindow,
    RoomType,
    Service,
    ServiceCategory,
    ServiceVariant,
)
from coresync.memberships.models import TierPrice
from coresync.resources.models import WEEKDAY_KEYS, Weekday


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "service_count")
    list_editable = ("position",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(service_count=Count("services"))

    @admin.display(description="services", ordering="service_count")
    def service_count(self, category: ServiceCategory) -> int:
        return category.service_count


class ServiceForm(forms.ModelForm):
    """Room types as check boxes instead of raw JSON (``ServiceAdmin`` names the fields)."""

    room_types = forms.MultipleChoiceField(
        choices=RoomType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Rooms this service may use.",
    )


class ServiceVariantInline(admin.TabularInline):
    """Durations and their non-member prices per guest."""

    model = ServiceVariant
    fields = ("minutes", "price")
    extra = 0
    min_num = 1
    verbose_name = "duration"
    verbose_name_plural = "durations and non-member prices"

    def get_formset(self, request, obj=None, **kwargs):
        # A service without a duration can never be booked: refuse it, don't only show a row.
        kwargs.setdefault("validate_min", True)
        return super().get_formset(request, obj, **kwargs)


class TierPriceInline(admin.TabularInline):
    """Explicit member prices; they override the plan's discount for that duration."""

    model = TierPrice
    fields = ("tier", "minutes", "price")
    extra = 0
    verbose_name_plural = "explicit tier prices (override the plan discount)"


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceForm
    list_display = (
        "name",
        "category",
        "skill",
        "self_guided",
        "durations_display",
        "max_guests",
        "is_active",
    )
    list_filter = ("category", "self_guided", "is_active")
    list_select_related = ("category",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ServiceVariantInline, TierPriceInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "description", "is_active", "position")}),
        (
            "Who and where",
            {"fields": ("skill", "self_guided", "room_types", "max_guests")},
        ),
        (
            "Time",
            {"fields": ("buffer_before", "buffer_after", "slot_interval_minutes")},
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("variants")

    @admin.display(description="durations (min)")
    def durations_display(self, service: Service) -> str:
        return ", ".join(str(minutes) for minutes in service.durations)


@admin.register(AddOn)
class AddOnAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "extra_minutes", "is_active")
    list_filter = ("is_active", "services")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("services",)


class PeakPricingWindowForm(forms.ModelForm):
    """Weekdays as check boxes, stored as numbers, Monday = 0 (the admin names the fields)."""

    days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple
    )


@admin.register(PeakPricingWindow)
class PeakPricingWindowAdmin(admin.ModelAdmin):
    form = PeakPricingWindowForm
    list_display = ("__str__", "days_display", "start", "end", "modifier_percent")
    fields = ("days", "start", "end", "modifier_percent")

    @admin.display(description="days")
    def days_display(self, window: PeakPricingWindow) -> str:
        return ", ".join(
            WEEKDAY_KEYS[day] if 0 <= day < len(WEEKDAY_KEYS) else str(day)
            for day in sorted(window.days)
        )
