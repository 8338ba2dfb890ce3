"""Concierge endpoints: members ask, the desk answers (ARCHITECTURE.md "Shop and concierge")."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from coresync.concierge.api.serializers import (
    ApproveSerializer,
    DeclineSerializer,
    EmptySerializer,
    RequestCreateSerializer,
    RequestSerializer,
    StaffRequestSerializer,
    StaffStepSerializer,
)
from coresync.concierge.api.throttles import RequestCreateThrottle
from coresync.concierge.models import ConciergeRequest
from coresync.concierge.selectors import requests_visible_to
from coresync.concierge.services import (
    RequestDetails,
    approve_request,
    cancel_request,
    complete_request,
    decline_request,
    mark_request_ready,
    start_request,
    submit_request,
)
from coresync.core.api.exceptions import reject_read_only
from coresync.core.api.permissions import is_staff_member
from coresync.core.clock import now
from coresync.core.errors import Forbidden

REFERENCE_PATTERN = r"CR-\d{4}-\d{6,}"


class ConciergeRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """A member's concierge requests (front desk and managers: everyone's), by reference."""

    permission_classes = [IsAuthenticated]
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN
    throttle_classes = [RequestCreateThrottle]

    def get_queryset(self) -> QuerySet[ConciergeRequest]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ConciergeRequest.objects.none()
        return requests_visible_to(self.request.user)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return RequestSerializer  # staff answers add fields (StaffRequestSerializer)
        return StaffRequestSerializer if is_staff_member(self.request.user) else RequestSerializer

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": now()}

    def _answer(self, request_row: ConciergeRequest, code: int = status.HTTP_200_OK) -> Response:
        serializer = self.get_serializer_class()(request_row, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    @extend_schema(request=RequestCreateSerializer, responses={201: RequestSerializer})
    def create(self, request):
        """Ask the concierge. Active Premium and VIP members only (others 403); the pickup
        date at least 3 spa-local days ahead; alcohol needs a birthday making the member 21 on
        the pickup date (422 ``age_verification_required``)."""
        reject_read_only(request.data, {"status", "reference", "actual_cost", "staff_notes"})
        payload = RequestCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = submit_request(request.user, RequestDetails(**payload.validated_data))
        return self._answer(created, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, reference=None):
        """The member (or the desk) cancels while pending or approved."""
        return self._answer(cancel_request(self.get_object(), actor=request.user))

    def _staff_step(self, request, step, serializer=StaffStepSerializer) -> Response:
        """Check the caller is staff (403 before anything else), read the step's body, run
        ``step(row, actor=…, **body)``."""
        if not is_staff_member(request.user):
            raise Forbidden("Only the front desk or a manager can do that.")
        row = self.get_object()
        payload = serializer(data=request.data or {})
        payload.is_valid(raise_exception=True)
        return self._answer(step(row, actor=request.user, **payload.validated_data))

    @extend_schema(request=ApproveSerializer, responses=RequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, reference=None):
        """Staff: pending → approved."""
        return self._staff_step(request, approve_request, ApproveSerializer)

    @extend_schema(request=DeclineSerializer, responses=RequestSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, reference=None):
        """Staff: pending → declined, with the reason the member reads."""
        return self._staff_step(request, decline_request, DeclineSerializer)

    @extend_schema(request=ApproveSerializer, responses=RequestSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, reference=None):
        """Staff: approved → processing."""
        return self._staff_step(request, start_request, ApproveSerializer)

    @extend_schema(request=StaffStepSerializer, responses=RequestSerializer)
    @action(detail=True, methods=["post"])
    def ready(self, request, reference=None):
        """Staff: processing → ready, with the actual cost (within the budget)."""
        return self._staff_step(request, mark_request_ready)

    @extend_schema(request=None, responses=RequestSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, reference=None):
        """Staff: ready → completed (picked up)."""
        return self._staff_step(request, complete_request, EmptySerializer)
