"""Staff endpoints (``/api/v1/staff/…``; ARCHITECTURE.md "Staff time", docs/staff.md).

Technicians work on their own time entries, clock and time off and see their own week;
managers on everyone's, and alone approve, edit, reject, reassign, set rates and run payroll.
Anyone else is 403 ``forbidden`` (anonymous 401). Each view parses input, checks the caller,
calls one service and answers; the services hold the rules.
"""

from datetime import timedelta

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import cancel_booking
from coresync.core.api.exceptions import reject_read_only
from coresync.core.api.renderers import ORJSONRenderer
from coresync.core.clock import local_date, local_midnight_utc
from coresync.core.clock import now as clock_now
from coresync.core.errors import Forbidden, InvalidInput, NotFound
from coresync.resources.models import Technician
from coresync.spa.selectors import get_settings
from coresync.staff.api.serializers import (
    AgendaQuerySerializer,
    AgendaSerializer,
    ClockSerializer,
    ClockStateSerializer,
    DecisionSerializer,
    PayRateCreateSerializer,
    PayRateSerializer,
    PayrollCloseSerializer,
    PayrollQuerySerializer,
    PayrollSerializer,
    ReassignCancelSerializer,
    ReassignedSerializer,
    ReassignmentSerializer,
    ReassignSerializer,
    TimeEntryCreateSerializer,
    TimeEntryDetailSerializer,
    TimeEntryEditSerializer,
    TimeEntryListQuerySerializer,
    TimeEntrySerializer,
    TimeOffCreateSerializer,
    TimeOffSerializer,
)
from coresync.staff.errors import InvalidTransition
from coresync.staff.exports import CONTENT_TYPES, XLSX_CONTENT_TYPE, filename, payroll_file
from coresync.staff.models import PayRate, TimeEntry, TimeOffRequest
from coresync.staff.periods import period_for_day
from coresync.staff.selectors import (
    entries_visible_to,
    guest_first_name,
    is_manager,
    open_entry,
    payroll_report,
    reassignment_queue,
    staff_view,
    technician_bookings,
    technician_of,
    time_off_visible_to,
)
from coresync.staff.services import (
    add_time_entry,
    approve_entry,
    approve_time_off,
    cancel_time_off,
    clock_in,
    clock_out,
    close_pay_period,
    decline_time_off,
    edit_entry,
    end_break,
    reassign_booking,
    reject_entry,
    request_time_off,
    set_pay_rate,
    start_break,
)

ID_PATTERN = r"[0-9]{1,18}"
"""At most 18 digits: a longer id cannot be a bigint, and PostgreSQL would refuse the query."""

READ_ONLY_ENTRY_FIELDS = {"id", "status", "hours", "source", "decided_at", "decision_note"}


class IsTechnicianOrManager(BasePermission):
    """A technician with a technician profile, or a manager (others: 403 ``forbidden``)."""

    message = "Only technicians and managers can do that."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return is_manager(user) or technician_of(user) is not None


class IsManagerOnly(BasePermission):
    message = "Only a manager can do that."

    def has_permission(self, request, view) -> bool:
        return is_manager(request.user)


STAFF = [IsAuthenticated, IsTechnicianOrManager]
MANAGERS = [IsAuthenticated, IsManagerOnly]


def acting_technician(user, slug: str | None) -> Technician:
    """Return whose time a request is about: the caller's own technician profile, or — for
    a manager — the technician ``slug`` names.

    Raises:
        Forbidden: a technician naming someone else.
        InvalidInput: an unknown slug, or a manager without a technician named.
    """
    own = technician_of(user)
    if slug:
        technician = Technician.objects.filter(slug=slug).first()
        if technician is None:
            raise InvalidInput(
                f'Unknown technician "{slug}".', fields={"technician": "No such technician."}
            )
        if technician != own and not is_manager(user):
            raise Forbidden("A technician can only record their own time.")
        return technician
    if own is None:
        raise InvalidInput("Name the technician.", fields={"technician": "This field is required."})
    return own


def _context(request) -> dict:
    return {"request": request, "now": clock_now()}


# -- time entries ----------------------------------------------------------------------------


class TimeEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Time entries: a technician's own, a manager's view of everyone's."""

    permission_classes = STAFF
    serializer_class = TimeEntrySerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[TimeEntry]:
        if getattr(self, "swagger_fake_view", False):
            return TimeEntry.objects.none()
        entries = entries_visible_to(self.request.user)
        if self.action == "retrieve":
            return entries.prefetch_related("history__actor")
        if self.action != "list":
            return entries
        query = TimeEntryListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        zone = get_settings().zone
        if params.get("technician"):
            entries = entries.filter(technician__slug=params["technician"])
        if params.get("status"):
            entries = entries.filter(status=params["status"])
        if params.get("date_from"):
            entries = entries.filter(started_at__gte=local_midnight_utc(params["date_from"], zone))
        if params.get("date_to"):
            end = local_midnight_utc(params["date_to"] + timedelta(days=1), zone)
            entries = entries.filter(started_at__lt=end)
        return entries.order_by("-started_at", "-pk")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": clock_now()}

    def get_serializer_class(self):
        return TimeEntryDetailSerializer if self.action == "retrieve" else TimeEntrySerializer

    @extend_schema(parameters=[TimeEntryListQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=TimeEntryCreateSerializer, responses={201: TimeEntrySerializer})
    def create(self, request):
        """Record worked time by hand (pending approval). 400 ``invalid`` when ``ended_at``
        is not after ``started_at`` or more than 16 h later; 409 ``overlapping_entry``;
        403 ``forbidden`` for a technician naming another."""
        reject_read_only(request.data, READ_ONLY_ENTRY_FIELDS)
        payload = TimeEntryCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        technician = acting_technician(request.user, data.get("technician"))
        entry = add_time_entry(
            technician,
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            note=data["note"],
            breaks=[(item["started_at"], item["ended_at"]) for item in data["breaks"]],
            actor=request.user,
        )
        entry = entries_visible_to(request.user).get(pk=entry.pk)
        return Response(
            TimeEntrySerializer(entry, context=_context(request)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=TimeEntryEditSerializer, responses=TimeEntryDetailSerializer)
    def partial_update(self, request, pk=None):
        """Managers: correct an entry (start, end, note, breaks) with a ``reason``; the
        history keeps what it was."""
        if not is_manager(request.user):
            raise Forbidden("Only a manager can edit hours.")
        reject_read_only(request.data, READ_ONLY_ENTRY_FIELDS)
        payload = TimeEntryEditSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        entry = edit_entry(
            self.get_object(),
            actor=request.user,
            reason=data["reason"],
            started_at=data.get("started_at"),
            ended_at=data.get("ended_at"),
            note=data.get("note"),
            breaks=[(item["started_at"], item["ended_at"]) for item in data["breaks"]]
            if "breaks" in data
            else None,
        )
        entry = entries_visible_to(request.user).prefetch_related("history__actor").get(pk=entry.pk)
        return Response(TimeEntryDetailSerializer(entry, context=_context(request)).data)

    def _decide(self, request, decide):
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = self.get_object()
        decide(entry, actor=request.user, note=payload.validated_data["note"])
        entry = entries_visible_to(request.user).get(pk=entry.pk)
        return Response(TimeEntrySerializer(entry, context=_context(request)).data)

    @extend_schema(request=DecisionSerializer, responses=TimeEntrySerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Managers: pending → approved (422 ``invalid_transition`` from any other state)."""
        return self._decide(request, approve_entry)

    @extend_schema(request=DecisionSerializer, responses=TimeEntrySerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Managers: pending or approved → rejected."""
        return self._decide(request, reject_entry)


class ClockView(APIView):
    """The caller's clock: ``GET`` whether clocked in (and on a break)."""

    permission_classes = STAFF

    @extend_schema(
        parameters=[ClockSerializer], responses=ClockStateSerializer, operation_id="staff_clock"
    )
    def get(self, request):
        query = ClockSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        technician = acting_technician(request.user, query.validated_data.get("technician"))
        entry = open_entry(technician)
        return Response(
            ClockStateSerializer(
                {
                    "clocked_in": entry is not None,
                    "on_break": bool(
                        entry and any(pause.ended_at is None for pause in entry.breaks.all())
                    ),
                    "entry": entry,
                },
                context=_context(request),
            ).data
        )


class ClockActionView(APIView):
    """``POST staff/clock/<action>/``: in, out, break-start, break-end; answers the entry."""

    permission_classes = STAFF
    actions = {
        "in": clock_in,
        "out": clock_out,
        "break-start": start_break,
        "break-end": end_break,
    }
    clock_action = "in"

    @extend_schema(request=ClockSerializer, responses=TimeEntrySerializer)
    def post(self, request):
        payload = ClockSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        technician = acting_technician(request.user, payload.validated_data.get("technician"))
        result = self.actions[self.clock_action](technician, actor=request.user)
        entry_id = getattr(result, "entry_id", None) or result.pk
        entry = TimeEntry.objects.prefetch_related("breaks").select_related("technician")
        answer = status.HTTP_201_CREATED if self.clock_action == "in" else status.HTTP_200_OK
        return Response(
            TimeEntrySerializer(entry.get(pk=entry_id), context=_context(request)).data,
            status=answer,
        )


def clock_action_view(name: str, summary: str):
    """Return a :class:`ClockActionView` for one clock action, documented."""

    view = type(
        f"Clock{name.title().replace('-', '')}View",
        (ClockActionView,),
        {"clock_action": name, "__doc__": summary},
    )
    schema = extend_schema(
        request=ClockSerializer,
        responses={201 if name == "in" else 200: TimeEntrySerializer},
        description=summary,
    )
    view.post = schema(ClockActionView.post)
    return view.as_view()


# -- time off --------------------------------------------------------------------------------


class TimeOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Time-off requests: a technician's own; managers all, and decide them."""

    permission_classes = STAFF
    serializer_class = TimeOffSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self) -> QuerySet[TimeOffRequest]:
        if getattr(self, "swagger_fake_view", False):
            return TimeOffRequest.objects.none()
        return time_off_visible_to(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=TimeOffCreateSerializer, responses={201: TimeOffSerializer})
    def create(self, request):
        """Ask for time off (pending until a manager approves: approval creates the
        exception and flags the bookings it falls on)."""
        reject_read_only(request.data, {"id", "status", "exception", "decided_at"})
        payload = TimeOffCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        technician = acting_technician(request.user, values.pop("technician", None))
        created = request_time_off(technician, values, actor=request.user)
        return Response(TimeOffSerializer(created).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, decide):
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = decide(self.get_object(), actor=request.user, note=payload.validated_data["note"])
        return Response(TimeOffSerializer(decided).data)

    @extend_schema(request=DecisionSerializer, responses=TimeOffSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Managers: pending → approved; creates the exception."""
        return self._decide(request, approve_time_off)

    @extend_schema(request=DecisionSerializer, responses=TimeOffSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Managers: pending → declined."""
        return self._decide(request, decline_time_off)

    @extend_schema(request=None, responses=TimeOffSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The technician while pending; a manager also once approved (the exception goes)."""
        return Response(
            TimeOffSerializer(cancel_time_off(self.get_object(), actor=request.user)).data
        )


# -- bookings to reassign --------------------------------------------------------------------


def _reassignment_rows(rows) -> list[dict]:
    return [
        {
            "reference": row.booking.reference,
            "status": row.booking.status,
            "service": row.booking.service.name,
            "start": row.booking.start,
            "end": row.booking.end,
            "room": row.booking.room.name,
            "guest": guest_first_name(row.booking),
            "technicians": staff_view(row.booking).technicians,
            "absent_technicians": row.absent,
            "closed_rooms": row.closed_rooms,
            "free_technicians": [technician.slug for technician in row.free],
        }
        for row in rows
    ]


class ReassignmentListView(APIView):
    """Managers: upcoming bookings whose technician is away (``needs_reassignment``), with
    the technicians free at each one's start."""

    permission_classes = MANAGERS

    @extend_schema(responses=ReassignmentSerializer(many=True))
    def get(self, request):
        rows = reassignment_queue(clock_now())
        return Response(ReassignmentSerializer(_reassignment_rows(rows), many=True).data)


def _reassigned(booking: Booking) -> dict:
    booking = Booking.objects.select_related("technician").get(pk=booking.pk)
    return ReassignedSerializer(
        {
            "reference": booking.reference,
            "status": booking.status,
            "start": booking.start,
            "technician": booking.technician.slug if booking.technician_id else None,
            "cancellation_fee": f"{booking.cancellation_fee:.2f}"
            if booking.cancellation_fee is not None
            else None,
        }
    ).data


def _waiting_booking(reference: str) -> Booking:
    booking = Booking.objects.filter(reference=reference).first()
    if booking is None:
        raise NotFound("No such booking.")
    return booking


class ReassignView(APIView):
    """Managers: move the booking to ``technician`` at the same start (a reschedule; the
    guest is told). 422 ``invalid_transition`` unless it is ``needs_reassignment``; 409
    ``slot_unavailable`` when that technician is busy."""

    permission_classes = MANAGERS

    @extend_schema(request=ReassignSerializer, responses=ReassignedSerializer)
    def post(self, request, reference: str):
        payload = ReassignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = reassign_booking(
            _waiting_booking(reference),
            technician=payload.validated_data["technician"],
            actor=request.user,
        )
        return Response(_reassigned(booking))


class ReassignCancelView(APIView):
    """Managers: cancel a booking whose technician is away, free of charge."""

    permission_classes = MANAGERS

    @extend_schema(request=ReassignCancelSerializer, responses=ReassignedSerializer)
    def post(self, request, reference: str):
        payload = ReassignCancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = _waiting_booking(reference)
        if booking.status != BookingStatus.NEEDS_REASSIGNMENT:
            raise InvalidTransition(
                f"This booking is {booking.status}; cancel it from the booking instead.",
                status=booking.status,
            )
        booking = cancel_booking(
            booking,
            actor=request.user,
            reason=payload.validated_data["reason"] or "Your therapist is unavailable.",
        )
        return Response(_reassigned(booking))


# -- a technician's week ---------------------------------------------------------------------


class AgendaView(APIView):
    """The week (Monday to Sunday, spa time) around ``date`` of the caller's bookings as a
    technician sees them: time, service, duration, add-ons, room, the guest's first name,
    preferences and notes. Managers may name a technician."""

    permission_classes = STAFF

    @extend_schema(parameters=[AgendaQuerySerializer], responses=AgendaSerializer)
    def get(self, request):
        query = AgendaQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        technician = acting_technician(request.user, query.validated_data.get("technician"))
        zone = get_settings().zone
        day = query.validated_data.get("date") or local_date(clock_now(), zone)
        monday = day - timedelta(days=day.weekday())
        sunday = monday + timedelta(days=6)
        bookings = technician_bookings(technician, monday, sunday)
        days = [
            {
                "date": monday + timedelta(days=offset),
                "bookings": [
                    booking
                    for booking in bookings
                    if local_date(booking.start, zone) == monday + timedelta(days=offset)
                ],
            }
            for offset in range(7)
        ]
        return Response(
            AgendaSerializer(
                {
                    "technician": technician.slug,
                    "timezone": str(zone),
                    "date_from": monday,
                    "date_to": sunday,
                    "days": days,
                }
            ).data
        )


# -- pay rates and payroll -------------------------------------------------------------------


class PayRateView(APIView):
    """Managers: hourly rates by effective day; ``POST`` sets one (from that spa-local day
    on; a closed pay period keeps its totals)."""

    permission_classes = MANAGERS

    @extend_schema(responses=PayRateSerializer(many=True))
    def get(self, request):
        rates = PayRate.objects.select_related("technician").order_by(
            "technician__slug", "-effective_from"
        )
        return Response(PayRateSerializer(rates, many=True).data)

    @extend_schema(request=PayRateCreateSerializer, responses={201: PayRateSerializer})
    def post(self, request):
        payload = PayRateCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        technician = Technician.objects.filter(slug=data["technician"]).first()
        if technician is None:
            raise InvalidInput(
                f'Unknown technician "{data["technician"]}".',
                fields={"technician": "No such technician."},
            )
        rate = set_pay_rate(
            technician,
            hourly_rate=data["hourly_rate"],
            effective_from=data["effective_from"],
            actor=request.user,
        )
        return Response(PayRateSerializer(rate).data, status=status.HTTP_201_CREATED)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes | str) else b""


class XLSXRenderer(BaseRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


def _payroll_body(report) -> dict:
    return {
        "period": report.period,
        "timezone": str(get_settings().zone),
        "closed": report.closed,
        "closed_at": report.closed_at,
        "rows": report.rows,
        "total_hours": report.total_hours,
        "total_pay": report.total_pay,
        "total_services": report.total_services,
        "total_revenue": report.total_revenue,
    }


class PayrollView(APIView):
    """Managers: the pay period containing spa-local ``date`` (weekly, from Thursday 18:00
    spa time by default): approved hours, overtime, pay, services and revenue per
    technician. ``format=csv`` or ``xlsx`` downloads it (a header line, one row each)."""

    permission_classes = MANAGERS
    renderer_classes = [ORJSONRenderer, CSVRenderer, XLSXRenderer]

    @extend_schema(
        parameters=[PayrollQuerySerializer],
        responses={
            (200, "application/json"): PayrollSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV"),
            (200, XLSXRenderer.media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="XLSX workbook"
            ),
        },
    )
    def get(self, request):
        query = PayrollQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        spa = get_settings()
        day = query.validated_data.get("date") or local_date(clock_now(), spa.zone)
        report = payroll_report(period_for_day(day, spa.zone))
        wanted = query.validated_data.get("format") or getattr(
            request.accepted_renderer, "format", "json"
        )
        if wanted not in CONTENT_TYPES:
            return Response(PayrollSerializer(_payroll_body(report)).data)
        response = HttpResponse(
            payroll_file(report, wanted, spa_name=spa.name, zone=spa.zone),
            content_type=CONTENT_TYPES[wanted],
        )
        response["Content-Disposition"] = f'attachment; filename="{filename(report, wanted)}"'
        return response


class PayrollCloseView(APIView):
    """Managers: close the (ended) pay period containing ``date``: its totals freeze and the
    export is emailed to every manager. 422 ``invalid_transition`` if it has not ended or is
    closed already."""

    permission_classes = MANAGERS

    @extend_schema(request=PayrollCloseSerializer, responses=PayrollSerializer)
    def post(self, request):
        payload = PayrollCloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        zone = get_settings().zone
        period = period_for_day(payload.validated_data["date"], zone)
        close_pay_period(period, actor=request.user)
        return Response(PayrollSerializer(_payroll_body(payroll_report(period))).data)
