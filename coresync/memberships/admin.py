"""Admin for membership plans, explicit tier prices and customers' memberships (SPEC §3)."""

from django import forms
from django.contrib import admin, messages

from coresync.core.errors import DomainError
from coresync.memberships.models import (
    Membership,
    MembershipHistory,
    MembershipPlan,
    MembershipRenewal,
    TierPrice,
)
from coresync.memberships.services import activate_membership


class MembershipPlanForm(forms.ModelForm):
    """Benefits typed one per line instead of as raw JSON (the admin names the fields)."""

    benefits = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="One per line."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        benefits = self.initial.get("benefits")
        if isinstance(benefits, list):
            self.initial["benefits"] = "\n".join(str(item) for item in benefits)

    def clean_benefits(self) -> list[str]:
        text = self.cleaned_data["benefits"]
        return [line.strip() for line in text.splitlines() if line.strip()]


@admin.register(MembershipPlan)
class MembershipPlanAdmin(admin.ModelAdmin):
    form = MembershipPlanForm
    list_display = (
        "name",
        "tier",
        "monthly_price",
        "discount_percent",
        "advance_days",
        "priority",
        "vip",
        "included_credits",
        "is_active",
    )
    list_filter = ("tier", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "tier", "monthly_price", "is_active")}),
        (
            "Access and pricing",
            {"fields": ("advance_days", "priority", "vip", "discount_percent")},
        ),
        (
            "Benefits",
            {
                "fields": (
                    "included_credits",
                    "benefits",
                    "birthday_benefit",
                    "birthday_discount_percent",
                )
            },
        ),
        (
            "Cancellation policy override",
            {
                "fields": (
                    "free_cancellation_hours",
                    "late_cancellation_fee_percent",
                    "no_show_fee_percent",
                ),
                "description": "Leave empty to use the spa-wide policy (Spa settings).",
            },
        ),
    )


@admin.register(TierPrice)
class TierPriceAdmin(admin.ModelAdmin):
    list_display = ("service", "tier", "minutes", "price")
    list_filter = ("tier", "service__category")
    list_select_related = ("service",)
    search_fields = ("service__name", "service__slug")
    autocomplete_fields = ("service",)


class ReadOnlyInline(admin.TabularInline):
    """Rows written by the services only: shown, never added, changed or deleted by hand."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MembershipHistoryInline(ReadOnlyInline):
    model = MembershipHistory
    fields = ("created_at", "action", "from_status", "to_status", "from_plan", "to_plan", "actor")
    readonly_fields = fields


class MembershipRenewalInline(ReadOnlyInline):
    model = MembershipRenewal
    fields = (
        "period_start",
        "period_end",
        "plan",
        "amount",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    readonly_fields = fields


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = (
        "customer",
        "plan",
        "status",
        "pending_plan",
        "number",
        "started_on",
        "ends_on",
        "credits_used",
    )
    list_filter = ("status", "plan")
    actions = ["activate_paid"]
    list_select_related = ("customer", "plan")
    search_fields = ("customer__email", "customer__name", "=number")
    autocomplete_fields = ("customer",)
    date_hierarchy = "started_on"
    readonly_fields = ("number", "created_at", "billing_anchor_day")
    inlines = (MembershipRenewalInline, MembershipHistoryInline)
    fieldsets = (
        (None, {"fields": ("customer", "plan", "status", "pending_plan", "next_plan")}),
        ("Dates", {"fields": ("started_on", "ends_on")}),
        (
            "Current period",
            {
                "fields": (
                    "current_period_start",
                    "current_period_end",
                    "billing_anchor_day",
                    "credits_used",
                )
            },
        ),
        (None, {"fields": ("number", "created_at")}),
    )

    @admin.action(description="Paid at the desk: activate the membership or the upgrade")
    def activate_paid(self, request, queryset) -> None:
        """Activate each selected pending membership or pending upgrade (the fee was paid at
        the desk), through :func:`activate_membership`."""
        done = 0
        for membership in queryset:
            try:
                activate_membership(membership, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{membership}: {error.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} activated.", messages.SUCCESS)
