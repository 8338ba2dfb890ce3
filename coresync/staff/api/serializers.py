"""Staff API serializers: time entries, the clock, time off, reassignments, pay rates and
payroll. Instants are read with their UTC offset (naive → 400 ``timezone_offset_required``)
and written in spa time with the offset; hours and money are strings with two decimals."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coresync.core.api.fields import AwareDateTimeField, CalendarDateField
from coresync.core.api.manage import StrictFieldsMixin
from coresync.core.clock import now as clock_now
from coresync.core.money import format_amount
from coresync.staff.models import (
    TIME_OFF_KINDS,
    TimeEntry,
    TimeEntryChange,
    TimeOffRequest,
)
from coresync.staff.selectors import StaffBooking, break_seconds, entry_hours


class BreakSerializer(StrictFieldsMixin, serializers.Serializer):
    started_at = AwareDateTimeField()
    ended_at = AwareDateTimeField(allow_null=True, required=False)


class TimeEntryCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """``POST staff/time-entries/``: worked time entered by hand. ``technician`` (slug) is
    for managers; a technician logs their own (naming another → 403)."""

    started_at = AwareDateTimeField()
    ended_at = AwareDateTimeField()
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)
    technician = serializers.SlugField(required=False, allow_null=True, allow_blank=True)
    breaks = BreakSerializer(many=True, required=False, default=list)

    def validate_breaks(self, value):
        for item in value:
            if item.get("ended_at") is None:
                raise serializers.ValidationError("Each break needs started_at and ended_at.")
        return value


class TimeEntryEditSerializer(StrictFieldsMixin, serializers.Serializer):
    """``PATCH staff/time-entries/{id}/`` (managers): what changes, and why (``reason``)."""

    started_at = AwareDateTimeField(required=False)
    ended_at = AwareDateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    breaks = BreakSerializer(many=True, required=False)
    reason = serializers.CharField(max_length=200)

    def validate_breaks(self, value):
        return TimeEntryCreateSerializer.validate_breaks(self, value)


class DecisionSerializer(StrictFieldsMixin, serializers.Serializer):
    """An approval or a refusal, with an optional note for the technician."""

    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class ClockSerializer(StrictFieldsMixin, serializers.Serializer):
    """Clock actions act for the caller; a manager may name a technician."""

    technician = serializers.SlugField(required=False, allow_null=True, allow_blank=True)


class TimeEntryChangeSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TimeEntryChange
        fields = ["action", "actor", "before", "after", "reason", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_actor(self, change: TimeEntryChange) -> str | None:
        return change.actor.email if change.actor_id else None


class TimeEntrySerializer(serializers.ModelSerializer):
    """An entry: ``hours`` are the real elapsed hours minus breaks (so far, while open)."""

    technician = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    hours = serializers.SerializerMethodField()
    break_minutes = serializers.SerializerMethodField()
    breaks = serializers.SerializerMethodField()

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "technician",
            "started_at",
            "ended_at",
            "hours",
            "break_minutes",
            "status",
            "source",
            "note",
            "breaks",
            "decision_note",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_hours(self, entry: TimeEntry) -> str:
        return format_amount(entry_hours(entry, until=self.context.get("now") or clock_now()))

    @extend_schema_field(serializers.IntegerField())
    def get_break_minutes(self, entry: TimeEntry) -> int:
        return int(break_seconds(entry) // 60)

    @extend_schema_field(BreakSerializer(many=True))
    def get_breaks(self, entry: TimeEntry) -> list[dict]:
        return [
            {
                "started_at": serializers.DateTimeField().to_representation(pause.started_at),
                "ended_at": serializers.DateTimeField().to_representation(pause.ended_at)
                if pause.ended_at
                else None,
            }
            for pause in entry.breaks.all()
        ]


class TimeEntryDetailSerializer(TimeEntrySerializer):
    history = TimeEntryChangeSerializer(many=True, read_only=True)

    class Meta(TimeEntrySerializer.Meta):
        fields = [*TimeEntrySerializer.Meta.fields, "history"]
        read_only_fields = fields


class ClockStateSerializer(serializers.Serializer):
    clocked_in = serializers.BooleanField()
    on_break = serializers.BooleanField()
    entry = TimeEntrySerializer(allow_null=True)


class TimeEntryListQuerySerializer(serializers.Serializer):
    technician = serializers.SlugField(required=False)
    status = serializers.ChoiceField(
        choices=["open", "pending", "approved", "rejected"], required=False
    )
    date_from = CalendarDateField(required=False)
    date_to = CalendarDateField(required=False)


class TimeOffCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """``POST staff/time-off/``: a day (``date``), a range (``date``..``end_date``) or part of
    a day (``date`` with ``start``/``end``, spa time). ``technician`` is for managers."""

    kind = serializers.ChoiceField(choices=list(TIME_OFF_KINDS))
    date = CalendarDateField()
    end_date = CalendarDateField(required=False, allow_null=True)
    start = serializers.CharField(
        required=False, allow_null=True, help_text='"HH:MM"; with end, part of one day.'
    )
    end = serializers.CharField(required=False, allow_null=True, help_text='"HH:MM".')
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)
    technician = serializers.SlugField(required=False, allow_null=True, allow_blank=True)


class TimeOffSerializer(serializers.ModelSerializer):
    technician = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    start = serializers.SerializerMethodField(help_text='"HH:MM" spa time, or null.')
    end = serializers.SerializerMethodField(help_text='"HH:MM" spa time, or null.')
    exception = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = TimeOffRequest
        fields = [
            "id",
            "technician",
            "kind",
            "date",
            "end_date",
            "start",
            "end",
            "reason",
            "status",
            "decision_note",
            "decided_at",
            "exception",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_start(self, row: TimeOffRequest) -> str | None:
        return f"{row.start:%H:%M}" if row.start else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_end(self, row: TimeOffRequest) -> str | None:
        return f"{row.end:%H:%M}" if row.end else None


class ReassignSerializer(StrictFieldsMixin, serializers.Serializer):
    technician = serializers.SlugField()


class ReassignCancelSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class ReassignedSerializer(serializers.Serializer):
    """A booking after a reassignment or a cancellation from the queue."""

    reference = serializers.CharField()
    status = serializers.CharField()
    start = serializers.DateTimeField()
    technician = serializers.SlugField(allow_null=True)
    cancellation_fee = serializers.CharField(allow_null=True)


class ReassignmentSerializer(serializers.Serializer):
    """A booking waiting for another technician, with who is free at its start."""

    reference = serializers.CharField()
    status = serializers.CharField()
    service = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    room = serializers.CharField()
    guest = serializers.CharField()
    technicians = serializers.ListField(child=serializers.CharField())
    absent_technicians = serializers.ListField(child=serializers.CharField())
    closed_rooms = serializers.ListField(
        child=serializers.CharField(), help_text="Rooms closed for maintenance over it."
    )
    free_technicians = serializers.ListField(child=serializers.SlugField())


class StaffBookingSerializer(serializers.Serializer):
    """A booking as its technician sees it: the guest's first name, preferences and notes;
    never an email, a phone number or a surname."""

    reference = serializers.CharField()
    status = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    service = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    service_minutes = serializers.IntegerField()
    addons = serializers.ListField(child=serializers.CharField())
    room = serializers.CharField()
    guest = serializers.CharField()
    guests = serializers.IntegerField()
    technicians = serializers.ListField(child=serializers.CharField())
    preferences = serializers.SerializerMethodField()
    notes = serializers.CharField(allow_blank=True)

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_preferences(self, booking: StaffBooking) -> dict[str, str]:
        return dict(booking.preferences)


class AgendaDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    bookings = StaffBookingSerializer(many=True)


class AgendaSerializer(serializers.Serializer):
    technician = serializers.SlugField()
    timezone = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    days = AgendaDaySerializer(many=True)


class AgendaQuerySerializer(serializers.Serializer):
    date = CalendarDateField(required=False, help_text="A day of the week (default today).")
    technician = serializers.SlugField(required=False, help_text="Managers only.")


class PayRateCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    technician = serializers.SlugField()
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    effective_from = CalendarDateField()


class PayRateSerializer(serializers.Serializer):
    technician = serializers.SlugField(source="technician.slug")
    hourly_rate = serializers.DecimalField(max_digits=8, decimal_places=2)
    effective_from = serializers.DateField()


class PayrollQuerySerializer(serializers.Serializer):
    date = CalendarDateField(required=False, help_text="A spa-local day (default today).")
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx"], required=False)


class PayrollCloseSerializer(StrictFieldsMixin, serializers.Serializer):
    date = CalendarDateField(help_text="A spa-local day of the period to close.")


class PayrollRowSerializer(serializers.Serializer):
    technician = serializers.SlugField(source="technician_slug")
    name = serializers.CharField(source="technician_name")
    approved_hours = serializers.DecimalField(max_digits=7, decimal_places=2)
    regular_hours = serializers.DecimalField(max_digits=7, decimal_places=2)
    overtime_hours = serializers.DecimalField(max_digits=7, decimal_places=2)
    overtime = serializers.BooleanField()
    hourly_rates = serializers.CharField(allow_blank=True)
    gross_pay = serializers.DecimalField(max_digits=10, decimal_places=2)
    service_count = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=10, decimal_places=2)
    pending_entries = serializers.IntegerField()


class PayrollSerializer(serializers.Serializer):
    period_start = serializers.DateTimeField(source="period.starts_at")
    period_end = serializers.DateTimeField(source="period.ends_at")
    timezone = serializers.CharField()
    closed = serializers.BooleanField()
    closed_at = serializers.DateTimeField(allow_null=True)
    rows = PayrollRowSerializer(many=True)
    total_hours = serializers.DecimalField(max_digits=9, decimal_places=2)
    total_pay = serializers.DecimalField(max_digits=12, decimal_places=2)
    total_services = serializers.IntegerField()
    total_revenue = serializers.DecimalField(max_digits=12, decimal_places=2)
