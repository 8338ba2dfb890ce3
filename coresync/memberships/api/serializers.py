from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresync.core.api.manage import StrictFieldsMixin
from coresync.memberships.models import PLAN_TIERS, MembershipPlan
from coresync.payments.api.serializers import PaymentStartSerializer


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = MembershipPlan
        fields = [
            "slug",
            "name",
            "tier",
            "advance_days",
            "discount_percent",
            "priority",
            "vip",
            "monthly_price",
            "included_credits",
            "benefits",
            "birthday_benefit",
            "birthday_discount_percent",
        ]


class MembershipSerializer(serializers.Serializer):
    plan = PlanSerializer()
    status = serializers.CharField(
        help_text="pending (waiting for payment; no benefits yet), active, past_due, "
        "cancelled or expired."
    )
    started_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    current_period_start = serializers.DateField(allow_null=True)
    current_period_end = serializers.DateField(allow_null=True)
    credits_used = serializers.IntegerField()
    credits_included = serializers.IntegerField(source="plan.included_credits")
    pending_plan = PlanSerializer(
        allow_null=True,
        help_text="An upgrade waiting for its payment (at the spa, or the prorated difference "
        "being charged to the card on file); null when none.",
    )
    next_plan = PlanSerializer(
        allow_null=True,
        help_text="A downgrade chosen by the member: the plan from the next period; null when "
        "none.",
    )


class PlanChoiceSerializer(serializers.Serializer):
    plan = serializers.SlugField()


# -- managers ------------------------------------------------------------------------------

CANCELLATION_OVERRIDES = [
    "free_cancellation_hours",
    "late_cancellation_fee_percent",
    "no_show_fee_percent",
]


class PlanManageSerializer(PlanSerializer):
    """A plan as managers see it: the public fields, the cancellation overrides (null = the
    spa's policy) and ``is_active``."""

    # A plain string here: a second component with the plan-tier enum would make the
    # generated enum names collide with BookingTierEnum (a schema warning).
    tier = serializers.CharField()

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, *CANCELLATION_OVERRIDES, "is_active"]


class PlanWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """What a manager sends to create or change a plan (rules: memberships.services)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.CharField(help_text=f"One of {', '.join(PLAN_TIERS)}.")
    advance_days = serializers.IntegerField(help_text="Spa-local calendar days ahead.")
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    priority = serializers.BooleanField(required=False)
    vip = serializers.BooleanField(required=False)
    monthly_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    included_credits = serializers.IntegerField(required=False)
    benefits = serializers.ListField(child=serializers.CharField(), required=False)
    birthday_benefit = serializers.CharField(required=False, allow_blank=True)
    birthday_discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Off one booking's service in the member's birthday month, once a year.",
    )
    free_cancellation_hours = serializers.IntegerField(
        required=False, allow_null=True, help_text="Null: the spa's policy."
    )
    late_cancellation_fee_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    no_show_fee_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)


class MembershipJoinedSerializer(MembershipSerializer):
    """``POST memberships/``: the (pending) membership, plus how its first month is paid:
    with ``stripe``, confirm ``payment.client_secret`` with the Payment Element (the card is
    kept for the renewals); with ``onsite``, ``client_secret`` is null and ``amount`` is paid
    at the spa, where the desk activates the membership."""

    payment = serializers.SerializerMethodField()

    @extend_schema_field(PaymentStartSerializer)
    def get_payment(self, membership) -> dict:
        return PaymentStartSerializer(membership.payment_start).data
