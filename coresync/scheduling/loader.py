"""Load the availability engine's input from the database with a fixed number of queries.

Whatever the date range, :func:`load_engine_input` issues six queries: technicians, rooms,
working hours, exceptions, allocations, holds (ARCHITECTURE.md: "a small, fixed number of
queries per request whatever the range").
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q

from coresync.bookings.models import Allocation
from coresync.catalog.models import Service
from coresync.core.clock import local_midnight_utc
from coresync.resources.models import (
    AvailabilityException,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)
from coresync.scheduling.engine import (
    DayException,
    HoldData,
    RoomData,
    TechnicianData,
    WeeklyWindow,
)


@dataclass
class EngineInput:
    """The engine's resources for one query: candidate technicians and rooms with their
    hours, exceptions and busy intervals, and the holds overlapping the range."""

    technicians: list[TechnicianData]
    rooms: list[RoomData]
    holds: list[HoldData]


def load_engine_input(
    *,
    service: Service,
    guests: int,
    date_from: date,
    date_to: date,
    now: datetime,
    tz,
    technician_slug: str | None = None,
    room_slug: str | None = None,
    room_type: str | None = None,
    exclude_booking_id: int | None = None,
) -> EngineInput:
    """Fetch what the engine needs for ``service`` between local dates (inclusive).

    Args:
        service: the service (its skill and room types select the candidates).
        guests: guests in the booking (rooms with less capacity are left out).
        now: the operation's clock reading; expired payment holds no longer count.
        technician_slug / room_slug / room_type: optional restrictions.
        exclude_booking_id: a booking whose own allocations are ignored (reschedule).

    Returns:
        An :class:`EngineInput`; empty lists where nothing qualifies. Always 6 queries.
    """
    range_start = local_midnight_utc(date_from - timedelta(days=1), tz)
    range_end = local_midnight_utc(date_to + timedelta(days=2), tz)

    technician_rows = Technician.objects.filter(is_active=True)
    if technician_slug:
        technician_rows = technician_rows.filter(slug=technician_slug)
    technicians = [
        row
        for row in technician_rows.only("id", "slug", "skills")
        if not service.self_guided and service.skill in (row.skills or [])
    ]

    room_types = list(service.room_types or [])
    if room_type:
        room_types = [kind for kind in room_types if kind == room_type]
    room_rows = Room.objects.filter(is_active=True, room_type__in=room_types, capacity__gte=guests)
    if room_slug:
        room_rows = room_rows.filter(slug=room_slug)
    rooms = list(room_rows)

    technician_ids = [row.id for row in technicians]
    room_ids = [row.id for row in rooms]
    owned = Q(technician_id__in=technician_ids) | Q(room_id__in=room_ids)

    weekly: dict[tuple[str, int], list[WeeklyWindow]] = defaultdict(list)
    hours = WorkingHours.objects.filter(owned).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=date_to + timedelta(days=1)),
        Q(valid_until__isnull=True) | Q(valid_until__gte=date_from - timedelta(days=1)),
    )
    for row in hours.values_list(
        "technician_id", "room_id", "weekday", "start", "end", "valid_from", "valid_until"
    ):
        technician_id, room_id, weekday, start, end, valid_from, valid_until = row
        owner = ("t", technician_id) if technician_id else ("r", room_id)
        weekly[owner].append(WeeklyWindow(weekday, start, end, valid_from, valid_until))

    exceptions: dict[tuple[str, int], list[DayException]] = defaultdict(list)
    # One day of margin each side: the engine also expands the neighbouring days, since a
    # block may cross midnight into them.
    first_day, last_day = date_from - timedelta(days=1), date_to + timedelta(days=1)
    exception_rows = AvailabilityException.objects.filter(owned, date__lte=last_day).filter(
        Q(end_date__isnull=True, date__gte=first_day) | Q(end_date__gte=first_day)
    )
    for technician_id, room_id, first, last, start, end in exception_rows.values_list(
        "technician_id", "room_id", "date", "end_date", "start", "end"
    ):
        owner = ("t", technician_id) if technician_id else ("r", room_id)
        exceptions[owner].append(DayException(first, last or first, start, end))

    technician_busy: dict[int, list] = defaultdict(list)
    room_busy: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    allocations = Allocation.objects.filter(
        owned,
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        is_active=True,
        starts_at__lt=range_end,
        ends_at__gt=range_start,
    )
    if exclude_booking_id is not None:
        allocations = allocations.exclude(booking_id=exclude_booking_id)
    for technician_id, room_id, unit, starts_at, ends_at in allocations.values_list(
        "technician_id", "room_id", "unit", "starts_at", "ends_at"
    ):
        if technician_id:
            technician_busy[technician_id].append((starts_at, ends_at))
        else:
            room_busy[room_id][unit or 1].append((starts_at, ends_at))

    holds = [
        HoldData(
            start=row.starts_at,
            end=row.ends_at,
            level=row.level,
            held_until=row.held_until,
            technician_id=row.technician_id,
            room_id=row.room_id,
        )
        for row in SlotHold.objects.filter(
            owned | Q(technician_id__isnull=True, room_id__isnull=True),
            held_until__gt=now,
            starts_at__lt=range_end,
            ends_at__gt=range_start,
        )
    ]

    return EngineInput(
        technicians=[
            TechnicianData(
                id=row.id,
                slug=row.slug,
                weekly=weekly[("t", row.id)],
                exceptions=exceptions[("t", row.id)],
                busy=technician_busy[row.id],
            )
            for row in technicians
        ],
        rooms=[
            RoomData(
                id=row.id,
                slug=row.slug,
                capacity=row.capacity,
                weekly=weekly[("r", row.id)],
                exceptions=exceptions[("r", row.id)],
                busy_by_unit=dict(room_busy[row.id]),
                shared=row.is_shared,
                premium_modifier_percent=float(row.premium_modifier_percent),
            )
            for row in rooms
        ],
        holds=holds,
    )
