"""Membership plans (public reads, manager writes) and the caller's own membership."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.core.api.exceptions import reject_read_only
from coresync.core.api.manage import ManagedViewSet, manager_crud_schema
from coresync.core.clock import local_date, now
from coresync.core.errors import InvalidInput
from coresync.memberships.api.serializers import (
    MembershipJoinedSerializer,
    MembershipSerializer,
    PlanChoiceSerializer,
    PlanManageSerializer,
    PlanSerializer,
    PlanWriteSerializer,
)
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import open_membership
from coresync.memberships.services import (
    cancel_membership,
    create_plan,
    deactivate_plan,
    update_plan,
)
from coresync.payments.memberships import change_membership_plan, join
from coresync.spa.selectors import get_settings


@manager_crud_schema(public=PlanSerializer, manage=PlanManageSerializer, write=PlanWriteSerializer)
class PlanViewSet(ManagedViewSet):
    """Plans on offer, cheapest first."""

    public_serializer_class = PlanSerializer
    manage_serializer_class = PlanManageSerializer
    write_serializer_class = PlanWriteSerializer

    def base_queryset(self):
        return MembershipPlan.objects.all()

    def create_row(self, values):
        return create_plan(values)

    def update_row(self, row, changes):
        return update_plan(row, changes)

    def deactivate_row(self, row):
        deactivate_plan(row)


def _plan(slug: str) -> MembershipPlan:
    plan = MembershipPlan.objects.filter(slug=slug, is_active=True).first()
    if plan is None:
        raise InvalidInput(f'Unknown plan "{slug}".', fields={"plan": "No such plan."})
    return plan


def _current(request):
    today = local_date(now(), get_settings().zone)
    return open_membership(request.user, today)


class MyMembershipView(APIView):
    """``GET memberships/me/``: the caller's current membership, or the one waiting for
    payment (404 when none);
    ``POST memberships/`` subscribes; ``…/me/change/`` and ``…/me/cancel/`` change it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MembershipSerializer)
    def get(self, request):
        membership = _current(request)
        if membership is None:
            raise NotFound("You have no current membership.")
        return Response(MembershipSerializer(membership).data)


class SubscribeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PlanChoiceSerializer, responses={201: MembershipJoinedSerializer})
    def post(self, request):
        """Join a plan: a pending membership and how to pay its first month (online with
        Stripe: the Payment Element confirms ``payment.client_secret``; else at the spa).
        Asked again while the membership waits for that payment: the same payment."""
        reject_read_only(request.data, {"status", "customer", "price", "monthly_price"})
        payload = PlanChoiceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership, start = join(request.user, _plan(payload.validated_data["plan"]))
        membership.payment_start = start
        return Response(MembershipJoinedSerializer(membership).data, status=201)


class ChangePlanView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PlanChoiceSerializer, responses=MembershipSerializer)
    def post(self, request):
        payload = PlanChoiceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = change_membership_plan(request.user, _plan(payload.validated_data["plan"]))
        return Response(MembershipSerializer(membership).data)


class CancelMembershipView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=MembershipSerializer)
    def post(self, request):
        return Response(MembershipSerializer(cancel_membership(request.user)).data)
