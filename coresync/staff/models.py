"""The staff side (SPEC §7): technicians' time off requests, the time clock and payroll.

Time is stored as UTC instants (``started_at``/``ended_at``) and shown in spa time; a shift's
hours are the real elapsed time between them (a night across a DST change counts 7 or 9 hours
for 01:00-08:00 wall clock, never the wall-clock difference). Time-off requests carry
spa-local dates and wall-clock times, as the exceptions they become.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from coresync.resources.models import ExceptionKind

TIME_OFF_KINDS = (
    ExceptionKind.DAY_OFF,
    ExceptionKind.VACATION,
    ExceptionKind.SICK_LEAVE,
    ExceptionKind.OTHER,
)
"""What a technician may ask for (holidays are the spa's, maintenance is for rooms)."""


class TimeOffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a manager"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class TimeOffRequest(models.Model):
    """A technician's request for time off: whole days ``date``..``end_date`` (inclusive;
    empty = one day) or, on one day, the part ``start``-``end`` (spa-local). Approval creates
    the technician's :class:`~coresync.resources.models.AvailabilityException` (``exception``),
    which takes the time out of availability and flags the bookings it falls on."""

    technician = models.ForeignKey(
        "resources.Technician", on_delete=models.CASCADE, related_name="time_off_requests"
    )
    kind = models.CharField(max_length=20, choices=ExceptionKind.choices)
    date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=TimeOffStatus.choices, default=TimeOffStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)
    exception = models.OneToOneField(
        "resources.AvailabilityException",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_off_request",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("date")),
                name="time_off_date_range",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, end__gt=F("start")),
                name="time_off_part_day_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.kind} {self.date} ({self.status})"

    @property
    def last_date(self):
        return self.end_date or self.date

    @property
    def is_part_day(self) -> bool:
        return self.start is not None


class TimeEntryStatus(models.TextChoices):
    """``open``: clocked in, not out yet. A finished entry waits (``pending``) for a
    manager, who approves or rejects it; only approved hours are paid."""

    OPEN = "open", "Clocked in"
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class TimeEntrySource(models.TextChoices):
    CLOCK = "clock", "Clock in/out"
    MANUAL = "manual", "Entered by hand"


class TimeEntry(models.Model):
    """A stretch of work of one technician, from ``started_at`` to ``ended_at`` (UTC; empty
    while clocked in). Breaks (:class:`TimeBreak`) inside it are not paid.

    The database allows one open entry per technician (a partial unique index), so two
    clock-ins at once cannot both succeed.
    """

    technician = models.ForeignKey(
        "resources.Technician", on_delete=models.PROTECT, related_name="time_entries"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=TimeEntryStatus.choices)
    source = models.CharField(max_length=20, choices=TimeEntrySource.choices)
    note = models.CharField(max_length=500, blank=True, help_text="Why it was entered by hand.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["technician", "started_at"]),
            models.Index(fields=["status", "started_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["technician"],
                condition=Q(ended_at__isnull=True),
                name="time_entry_one_open_per_technician",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="time_entry_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="open", ended_at__isnull=True)
                | (~Q(status="open") & Q(ended_at__isnull=False)),
                name="time_entry_open_has_no_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.started_at:%Y-%m-%d %H:%M}Z ({self.status})"


class TimeBreak(models.Model):
    """An unpaid break inside a time entry (UTC instants; ``ended_at`` empty while on it)."""

    entry = models.ForeignKey(TimeEntry, on_delete=models.CASCADE, related_name="breaks")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(ended_at__isnull=True),
                name="time_break_one_open_per_entry",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="time_break_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"break {self.started_at:%H:%M}Z of {self.entry_id}"


class TimeEntryChange(models.Model):
    """One change to a time entry: who, when, what (``before``/``after`` of the fields that
    changed, times as ISO 8601 UTC) and why. Clock-in, clock-out, breaks, approvals,
    rejections and managers' edits all leave a row."""

    entry = models.ForeignKey(TimeEntry, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.action}"


class PayRate(models.Model):
    """A technician's hourly rate from spa-local day ``effective_from`` on (until the next
    one). Without any row, ``Technician.hourly_rate`` applies. A closed pay period keeps the
    totals it was closed with, whatever rate is added later."""

    technician = models.ForeignKey(
        "resources.Technician", on_delete=models.CASCADE, related_name="pay_rates"
    )
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2)
    effective_from = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["technician", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["technician", "effective_from"], name="pay_rate_one_per_day"
            ),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="pay_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.hourly_rate}/h from {self.effective_from}"


class PayPeriod(models.Model):
    """A closed weekly pay period ``starts_at``..``ends_at`` (UTC, half-open). Open periods
    have no row: they are computed from ``PAYROLL_PERIOD_START``. Closing writes the row
    and one :class:`PayrollLine` per technician, which every later report of the period
    reads instead of recomputing."""

    starts_at = models.DateTimeField(unique=True)
    ends_at = models.DateTimeField()
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="pay_period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"pay period from {self.starts_at:%Y-%m-%d %H:%M}Z"


class PayrollLine(models.Model):
    """One technician's frozen totals in a closed pay period (amounts in USD)."""

    period = models.ForeignKey(PayPeriod, on_delete=models.CASCADE, related_name="lines")
    technician = models.ForeignKey(
        "resources.Technician", on_delete=models.PROTECT, related_name="+"
    )
    technician_slug = models.SlugField()
    technician_name = models.CharField(max_length=120)
    approved_hours = models.DecimalField(max_digits=7, decimal_places=2)
    regular_hours = models.DecimalField(max_digits=7, decimal_places=2)
    overtime_hours = models.DecimalField(max_digits=7, decimal_places=2)
    hourly_rates = models.CharField(max_length=200, blank=True)
    gross_pay = models.DecimalField(max_digits=10, decimal_places=2)
    service_count = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=10, decimal_places=2)
    pending_entries = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["period", "technician_slug"]
        constraints = [
            models.UniqueConstraint(fields=["period", "technician"], name="payroll_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.technician_slug}"
