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
