"""Reads of the staff side: who is whose technician, hours of time entries, a technician's
schedule as they may see it, the bookings to reassign with who is free, and payroll.

What a technician sees of a guest is decided here, once (:class:`StaffBooking`): the first
name, preferences and notes — never the email, the phone or the surname (ARCHITECTURE.md
"HTTP API"). Pages, the printable day sheet and the portal's API all render that object,
never the booking's customer.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from coresync.accounts.models import Role, User
from coresync.accounts.preferences import labelled_preferences
from coresync.bookings.models import Booking, BookingAddOn, BookingStatus
from coresync.bookings.services import booked_technician_slugs, reschedule_availability_request
from coresync.core.clock import local_date, local_midnight_utc
from coresync.core.errors import DomainError
from coresync.core.money import quantize
from coresync.memberships.selectors import get_customer_access
from coresync.resources.models import Room, Technician
from coresync.scheduling.loader import candidate_technicians
from coresync.scheduling.models import Allocation
from coresync.scheduling.selectors import find_start
from coresync.spa.selectors import get_settings
from coresync.staff.models import (
    PayPeriod,
    PayRate,
    TimeEntry,
    TimeEntryStatus,
    TimeOffRequest,
)
from coresync.staff.periods import PeriodSpan

SECONDS_PER_HOUR = Decimal(3600)
MAX_SHIFT = timedelta(hours=16)
"""The longest entry (ARCHITECTURE.md "Staff time": more than 16 h later → 400 ``invalid``)."""


def technician_of(user) -> Technician | None:
    """Return the technician profile of ``user`` (a login linked to a technician), or ``None``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Technician.objects.filter(user_id=user.pk).first()


def is_manager(user) -> bool:
    """Managers (and superusers) run approvals, payroll and reassignments."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_manager)


# -- hours ---------------------------------------------------------------------------------


def worked_seconds(entry: TimeEntry, until: datetime | None = None) -> Decimal:
    """Return the paid seconds of ``entry``: the real elapsed time from ``started_at`` to
    ``ended_at`` (or ``until`` while open) minus its breaks. UTC instants, so a shift across
    midnight or a DST change counts the hours that really passed. Uses prefetched
    ``breaks``."""
    end = entry.ended_at or until
    if end is None:
        return Decimal(0)
    total = end - entry.started_at
    for pause in entry.breaks.all():
        pause_end = pause.ended_at or end
        total -= min(pause_end, end) - max(pause.started_at, entry.started_at)
    return max(Decimal(str(total.total_seconds())), Decimal(0))


def entry_hours(entry: TimeEntry, until: datetime | None = None) -> Decimal:
    """Return ``entry``'s paid hours rounded to cents of an hour (``Decimal("7.50")``)."""
    return quantize(worked_seconds(entry, until) / SECONDS_PER_HOUR)


def break_seconds(entry: TimeEntry) -> Decimal:
    """Return the seconds of ``entry``'s finished breaks."""
    return sum(
        (
            Decimal(str((pause.ended_at - pause.started_at).total_seconds()))
            for pause in entry.breaks.all()
            if pause.ended_at
        ),
        Decimal(0),
    )


def entries_visible_to(user) -> QuerySet[TimeEntry]:
    """Return the time entries ``user`` may see: a manager all, a technician their own,
    anyone else none."""
    entries = TimeEntry.objects.select_related("technician").prefetch_related("breaks")
    if is_manager(user):
        return entries
    technician = technician_of(user)
    if technician is None:
        return entries.none()
    return entries.filter(technician=technician)


def open_entry(technician: Technician) -> TimeEntry | None:
    """Return the technician's open (clocked-in) entry, or ``None``."""
    return (
        TimeEntry.objects.prefetch_related("breaks")
        .filter(technician=technician, ended_at__isnull=True)
        .first()
    )


def overlapping_entry(
    technician_id: int, started_at: datetime, ended_at: datetime | None, exclude_pk=None
) -> TimeEntry | None:
    """Return an entry of the technician (not rejected) whose time overlaps
    ``started_at``..``ended_at`` (half-open; ``None`` = still running), or ``None``."""
    entries = TimeEntry.objects.filter(technician_id=technician_id).exclude(
        status=TimeEntryStatus.REJECTED
    )
    entries = entries.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=started_at))
    if ended_at is not None:
        entries = entries.filter(started_at__lt=ended_at)
    if exclude_pk is not None:
        entries = entries.exclude(pk=exclude_pk)
    return entries.order_by("started_at").first()


def time_off_visible_to(user) -> QuerySet[TimeOffRequest]:
    """Return the time-off requests ``user`` may see: a manager all, a technician their own."""
    requests = TimeOffRequest.objects.select_related("technician", "decided_by")
    if is_manager(user):
        return requests
    technician = technician_of(user)
    if technician is None:
        return requests.none()
    return requests.filter(technician=technician)


# -- a technician's schedule -----------------------------------------------------------------


@dataclass(frozen=True)
class StaffBooking:
    """A booking as its technician sees it: no email, phone or surname of the guest."""

    reference: str
    status: str
    status_label: str
    start: datetime
    end: datetime
    service: str
    duration_minutes: int
    service_minutes: int
    addons: list[str]
    room: str
    guest: str
    guests: int
    technicians: list[str]
    preferences: list[tuple[str, str]]
    notes: str


def first_name(name: str | None) -> str:
    """Return the first word of ``name`` (what a technician may see of a guest)."""
    words = (name or "").split()
    return words[0] if words else ""


def guest_first_name(booking: Booking) -> str:
    """Return the first name of the person being treated: the named guest when the booking
    is for someone else, else the customer; ``"Guest"`` when neither is known."""
    return (
        first_name(booking.guest_name)
        or first_name(getattr(booking.customer, "name", "") if booking.customer_id else "")
        or "Guest"
    )


def staff_view(booking: Booking) -> StaffBooking:
    """Return ``booking`` as a technician may see it (``booking_addons__addon`` and
    ``allocations__technician`` prefetched)."""
    addons = list(booking.booking_addons.all())
    names = sorted(
        {
            allocation.technician.name
            for allocation in booking.allocations.all()
            if allocation.technician_id and allocation.is_active
        }
    ) or ([booking.technician.name] if booking.technician_id else [])
    return StaffBooking(
        reference=booking.reference,
        status=booking.status,
        status_label=booking.get_status_display(),
        start=booking.start,
        end=booking.end,
        service=booking.service.name,
        duration_minutes=booking.duration_minutes,
        service_minutes=booking.duration_minutes + sum(item.extra_minutes for item in addons),
        addons=[item.addon.name for item in addons],
        room=booking.room.name,
        guest=guest_first_name(booking),
        guests=booking.guests,
        technicians=names,
        preferences=labelled_preferences(booking.preferences),
        notes=booking.notes,
    )


SCHEDULE_HIDDEN_STATUSES = (BookingStatus.CANCELLED, BookingStatus.EXPIRED)


def technician_bookings(technician: Technician, first_day: date, last_day: date) -> list:
    """Return the bookings ``technician`` serves (first or second therapist) that start on
    spa-local days ``first_day``..``last_day``, by start, as :class:`StaffBooking`;
    cancelled and expired ones left out. Three queries."""
    zone = get_settings().zone
    bookings = (
        Booking.objects.filter(
            Q(technician=technician)
            | Q(allocations__technician=technician, allocations__is_active=True),
            start__gte=local_midnight_utc(first_day, zone),
            start__lt=local_midnight_utc(last_day + timedelta(days=1), zone),
        )
        .exclude(status__in=SCHEDULE_HIDDEN_STATUSES)
        .select_related("service", "room", "technician", "customer")
        .prefetch_related(
            Prefetch("booking_addons", BookingAddOn.objects.select_related("addon")),
            Prefetch("allocations", Allocation.objects.select_related("technician")),
        )
        .distinct()
        .order_by("start", "pk")
    )
    return [staff_view(booking) for booking in bookings]


# -- bookings to reassign --------------------------------------------------------------------


@dataclass
class ReassignmentRow:
    """A booking waiting for another technician or room: who is away, which room is closed,
    and who is free at its time (each would pass the reschedule's own check at the same
    start; moving it picks a free room)."""

    booking: Booking
    absent: list[str]
    free: list[Technician] = field(default_factory=list)
    closed_rooms: list[str] = field(default_factory=list)


def free_technicians(
    booking: Booking, now: datetime, *, away: set[str] | None = None
) -> list[Technician]:
    """Return the technicians who could take ``booking`` at its own start: qualified, not
    among ``away`` (slugs; by default every technician already on it — a booking whose room
    is closed may keep its own), and accepted by the engine exactly as
    :func:`coresync.bookings.services.reschedule_booking` would check them (hours, time off,
    other bookings, the room). One engine run per candidate."""
    spa_settings = get_settings()
    zone = spa_settings.zone
    access = get_customer_access(booking.customer, local_date(now, zone), spa_settings)
    booked = set(booked_technician_slugs(booking)) if away is None else away
    day = local_date(booking.start, zone)
    free_ids = []
    for candidate in candidate_technicians(booking.service):
        if candidate.slug in booked:
            continue
        request = reschedule_availability_request(booking, day, candidate.slug)
        try:
            find_start(
                request,
                booking.start,
                access,
                now=now,
                exclude_booking_id=booking.pk,
                enforce_booking_window=False,
            )
        except DomainError:
            continue
        free_ids.append(candidate.pk)
    return list(Technician.objects.filter(pk__in=free_ids).order_by("name", "pk"))


def reassignment_queue(now: datetime) -> list[ReassignmentRow]:
    """Return the upcoming bookings with the status ``needs_reassignment``, soonest first,
    each with the technicians who are away and those free at its time."""
    bookings = (
        Booking.objects.filter(status=BookingStatus.NEEDS_REASSIGNMENT, start__gt=now)
        .select_related("service", "room", "technician", "customer")
        .prefetch_related(
            Prefetch("booking_addons", BookingAddOn.objects.select_related("addon")),
            Prefetch("allocations", Allocation.objects.select_related("technician")),
        )
        .order_by("start", "pk")
    )
    rows = []
    for booking in bookings:
        flagged = (
            booking.history.filter(action="booking.needs_reassignment")
            .order_by("-pk")
            .values_list("data", flat=True)
            .first()
        ) or {}
        slugs = flagged.get("absent_technicians") or []
        names = dict(Technician.objects.filter(slug__in=slugs).values_list("slug", "name"))
        absent = [names.get(slug, slug) for slug in slugs]
        rooms = flagged.get("closed_rooms") or []
        room_names = dict(Room.objects.filter(slug__in=rooms).values_list("slug", "name"))
        away = set(slugs) if rooms else None
        rows.append(
            ReassignmentRow(
                booking,
                absent,
                free_technicians(booking, now, away=away),
                [room_names.get(slug, slug) for slug in rooms],
            )
        )
    return rows


# -- payroll ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayrollRow:
    """One technician's totals in a pay period (amounts USD, hours two decimals)."""

    technician_id: int
    technician_slug: str
    technician_name: str
    approved_hours: Decimal
    regular_hours: Decimal
    overtime_hours: Decimal
    hourly_rates: str
    gross_pay: Decimal
    service_count: int
    revenue: Decimal
    pending_entries: int

    @property
    def overtime(self) -> bool:
        """Over the weekly overtime threshold (``PAYROLL_OVERTIME_HOURS``, 40 by default)."""
        return self.overtime_hours > 0


@dataclass(frozen=True)
class PayrollReport:
    """A pay period's rows, live (open) or as frozen when it was closed."""

    period: PeriodSpan
    rows: list[PayrollRow]
    closed_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def total_hours(self) -> Decimal:
        return sum((row.approved_hours for row in self.rows), Decimal("0.00"))

    @property
    def total_pay(self) -> Decimal:
        return sum((row.gross_pay for row in self.rows), Decimal("0.00"))

    @property
    def total_services(self) -> int:
        return sum(row.service_count for row in self.rows)

    @property
    def total_revenue(self) -> Decimal:
        return sum((row.revenue for row in self.rows), Decimal("0.00"))


def rate_on(rates: list[PayRate], day: date, default: Decimal) -> Decimal:
    """Return the rate in force on local ``day`` among ``rates`` (one technician's, sorted by
    ``effective_from``): the latest that starts on or before it, else ``default``."""
    rate = default
    for row in rates:
        if row.effective_from <= day:
            rate = row.hourly_rate
    return rate


def _served(period: PeriodSpan) -> dict[int, tuple[int, Decimal]]:
    """Return ``{technician id: (services, revenue)}`` of completed bookings that started in
    ``period``; a booking's subtotal (before tax) is split evenly between its technicians,
    the first (by id) taking the rounding cent."""
    rows = Allocation.objects.filter(
        technician__isnull=False,
        is_active=True,
        booking__status=BookingStatus.COMPLETED,
        booking__start__gte=period.starts_at,
        booking__start__lt=period.ends_at,
    ).values_list("booking_id", "technician_id", "booking__subtotal")
    by_booking: dict[int, tuple[Decimal, set[int]]] = {}
    for booking_id, technician_id, subtotal in rows:
        by_booking.setdefault(booking_id, (subtotal, set()))[1].add(technician_id)
    served: dict[int, list] = defaultdict(lambda: [0, Decimal("0.00")])
    for subtotal, technician_ids in by_booking.values():
        ordered = sorted(technician_ids)
        share = quantize(subtotal / len(ordered))
        for index, technician_id in enumerate(ordered):
            served[technician_id][0] += 1
            served[technician_id][1] += (
                subtotal - share * (len(ordered) - 1) if index == 0 else share
            )
    return {key: (count, revenue) for key, (count, revenue) in served.items()}


def compute_payroll(period: PeriodSpan) -> list[PayrollRow]:
    """Return each technician's totals for ``period`` from the live data.

    1. Approved entries that start in the period count (ARCHITECTURE.md "Staff time"); an
       entry's hours are its elapsed time minus breaks, paid at the rate in force on its
       spa-local start day (:class:`~coresync.staff.models.PayRate`, else the technician's
       ``hourly_rate``). Pay is summed on exact seconds, then rounded to cents once.
    2. Hours beyond ``PAYROLL_OVERTIME_HOURS`` are overtime (flagged, paid at the same rate:
       the premium is the payroll provider's to apply).
    3. Services and revenue: completed bookings that started in the period (:func:`_served`).
    4. Rows: every active technician, and inactive ones with hours or services, by name.
    Five queries.
    """
    zone = get_settings().zone
    entries = list(
        TimeEntry.objects.filter(
            started_at__gte=period.starts_at,
            started_at__lt=period.ends_at,
            status__in=[TimeEntryStatus.APPROVED, TimeEntryStatus.PENDING, TimeEntryStatus.OPEN],
        ).prefetch_related("breaks")
    )
    served = _served(period)
    involved = {entry.technician_id for entry in entries} | set(served)
    technicians = Technician.objects.filter(Q(is_active=True) | Q(pk__in=involved))
    rates: dict[int, list[PayRate]] = defaultdict(list)
    for rate in PayRate.objects.filter(
        technician__in=technicians, effective_from__lte=period.last_day
    ).order_by("effective_from"):
        rates[rate.technician_id].append(rate)
    by_technician: dict[int, list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        by_technician[entry.technician_id].append(entry)
    threshold = Decimal(settings.PAYROLL_OVERTIME_HOURS)
    rows = []
    for technician in sorted(technicians, key=lambda row: (row.name, row.pk)):
        own = by_technician[technician.pk]
        seconds, pay, used = Decimal(0), Decimal(0), []
        for entry in sorted(own, key=lambda row: row.started_at):
            if entry.status != TimeEntryStatus.APPROVED:
                continue
            worked = worked_seconds(entry)
            rate = rate_on(
                rates[technician.pk], local_date(entry.started_at, zone), technician.hourly_rate
            )
            seconds += worked
            pay += worked * rate / SECONDS_PER_HOUR
            if rate not in used:
                used.append(rate)
        if not used:
            used = [rate_on(rates[technician.pk], period.first_day, technician.hourly_rate)]
        hours = quantize(seconds / SECONDS_PER_HOUR)
        overtime = max(hours - threshold, Decimal("0.00"))
        count, revenue = served.get(technician.pk, (0, Decimal("0.00")))
        rows.append(
            PayrollRow(
                technician_id=technician.pk,
                technician_slug=technician.slug,
                technician_name=technician.name,
                approved_hours=hours,
                regular_hours=hours - overtime,
                overtime_hours=quantize(overtime),
                hourly_rates=", ".join(f"{rate:.2f}" for rate in used),
                gross_pay=quantize(pay),
                service_count=count,
                revenue=quantize(revenue),
                pending_entries=sum(
                    1
                    for entry in own
                    if entry.status in (TimeEntryStatus.PENDING, TimeEntryStatus.OPEN)
                ),
            )
        )
    return rows


def closed_period(period: PeriodSpan) -> PayPeriod | None:
    """Return the closed pay period row of ``period``, or ``None`` while it is open."""
    return PayPeriod.objects.filter(starts_at=period.starts_at).first()


def payroll_report(period: PeriodSpan) -> PayrollReport:
    """Return the report of ``period``: the frozen lines of a closed period (a later rate
    change or approval does not move them), else the live totals."""
    closed = closed_period(period)
    if closed is None:
        return PayrollReport(period, compute_payroll(period))
    rows = [
        PayrollRow(
            technician_id=line.technician_id,
            technician_slug=line.technician_slug,
            technician_name=line.technician_name,
            approved_hours=line.approved_hours,
            regular_hours=line.regular_hours,
            overtime_hours=line.overtime_hours,
            hourly_rates=line.hourly_rates,
            gross_pay=line.gross_pay,
            service_count=line.service_count,
            revenue=line.revenue,
            pending_entries=line.pending_entries,
        )
        for line in closed.lines.order_by("technician_name", "technician_id")
    ]
    return PayrollReport(period, rows, closed_at=closed.closed_at)


def managers() -> QuerySet[User]:
    """Return the active managers (who approve, run payroll and receive its email)."""
    return User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk")


def entries_in(period: PeriodSpan, technicians: Iterable[int] | None = None):
    """Return the entries that start in ``period`` (optionally of ``technicians``)."""
    entries = TimeEntry.objects.filter(
        started_at__gte=period.starts_at, started_at__lt=period.ends_at
    )
    if technicians is not None:
        entries = entries.filter(technician_id__in=list(technicians))
    return entries.select_related("technician").prefetch_related("breaks")
