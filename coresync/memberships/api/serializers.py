from rest_framework import serializers

from coresync.memberships.models import MembershipPlan


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
        ]


class MembershipSerializer(serializers.Serializer):
    plan = PlanSerializer()
    status = serializers.CharField()
    started_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    current_period_start = serializers.DateField(allow_null=True)
    current_period_end = serializers.DateField(allow_null=True)
    credits_used = serializers.IntegerField()
    credits_included = serializers.IntegerField(source="plan.included_credits")


class PlanChoiceSerializer(serializers.Serializer):
    plan = serializers.SlugField()
