"""Load the availability engine's input from the database with a fixed number of queries.

Whatever the date range, :func:`load_engine_input` issues seven queries: technicians, rooms,
working hours, exceptions, allocations, technicians' external busy blocks (an outside
calendar, :class:`~coresync.resources.models.ExternalBusyBlock`), holds — five for a
self-guided service, which needs no technicians (ARCHITECTURE.md: "a small, fixed number
of queries per request whatever the range").
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import NotSupportedError
from django.db.models import BigIntegerField, F, Func, Q

from coresync.catalog.models import Service
from coresync.core.clock import local_midnight_utc
from coresync.resources.models import (
    AvailabilityException,
    ExternalBusyBlock,
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
from coresync.scheduling.models import Allocation


class EpochMinutes(Func):
    """Whole minutes since the Unix epoch (UTC) of a datetime column, computed by the
    database: reading thousands of ``timestamptz`` values through the driver costs more than
    the engine itself (psycopg's Python timestamp loader). ``ceiling`` rounds up (ends)."""

    output_field = BigIntegerField()

    def __init__(self, expression: str, *, ceiling: bool = False) -> None:
        super().__init__(F(expression))
        self.ceiling = ceiling

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        rounding = "CEIL" if self.ceiling else "FLOOR"
        return f"{rounding}(EXTRACT(EPOCH FROM {column}) / 60)::bigint", params

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps aware datetimes in SQLite as UTC text ("YYYY-MM-DD HH:MM:SS[.ffffff]").
        column, params = compiler.compile(self.source_expressions[0])
        # "%%s" is strftime's seconds-since-epoch; doubled because "%s" marks a parameter.
        seconds = f"CAST(strftime('%%s', {column}) AS INTEGER)"
        if self.ceiling:
            return f"(({seconds} + 59) / 60)", params
        return f"({seconds} / 60)", params

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"EpochMinutes is not implemented for {connection.vendor}.")


def candidate_technicians(service: Service, technician_slug: str | None = None) -> list[Technician]:
    """Return the active technicians who can perform ``service`` (none if self-guided),
    optionally only the one with ``technician_slug``; one query. Skills are a short JSON
    list, filtered in Python so SQLite and PostgreSQL agree."""
    if service.self_guided:
        return []
    rows = Technician.objects.filter(is_active=True)
    if technician_slug:
        rows = rows.filter(slug=technician_slug)
    return [row for row in rows.only("id", "slug", "skills") if service.skill in (row.skills or [])]


def candidate_rooms(
    service: Service, guests: int, *, room_slug: str | None = None, room_type: str | None = None
):
    """Return a queryset of the active rooms allowed for ``service`` that hold ``guests``."""
    room_types = list(service.room_types or [])
    if room_type:
        room_types = [kind for kind in room_types if kind == room_type]
    rooms = Room.objects.filter(is_active=True, room_type__in=room_types, capacity__gte=guests)
    return rooms.filter(slug=room_slug) if room_slug else rooms


Owner = tuple[str, int]
"""``("t", technician_id)`` or ``("r", room_id)``: whose weekly hours or exceptions."""


def load_schedules(
    owned: Q, date_from: date, date_to: date
) -> tuple[dict[Owner, list[WeeklyWindow]], dict[Owner, list[DayException]]]:
    """Return the weekly windows and exceptions of the technicians and rooms ``owned``
    selects (a ``Q`` over ``technician_id``/``room_id``) that apply between local dates
    ``date_from`` and ``date_to``, with one day of margin each side (the engine also expands
    the neighbouring days, since a block may cross midnight into them). Two queries.

    Returns:
        ``(weekly, exceptions)``, both ``{owner: [...]}`` with :data:`Owner` keys; an owner
        without rows is missing (use ``.get`` or the ``defaultdict``).
    """
    weekly: dict[Owner, list[WeeklyWindow]] = defaultdict(list)
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

    exceptions: dict[Owner, list[DayException]] = defaultdict(list)
    first_day, last_day = date_from - timedelta(days=1), date_to + timedelta(days=1)
    exception_rows = AvailabilityException.objects.filter(owned, date__lte=last_day).filter(
        Q(end_date__isnull=True, date__gte=first_day) | Q(end_date__gte=first_day)
    )
    for technician_id, room_id, first, last, start, end in exception_rows.values_list(
        "technician_id", "room_id", "date", "end_date", "start", "end"
    ):
        owner = ("t", technician_id) if technician_id else ("r", room_id)
        exceptions[owner].append(DayException(first, last or first, start, end))
    return weekly, exceptions


@dataclass
class EngineInput:
    """The engine's resources for one query: candidate technicians and rooms with their
    hours, exceptions and busy intervals, and the holds overlapping the range."""

    technicians: list[TechnicianData]
    rooms: list[RoomData]
    holds: list[HoldData]
    changes_at: datetime | None = None
    """The earliest moment after ``now`` at which this input changes by itself: a loaded
    payment hold (``Allocation.expires_at``) or slot hold (``held_until``) runs out. ``None``
    when nothing loaded expires. The availability cache stops using a result then."""
    room_modifiers: dict[int, Decimal] = field(default_factory=dict)
    """Each loaded room's premium modifier percent, as priced (``Decimal``)."""


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
        An :class:`EngineInput`; empty lists where nothing qualifies. Seven queries whatever
        the range (five for a self-guided service: no technicians to load).
    """
    range_start = local_midnight_utc(date_from - timedelta(days=1), tz)
    range_end = local_midnight_utc(date_to + timedelta(days=2), tz)

    technicians = candidate_technicians(service, technician_slug)
    rooms = list(candidate_rooms(service, guests, room_slug=room_slug, room_type=room_type))

    technician_ids = [row.id for row in technicians]
    room_ids = [row.id for row in rooms]
    owned = Q(technician_id__in=technician_ids) | Q(room_id__in=room_ids)

    weekly, exceptions = load_schedules(owned, date_from, date_to)

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
    rows = allocations.annotate(
        start_minute=EpochMinutes("starts_at"),
        end_minute=EpochMinutes("ends_at", ceiling=True),
        expiry_minute=EpochMinutes("expires_at"),
    ).values_list("technician_id", "room_id", "unit", "start_minute", "end_minute", "expiry_minute")
    first_expiry: int | None = None
    for technician_id, room_id, unit, start_minute, end_minute, expiry_minute in rows:
        if expiry_minute is not None and (first_expiry is None or expiry_minute < first_expiry):
            first_expiry = expiry_minute
        if technician_id:
            technician_busy[technician_id].append((start_minute, end_minute))
        else:
            room_busy[room_id][unit or 1].append((start_minute, end_minute))

    if technician_ids:
        # Outside calendars' events: busy time on the technician, never a booking.
        blocks = ExternalBusyBlock.objects.filter(
            technician_id__in=technician_ids, starts_at__lt=range_end, ends_at__gt=range_start
        ).annotate(
            start_minute=EpochMinutes("starts_at"), end_minute=EpochMinutes("ends_at", ceiling=True)
        )
        for technician_id, start_minute, end_minute in blocks.values_list(
            "technician_id", "start_minute", "end_minute"
        ):
            technician_busy[technician_id].append((start_minute, end_minute))

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

    # Rounded down to the minute: the result is dropped a little early, never late.
    expiries = [hold.held_until for hold in holds]
    if first_expiry is not None:
        expiries.append(datetime.fromtimestamp(first_expiry * 60, UTC))
    return EngineInput(
        changes_at=min(expiries, default=None),
        room_modifiers={row.id: row.premium_modifier_percent for row in rooms},
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
