"""Booking endpoints: quotes, create (idempotent), list, detail, cancel, reschedule, and the
staff schedule. Each view parses input, checks permission, calls one service."""

from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.bookings.api.serializers import (
    READ_ONLY_INPUT_FIELDS,
    BookingCreateSerializer,
    BookingSerializer,
    CancelSerializer,
    QuoteRequestSerializer,
    QuoteSerializer,
    RescheduleSerializer,
)
from coresync.bookings.api.throttles import BookingCreateThrottle
from coresync.bookings.models import REFERENCE_PATTERN, Booking
from coresync.bookings.selectors import bookings_visible_to
from coresync.bookings.services import (
    cancel_booking,
    quote_booking,
    reschedule_booking,
)
from coresync.checkout.services import BookingChoice, checkout_booking
from coresync.core.api.exceptions import reject_read_only
from coresync.core.api.fields import CalendarDateField
from coresync.core.api.idempotency import REPLAYED_HEADER, require_key
from coresync.core.api.permissions import IsStaffRole, is_staff_member
from coresync.core.clock import local_midnight_utc, now
from coresync.core.errors import InvalidInput
from coresync.payments.api.serializers import BookingCreatedSerializer
from coresync.spa.selectors import get_settings


class BookingListQuerySerializer(serializers.Serializer):
    when = serializers.ChoiceField(choices=["upcoming", "past"], required=False)
    status = serializers.CharField(required=False, max_length=20)
    date_from = CalendarDateField(required=False)
    date_to = CalendarDateField(required=False)
    technician = serializers.SlugField(required=False)
    customer = serializers.CharField(required=False, max_length=254)


class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A customer's bookings (staff: theirs or all), by reference."""

    permission_classes = [IsAuthenticated]
    serializer_class = BookingSerializer
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN
    throttle_classes = [BookingCreateThrottle]

    def get_queryset(self) -> QuerySet[Booking]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Booking.objects.none()
        bookings = bookings_visible_to(self.request.user)
        if self.action != "list":
            return bookings
        query = BookingListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        instant = self.get_serializer_context()["now"]
        tz = get_settings().zone
        if params.get("when") == "upcoming":
            bookings = bookings.filter(end__gt=instant).order_by("start")
        elif params.get("when") == "past":
            bookings = bookings.filter(end__lte=instant).order_by("-start")
        if params.get("status"):
            bookings = bookings.filter(status=params["status"])
        if params.get("date_from"):
            bookings = bookings.filter(start__gte=local_midnight_utc(params["date_from"], tz))
        if params.get("date_to"):
            end = local_midnight_utc(params["date_to"] + timedelta(days=1), tz)
            bookings = bookings.filter(start__lt=end)
        if is_staff_member(self.request.user):
            if params.get("technician"):
                bookings = bookings.filter(allocations__technician__slug=params["technician"])
            if params.get("customer"):
                bookings = bookings.filter(customer__email__iexact=params["customer"])
        return bookings.distinct()

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context.setdefault("now", now())
        return context

    @extend_schema(parameters=[BookingListQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=BookingCreateSerializer,
        responses={201: BookingCreatedSerializer, 200: BookingCreatedSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="A unique key per new booking; a repeat replays the response.",
            )
        ],
    )
    def create(self, request):
        """Book a slot. Same key and body → the same booking; another body → 422. A booking
        whose service time overlaps another of the caller's is 409 ``customer_busy`` unless
        ``guest_name`` names the other guest it is for."""
        key = require_key(request)
        reject_read_only(request.data, READ_ONLY_INPUT_FIELDS)
        payload = BookingCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data

        # The one booking step of every channel: pending + PaymentIntent with Stripe,
        # confirmed at once when paid at the spa (coresync.checkout.services).
        result = checkout_booking(
            customer=request.user,
            choice=BookingChoice(
                service=data["service"],
                start=data["start"],
                duration_minutes=data.get("duration"),
                addon_slugs=data["addons"],
                guests=data["guests"],
                technician=data.get("technician") or None,
                room=data.get("room") or None,
                preferences=data["preferences"],
                notes=data["notes"],
                guest_name=data["guest_name"],
                gift_card=data["gift_card"],
            ),
            idempotency_key=key,
            actor=request.user,
        )
        booking = self.get_queryset().get(pk=result.booking.pk)
        booking.payment_start = result.payment
        body = BookingCreatedSerializer(booking, context=self.get_serializer_context()).data
        response = Response(body, status=status.HTTP_201_CREATED)
        if result.replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    @extend_schema(request=CancelSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, reference=None):
        """Cancel under the policy; the answer carries ``cancellation_fee``."""
        body = request.data if isinstance(request.data, dict) else {}
        if body.get("waive_fee") and not request.user.is_manager:
            reject_read_only(request.data, {"waive_fee"})
        payload = CancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = self.get_object()
        cancel_booking(
            booking,
            actor=request.user,
            waive_fee=payload.validated_data["waive_fee"],
            reason=payload.validated_data["reason"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=booking.pk)).data)

    @extend_schema(request=RescheduleSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, reference=None):
        """Move to a new start (same reference) at the booking's recorded tier price;
        technician omitted = keep the booked one(s) (409 ``slot_unavailable`` when busy),
        ``"any"`` = any, a slug = that one; 409 ``customer_busy`` when the new time overlaps
        another booking of the customer's."""
        reject_read_only(request.data, READ_ONLY_INPUT_FIELDS)
        payload = RescheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = self.get_object()
        reschedule_booking(
            booking,
            start=payload.validated_data["start"],
            technician=payload.validated_data.get("technician") or None,
            actor=request.user,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=booking.pk)).data)


class QuoteView(APIView):
    """Price breakdown for a booking without making it (caller's tier)."""

    permission_classes = [AllowAny]

    @extend_schema(request=QuoteRequestSerializer, responses=QuoteSerializer)
    def post(self, request):
        payload = QuoteRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        quote = quote_booking(
            customer=request.user,
            service=data["service"],
            start=data.get("start"),
            duration_minutes=data.get("duration"),
            addon_slugs=data["addons"],
            guests=data["guests"],
            room=data.get("room") or None,
        )
        return Response(quote.as_dict())


class ScheduleQuerySerializer(serializers.Serializer):
    date = CalendarDateField()
    technician = serializers.SlugField(required=False)


class StaffScheduleSerializer(serializers.Serializer):
    """A day's schedule: the local date, the zone, when the day starts, and its bookings."""

    date = serializers.DateField()
    timezone = serializers.CharField()
    day_starts = serializers.DateTimeField()
    bookings = BookingSerializer(many=True)


class StaffScheduleView(APIView):
    """A day's bookings: a technician's own; front desk and managers everyone's
    (``?technician=SLUG`` narrows)."""

    permission_classes = [IsStaffRole]

    @extend_schema(parameters=[ScheduleQuerySerializer], responses=StaffScheduleSerializer)
    def get(self, request):
        query = ScheduleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data["date"]
        tz = get_settings().zone
        start = datetime.combine(day, time(0), tzinfo=tz)
        bookings = bookings_visible_to(request.user).filter(
            start__gte=local_midnight_utc(day, tz),
            start__lt=local_midnight_utc(day + timedelta(days=1), tz),
        )
        technician = query.validated_data.get("technician")
        if technician and is_staff_member(request.user):
            bookings = bookings.filter(allocations__technician__slug=technician).distinct()
        elif technician:
            raise InvalidInput(
                "Technicians see their own schedule.", fields={"technician": "Not allowed."}
            )
        context = {"now": now(), "request": request}
        return Response(
            {
                "date": day.isoformat(),
                "timezone": str(tz),
                "day_starts": start.isoformat(),
                "bookings": BookingSerializer(
                    bookings.order_by("start"), many=True, context=context
                ).data,
            }
        )
