"""Rooms and technicians, their weekly hours, exceptions/maintenance and slot holds
(SPEC §1-2). All hours are spa-local wall-clock times, expanded day by day in the spa's time
zone by the availability engine, so a 09:00-17:00 schedule stays 09:00-17:00 across DST."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from coresync.catalog.models import RoomType
from coresync.core.clock import WEEKDAY_KEYS


class Weekday(models.IntegerChoices):
    MON = 0, "Monday"
    TUE = 1, "Tuesday"
    WED = 2, "Wednesday"
    THU = 3, "Thursday"
    FRI = 4, "Friday"
    SAT = 5, "Saturday"
    SUN = 6, "Sunday"


class Room(models.Model):
    """A room: ``capacity`` guests at once. A ``shared`` room sells each place separately;
    other types are booked whole by one booking (couples suite: one booking, two guests)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    room_type = models.CharField(max_length=20, choices=RoomType.choices)
    capacity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    features = models.JSONField(default=list, blank=True)
    premium_modifier_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.room_type == RoomType.SHARED


class Technician(models.Model):
    """A technician: skills (slugs matched against ``Service.skill``), hourly rate, and an
    optional login (``user``) for the staff portal."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="technician",
    )
    skills = models.JSONField(default=list, blank=True)
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    bio = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class ResourceOwned(models.Model):
    """Rows that belong to one technician or one room (subclasses declare both foreign keys)."""

    technician: "Technician | None"
    room: "Room | None"

    class Meta:
        abstract = True

    @property
    def resource(self) -> Technician | Room:
        return self.technician or self.room


ONE_RESOURCE = Q(technician__isnull=False, room__isnull=True) | Q(
    technician__isnull=True, room__isnull=False
)


class WorkingHours(ResourceOwned):
    """One weekly window of a technician's working hours or a room's opening hours.

    A day may have several windows (09:00-13:00 and 14:00-18:00). ``valid_from`` /
    ``valid_until`` (inclusive, spa-local dates, empty = open) bound a technician's schedule.
    """

    technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.CASCADE, related_name="working_hours"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="opening_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=ONE_RESOURCE, name="working_hours_one_resource"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="working_hours_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="working_hours_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {WEEKDAY_KEYS[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


class ExceptionKind(models.TextChoices):
    DAY_OFF = "day_off", "Day off"
    HOLIDAY = "holiday", "Holiday"
    VACATION = "vacation", "Vacation"
    SICK_LEAVE = "sick_leave", "Sick leave"
    MAINTENANCE = "maintenance", "Maintenance"
    OTHER = "other", "Other"


TECHNICIAN_EXCEPTION_KINDS = [
    kind for kind in ExceptionKind.values if kind != ExceptionKind.MAINTENANCE
]
"""Kinds of time off a technician may have (maintenance is for rooms)."""


class AvailabilityException(ResourceOwned):
    """Time a technician is away (day off, holiday, vacation, sick leave) or a room is closed
    (maintenance). Whole days ``date``..``end_date`` (inclusive; ``end_date`` empty = one day),
    or, on one day, the local part ``start``-``end``."""

    technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance"
    )
    kind = models.CharField(max_length=20, choices=ExceptionKind.choices)
    date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    start = models.TimeField(null=True, blank=True)
    end = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start"]
        constraints = [
            models.CheckConstraint(condition=ONE_RESOURCE, name="exception_one_resource"),
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="exception_part_day_times",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("date")),
                name="exception_date_range",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date=models.F("date")),
                name="exception_part_day_is_one_day",
            ),
        ]

    def __str__(self) -> str:
        span = f" {self.start:%H:%M}-{self.end:%H:%M}" if self.start else ""
        return f"{self.resource} {self.kind} {self.date}{span}"

    @property
    def last_date(self):
        return self.end_date or self.date


class HoldLevel(models.TextChoices):
    PRIORITY = "priority", "Priority members (member_only_until)"
    VIP = "vip", "VIP members (vip_only_until)"


class SlotHold(ResourceOwned):
    """Time kept for priority or VIP members until ``held_until`` (SPEC §3), after which anyone
    may book it. With neither technician nor room it holds the whole spa for that time.
    ``starts_at``/``ends_at``/``held_until`` are UTC instants."""

    technician = models.ForeignKey(
        Technician, null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    level = models.CharField(max_length=20, choices=HoldLevel.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    held_until = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_hold_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(technician__isnull=False, room__isnull=False),
                name="slot_hold_at_most_one_resource",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.level} hold {self.starts_at:%Y-%m-%d %H:%M}Z until {self.held_until:%Y-%m-%d}"
        )


class ExternalBusyBlock(models.Model):
    """Time a technician is busy elsewhere, read from an outside calendar (SPEC §12, Google
    Calendar two-way sync): the availability engine honours it like a booking on the
    technician, but it is not a booking. Written by the sync app of that calendar
    (``source``), one row per outside event (``external_id``); ``starts_at``/``ends_at`` are
    UTC instants."""

    technician = models.ForeignKey(
        Technician, on_delete=models.CASCADE, related_name="external_busy_blocks"
    )
    source = models.CharField(max_length=30, help_text='Where it comes from, e.g. "google".')
    external_id = models.CharField(max_length=255)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    summary = models.CharField(
        max_length=200, blank=True, help_text="Shown to staff only; never to guests."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["technician", "starts_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["technician", "source", "external_id"],
                name="external_busy_block_once_per_event",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="external_busy_block_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} busy {self.starts_at:%Y-%m-%d %H:%M}Z ({self.source})"
