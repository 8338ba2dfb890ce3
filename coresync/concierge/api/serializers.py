"""Concierge serializers (ARCHITECTURE.md "Shop and concierge")."""

from rest_framework import serializers

from coresync.concierge.models import ConciergeRequest, RequestCategory
from coresync.core.api.fields import CalendarDateField
from coresync.core.api.manage import StrictFieldsMixin


class RequestCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """``POST concierge/requests/``."""

    category = serializers.ChoiceField(choices=RequestCategory.choices)
    title = serializers.CharField(max_length=150)
    description = serializers.CharField(max_length=4000)
    link = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    budget_min = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    budget_max = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    pickup_date = CalendarDateField()


class DeclineSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class EmptySerializer(StrictFieldsMixin, serializers.Serializer):
    """A step without a body (``complete``)."""


class ApproveSerializer(StrictFieldsMixin, serializers.Serializer):
    """Optional notes of a staff step (``approve``, ``start``)."""

    staff_notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class StaffStepSerializer(ApproveSerializer):
    """``ready``: optional notes and the actual cost (within the member's budget)."""

    actual_cost = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0
    )


class RequestSerializer(serializers.ModelSerializer):
    """A request as its member sees it. The staff's answers add ``member``,
    ``member_name``, ``staff_notes`` and ``is_overdue`` (:class:`StaffRequestSerializer`)."""

    link = serializers.CharField(read_only=True)

    class Meta:
        model = ConciergeRequest
        fields = [
            "reference",
            "status",
            "category",
            "title",
            "description",
            "link",
            "budget_min",
            "budget_max",
            "pickup_date",
            "decline_reason",
            "actual_cost",
            "review_due_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StaffRequestSerializer(RequestSerializer):
    member = serializers.EmailField(source="member.email", read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta(RequestSerializer.Meta):
        fields = [
            *RequestSerializer.Meta.fields,
            "member",
            "member_name",
            "staff_notes",
            "is_overdue",
        ]
        read_only_fields = fields

    def get_is_overdue(self, request) -> bool:
        return request.status == "pending" and request.review_due_at < self.context["now"]
