"""Public membership plans."""

from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from coresync.memberships.api.serializers import PlanSerializer
from coresync.memberships.models import MembershipPlan


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    serializer_class = PlanSerializer
    lookup_field = "slug"
    pagination_class = None
    queryset = MembershipPlan.objects.filter(is_active=True)
