"""The manager dashboard's numbers (SPEC §7): one set of aggregate queries for a date range.

:func:`dashboard_report` issues a fixed number of queries whatever the range (see its
docstring); everything else is arithmetic in Python over a few hundred grouped rows. Every
chart and every table of the page, and every export, is drawn from the same
:class:`Table` objects, so a chart and its table cannot disagree.

Definitions (docs/dashboard.md):

- A booking belongs to the spa-local day it starts on. "Bookings" counts every booking of
  the range except unpaid holds (``pending``) and expired ones; "cancellations" the
  ``cancelled`` ones.
- Revenue is earned when a service is completed: services = the booking's subtotal (before
  tax, after discounts) minus its add-ons; add-ons = each add-on's price × guests; fees = the
  no-show and late-cancellation fees charged (not waived) on bookings of the range; shop =
  the subtotal of pickup orders completed in the range. Tax is not revenue.
- No-show rate = no-shows ÷ bookings that were due to arrive (completed, in progress,
  no-show), as a percentage with one decimal.
- Utilization = booked minutes ÷ open minutes. Open minutes come from the weekly hours and
  exceptions expanded exactly as the availability engine expands them
  (:func:`coresync.scheduling.engine.open_intervals`); booked minutes are the service time
  (buffers excluded) of bookings holding the resource (confirmed, in progress, completed,
  needs reassignment). A shared room counts guest-minutes against capacity × open minutes.
- Lead time = start − creation, averaged over the range's bookings, in hours (one decimal).
- New members: memberships started in the range; lapsed: cancelled or expired memberships
  whose end date falls in the range; both by plan tier.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate

from coresync.accounts.models import Role, User
from coresync.bookings.models import Booking, BookingAddOn, BookingStatus
from coresync.bookings.services import can_check_in
from coresync.catalog.models import Service
from coresync.core.clock import local_midnight_utc
from coresync.core.money import quantize
from coresync.dashboard.errors import InvalidInput, RangeTooLong
from coresync.memberships.models import Membership, MembershipStatus
from coresync.resources.models import Room, Technician
from coresync.scheduling.engine import from_minutes as from_epoch_minutes
from coresync.scheduling.engine import open_intervals
from coresync.scheduling.engine import to_minutes as to_epoch_minutes
from coresync.scheduling.loader import load_schedules
from coresync.scheduling.models import Allocation
from coresync.shop.models import Order, OrderStatus
from coresync.spa.selectors import get_settings

MAX_RANGE_DAYS = 366
"""The longest range the dashboard answers (a leap year)."""
GRAINS = ("day", "week", "month")
"""How revenue is grouped: spa-local days, ISO weeks (from Monday), calendar months."""
UNCOUNTED_STATUSES = (BookingStatus.PENDING, BookingStatus.EXPIRED)
"""Bookings left out of every count: unpaid holds and expired ones."""
OCCUPYING_STATUSES = (
    BookingStatus.CONFIRMED,
    BookingStatus.IN_PROGRESS,
    BookingStatus.COMPLETED,
    BookingStatus.NEEDS_REASSIGNMENT,
)
"""Bookings whose service time counts as booked minutes (utilization)."""
DUE_STATUSES = (BookingStatus.COMPLETED, BookingStatus.IN_PROGRESS, BookingStatus.NO_SHOW)
"""Bookings whose guest was due to arrive: the no-show rate's denominator."""
FEE_STATUSES = (BookingStatus.NO_SHOW, BookingStatus.CANCELLED)
TOP_SERVICES = 10
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Table:
    """One table of the dashboard, also drawn as a chart and exported.

    ``columns``: ``(key, title)`` pairs; the first column labels the rows. ``rows``: tuples
    in column order (``str``, ``int``, ``Decimal``). ``chart``: ``"bar"``, ``"line"`` or ``""``
    (no chart); ``series``: the keys of the columns drawn (numbers only).
    """

    key: str
    title: str
    columns: tuple[tuple[str, str], ...]
    rows: list[tuple]
    chart: str = "bar"
    series: tuple[str, ...] = ()
    unit: str = ""

    def chart_data(self) -> dict:
        """Return the chart's data, taken from the rows: ``{"type", "labels", "unit",
        "datasets": [{"label", "data"}]}`` with numbers as strings (Decimals stay exact)."""
        keys = [key for key, _title in self.columns]
        titles = dict(self.columns)
        return {
            "type": self.chart,
            "unit": self.unit,
            "labels": [str(row[0]) for row in self.rows],
            "datasets": [
                {
                    "label": titles[key],
                    "data": [str(row[keys.index(key)]) for row in self.rows],
                }
                for key in self.series
            ],
        }


@dataclass
class DashboardReport:
    """The numbers of one range. ``tables`` in page order; ``summary``: headline figures
    (``bookings``, ``cancellations``, ``no_shows``, ``due``: ints; ``no_show_rate`` percent
    and ``lead_time_hours`` as ``Decimal`` with one decimal, ``None`` without data;
    ``revenue``: ``Decimal``)."""

    date_from: date
    date_to: date
    grain: str
    summary: dict = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)


def check_range(date_from: date, date_to: date, grain: str = "day") -> None:
    """Refuse a range the dashboard does not answer.

    Raises:
        InvalidInput: ``date_to`` before ``date_from`` or an unknown ``grain``.
        RangeTooLong: more than :data:`MAX_RANGE_DAYS` days (inclusive).
    """
    if date_to < date_from:
        raise InvalidInput("The end date is before the start date.", fields={"date_to": "before"})
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise RangeTooLong(fields={"date_to": "too_far"})
    if grain not in GRAINS:
        raise InvalidInput("Unknown grouping.", fields={"grain": "invalid"})


def period_label(day: date, grain: str) -> str:
    """Return the label of the period of ``grain`` containing ``day``: ``YYYY-MM-DD`` (a day,
    or the Monday of its ISO week) or ``YYYY-MM``."""
    if grain == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if grain == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _as_local_date(value) -> date:
    # SQLite hands TruncDate back as a string; PostgreSQL as a date.
    return date.fromisoformat(value) if isinstance(value, str) else value


def dashboard_report(date_from: date, date_to: date, grain: str = "day") -> DashboardReport:
    """Compute the dashboard for spa-local dates ``date_from``..``date_to`` (inclusive).

    Queries, whatever the range: the spa settings (unless cached), bookings grouped by day,
    service and status; add-ons of completed bookings by day and service; shop orders by
    day; service names; technicians' booked minutes; rooms' booked minutes; active
    technicians; active rooms; weekly hours; exceptions; memberships by tier — twelve at
    most.

    Raises:
        InvalidInput, RangeTooLong: see :func:`check_range`.
    """
    check_range(date_from, date_to, grain)
    zone = get_settings().zone
    low = local_midnight_utc(date_from, zone)
    high = local_midnight_utc(date_to + timedelta(days=1), zone)
    in_range = Q(start__gte=low, start__lt=high)
    report = DashboardReport(date_from=date_from, date_to=date_to, grain=grain)

    # 1. Bookings by local day, service and status.
    booking_rows = (
        Booking.objects.filter(in_range)
        .exclude(status__in=UNCOUNTED_STATUSES)
        .annotate(day=TruncDate("start", tzinfo=zone))
        .values("day", "service_id", "status")
        .annotate(
            count=Count("pk"),
            subtotal=Sum("subtotal"),
            fees=Sum("cancellation_fee", filter=Q(fee_waived=False)),
            lead_time=Sum(_elapsed("created_at", "start")),
        )
        .order_by()
    )
    # 2. Add-ons of completed bookings by local day and category.
    addon_rows = (
        BookingAddOn.objects.filter(
            booking__start__gte=low,
            booking__start__lt=high,
            booking__status=BookingStatus.COMPLETED,
        )
        .annotate(day=TruncDate("booking__start", tzinfo=zone))
        .values("day", "booking__service_id")
        .annotate(amount=Sum(F("price") * F("booking__guests")))
        .order_by()
    )
    # 3. Shop orders completed in the range, by local day.
    shop_rows = (
        Order.objects.filter(
            status=OrderStatus.COMPLETED, completed_at__gte=low, completed_at__lt=high
        )
        .annotate(day=TruncDate("completed_at", tzinfo=zone))
        .values("day")
        .annotate(amount=Sum("subtotal"))
        .order_by()
    )

    # 4. Service and category names (grouping by id keeps the big sorts narrow).
    service_names = {
        pk: (name, category)
        for pk, name, category in Service.objects.values_list("pk", "name", "category__name")
    }
    revenue_by_period: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    revenue_by_category: dict[str, Decimal] = defaultdict(Decimal)
    counts_by_period: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    services: dict[str, dict[str, Decimal | int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    lead_time = timedelta(0)
    for row in booking_rows:
        period = period_label(_as_local_date(row["day"]), grain)
        status, count = row["status"], row["count"]
        totals["bookings"] += count
        lead_time += row["lead_time"] or timedelta(0)
        counts_by_period[period]["bookings"] += count
        if status == BookingStatus.CANCELLED:
            totals["cancellations"] += count
            counts_by_period[period]["cancellations"] += count
        if status == BookingStatus.NO_SHOW:
            totals["no_shows"] += count
            counts_by_period[period]["no_shows"] += count
        if status in DUE_STATUSES:
            totals["due"] += count
        if status == BookingStatus.COMPLETED:
            amount = row["subtotal"] or ZERO
            revenue_by_period[period]["services"] += amount
            revenue_by_category[service_names[row["service_id"]][1]] += amount
            services[service_names[row["service_id"]][0]]["revenue"] += amount
        if status in FEE_STATUSES and row["fees"]:
            revenue_by_period[period]["fees"] += row["fees"]
            revenue_by_category["Fees"] += row["fees"]
        if status != BookingStatus.CANCELLED:
            services[service_names[row["service_id"]][0]]["count"] += count
    for row in addon_rows:
        period = period_label(_as_local_date(row["day"]), grain)
        amount = quantize(row["amount"] or ZERO)
        # Subtotals include the add-ons: move them from services to add-ons.
        revenue_by_period[period]["services"] -= amount
        revenue_by_period[period]["addons"] += amount
        revenue_by_category[service_names[row["booking__service_id"]][1]] -= amount
        revenue_by_category["Add-ons"] += amount
    for row in shop_rows:
        period = period_label(_as_local_date(row["day"]), grain)
        revenue_by_period[period]["shop"] += row["amount"] or ZERO
        revenue_by_category["Shop"] += row["amount"] or ZERO

    periods = _periods(date_from, date_to, grain)
    revenue_rows = []
    for period in periods:
        parts = revenue_by_period.get(period, {})
        amounts = [quantize(parts.get(key, ZERO)) for key in ("services", "addons", "fees", "shop")]
        revenue_rows.append((period, *amounts, sum(amounts, ZERO)))
    report.tables["revenue"] = Table(
        key="revenue",
        title="Revenue by " + grain,
        columns=(
            ("period", grain.capitalize()),
            ("services", "Services"),
            ("addons", "Add-ons"),
            ("fees", "Fees"),
            ("shop", "Shop"),
            ("total", "Total"),
        ),
        rows=revenue_rows,
        chart="bar",
        series=("services", "addons", "fees", "shop"),
        unit="USD",
    )
    report.tables["revenue_by_category"] = Table(
        key="revenue_by_category",
        title="Revenue by category",
        columns=(("category", "Category"), ("revenue", "Revenue")),
        rows=sorted(
            ((name, quantize(amount)) for name, amount in revenue_by_category.items() if amount),
            key=lambda row: (-row[1], row[0]),
        ),
        series=("revenue",),
        unit="USD",
    )
    report.tables["bookings"] = Table(
        key="bookings",
        title="Bookings and cancellations by " + grain,
        columns=(
            ("period", grain.capitalize()),
            ("bookings", "Bookings"),
            ("cancellations", "Cancellations"),
            ("no_shows", "No-shows"),
        ),
        rows=[
            (
                period,
                counts_by_period[period]["bookings"],
                counts_by_period[period]["cancellations"],
                counts_by_period[period]["no_shows"],
            )
            for period in periods
        ],
        chart="line",
        series=("bookings", "cancellations", "no_shows"),
    )
    report.tables["top_services"] = Table(
        key="top_services",
        title="Top services",
        columns=(("service", "Service"), ("bookings", "Bookings"), ("revenue", "Revenue")),
        rows=sorted(
            (
                (name, int(values.get("count", 0)), quantize(Decimal(values.get("revenue", 0))))
                for name, values in services.items()
            ),
            key=lambda row: (-row[1], -row[2], row[0]),
        )[:TOP_SERVICES],
        series=("bookings",),
    )
    technician_table, room_table = _utilization(date_from, date_to, zone, low, high)
    report.tables["utilization_technicians"] = technician_table
    report.tables["utilization_rooms"] = room_table
    report.tables["members"] = _members(date_from, date_to)

    report.summary = {
        "bookings": totals["bookings"],
        "cancellations": totals["cancellations"],
        "no_shows": totals["no_shows"],
        "due": totals["due"],
        "no_show_rate": _percent(totals["no_shows"], totals["due"]),
        "lead_time_hours": (
            (Decimal(lead_time.total_seconds()) / 3600 / totals["bookings"]).quantize(
                Decimal("0.1"), ROUND_HALF_UP
            )
            if totals["bookings"]
            else None
        ),
        "revenue": sum((row[-1] for row in revenue_rows), ZERO),
    }
    return report


def _periods(date_from: date, date_to: date, grain: str) -> list[str]:
    """Return the labels of every period of ``grain`` the range touches, in order (empty
    periods included, so a chart's axis is continuous)."""
    labels: list[str] = []
    day = date_from
    while day <= date_to:
        label = period_label(day, grain)
        if not labels or labels[-1] != label:
            labels.append(label)
        day += timedelta(days=1)
    return labels


def _elapsed(since: str, until: str) -> ExpressionWrapper:
    """The time between two datetime columns, as a duration the database sums."""
    return ExpressionWrapper(F(until) - F(since), output_field=DurationField())


def _minutes(duration: timedelta | None) -> int:
    """Whole minutes of a summed duration (``None``: no rows)."""
    return int(duration.total_seconds() // 60) if duration else 0


def _utilization(date_from: date, date_to: date, zone, low, high) -> tuple[Table, Table]:
    """Return the utilization tables of technicians and rooms (five queries)."""
    technician_minutes = dict(
        Allocation.objects.filter(
            technician__isnull=False,
            is_active=True,
            booking__status__in=OCCUPYING_STATUSES,
            booking__start__gte=low,
            booking__start__lt=high,
        )
        .values("technician_id")
        .annotate(booked=Sum(_elapsed("booking__start", "booking__end")))
        .order_by()
        .values_list("technician_id", "booked")
    )
    room_minutes: dict[int, dict[int, int]] = defaultdict(dict)
    for room_id, guests, booked in (
        Booking.objects.filter(status__in=OCCUPYING_STATUSES, start__gte=low, start__lt=high)
        .values("room_id", "guests")
        .annotate(booked=Sum(_elapsed("start", "end")))
        .order_by()
        .values_list("room_id", "guests", "booked")
    ):
        room_minutes[room_id][guests] = _minutes(booked)
    technicians = list(Technician.objects.filter(is_active=True).values_list("id", "name"))
    rooms = list(
        Room.objects.filter(is_active=True).values_list("id", "name", "room_type", "capacity")
    )
    owned = Q(technician_id__in=[row[0] for row in technicians]) | Q(
        room_id__in=[row[0] for row in rooms]
    )
    weekly, exceptions = load_schedules(owned, date_from, date_to)

    owners = [("t", row[0]) for row in technicians] + [("r", row[0]) for row in rooms]
    open_time = open_intervals(
        date_from,
        date_to,
        zone,
        {owner: (weekly.get(owner, ()), exceptions.get(owner, ())) for owner in owners},
    )

    def open_minutes(owner: tuple[str, int]) -> int:
        return sum(end - start for start, end in open_time[owner])

    technician_rows = []
    for technician_id, name in technicians:
        opened = open_minutes(("t", technician_id))
        booked = _minutes(technician_minutes.get(technician_id))
        technician_rows.append((name, booked, opened, _percent(booked, opened) or Decimal("0.0")))
    room_rows = []
    for room_id, name, room_type, capacity in rooms:
        shared = room_type == "shared"
        opened = open_minutes(("r", room_id)) * (capacity if shared else 1)
        booked = sum(
            minutes * (guests if shared else 1) for guests, minutes in room_minutes[room_id].items()
        )
        room_rows.append((name, booked, opened, _percent(booked, opened) or Decimal("0.0")))
    columns = (("booked_minutes", "Booked minutes"), ("open_minutes", "Open minutes"))
    return (
        Table(
            key="utilization_technicians",
            title="Utilization by technician",
            columns=(("technician", "Technician"), *columns, ("percent", "Utilization %")),
            rows=technician_rows,
            series=("percent",),
            unit="%",
        ),
        Table(
            key="utilization_rooms",
            title="Utilization by room",
            columns=(("room", "Room"), *columns, ("percent", "Utilization %")),
            rows=room_rows,
            series=("percent",),
            unit="%",
        ),
    )


def _members(date_from: date, date_to: date) -> Table:
    """Return new and lapsed memberships of the range by plan tier (one query)."""
    new = Q(started_on__gte=date_from, started_on__lte=date_to)
    lapsed = Q(
        ends_on__gte=date_from,
        ends_on__lte=date_to,
        status__in=(MembershipStatus.CANCELLED, MembershipStatus.EXPIRED),
    )
    rows = (
        Membership.objects.filter(new | lapsed)
        .values("plan__tier")
        .annotate(new=Count("pk", filter=new), lapsed=Count("pk", filter=lapsed))
        .order_by("plan__tier")
    )
    return Table(
        key="members",
        title="New and lapsed members by tier",
        columns=(("tier", "Tier"), ("new", "New"), ("lapsed", "Lapsed")),
        rows=[(row["plan__tier"], row["new"], row["lapsed"]) for row in rows],
        series=("new", "lapsed"),
    )


# -- the front desk's day board ------------------------------------------------------------

BOARD_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.IN_PROGRESS,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
    BookingStatus.NEEDS_REASSIGNMENT,
)
"""Bookings drawn on the board; cancelled ones are listed under it (their time is free)."""
BOARD_STEP_MINUTES = 15
"""One row of the board's grid, in elapsed minutes."""
DEFAULT_BOARD_HOURS = (9, 21)


@dataclass
class BoardBlock:
    """One booking on the board. ``row``/``rows``: its first grid row (1 = the board's first
    step) and how many it spans; ``lane``: which of its column's side-by-side lanes it is
    drawn in (a shared room holds several bookings at once); ``actions``: the desk steps its
    status and the time allow now (the services decide in the end)."""

    booking: Booking
    guest: str
    starts: datetime
    ends: datetime
    row: int
    rows: int
    addons: list[str]
    has_preferences: bool
    technicians: list[str]
    actions: list[str]
    lane: int = 1


MAX_BOARD_LANES = 6
"""Side-by-side lanes a column draws at most (the steam room's capacity is 4); more
overlapping bookings share the last lane."""


@dataclass
class BoardColumn:
    """A room or a technician and the blocks in their column, in ``lanes`` side-by-side
    lanes so that overlapping bookings never hide each other."""

    kind: str
    slug: str
    name: str
    blocks: list[BoardBlock] = field(default_factory=list)
    lanes: int = 1

    def assign_lanes(self) -> None:
        """Put each block in the first lane free at its first row (interval partitioning, in
        start order, longer first): the fewest lanes that keep overlapping blocks apart."""
        lane_ends: list[int] = []  # per lane, the first row after its last block
        placed = []
        for block in sorted(self.blocks, key=lambda block: (block.row, -block.rows)):
            free = [index for index, end in enumerate(lane_ends) if end <= block.row]
            if free:
                index = free[0]
            elif len(lane_ends) < MAX_BOARD_LANES:
                index = len(lane_ends)
                lane_ends.append(0)
            else:
                index = MAX_BOARD_LANES - 1
            lane_ends[index] = max(lane_ends[index], block.row + block.rows)
            placed.append(replace(block, lane=index + 1))
        self.blocks = placed
        self.lanes = max(1, len(lane_ends))


@dataclass
class DayBoard:
    """The board of one spa-local ``day``: ``times`` ``[(row, aware instant)]`` each hour's
    first row, ``rows`` in all, the columns, and the day's cancelled bookings."""

    day: date
    starts: datetime
    rows: int
    times: list[tuple[int, datetime]]
    rooms: list[BoardColumn]
    technicians: list[BoardColumn]
    cancelled: list[Booking]


def desk_actions(booking: Booking, now: datetime, spa_settings=None) -> list[str]:
    """Return the desk steps to offer for ``booking`` at ``now``: ``check_in`` (inside the
    check-in window), ``no_show`` (confirmed, after the start), ``complete`` (in progress),
    ``move`` and ``cancel`` (while it may still change)."""
    status = booking.status
    actions: list[str] = []
    if status == BookingStatus.CONFIRMED:
        if can_check_in(booking, now, spa_settings):
            actions.append("check_in")
        if now >= booking.start:
            actions.append("no_show")
    if status == BookingStatus.IN_PROGRESS:
        actions.append("complete")
    if status in (
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
        BookingStatus.NEEDS_REASSIGNMENT,
    ):
        if now < booking.start:
            actions.append("move")
        actions.append("cancel")
    return actions


def day_board(day: date, now: datetime) -> DayBoard:
    """Return the board of spa-local ``day``: every room and active technician as a column,
    each booking of the day a block in its room's column and in each of its technicians'.

    The grid runs in elapsed :data:`BOARD_STEP_MINUTES` steps from the earliest opening of
    the day's rooms and technicians (their schedules expanded as the engine does) to the
    latest closing, widened to hold every booking; on a DST day a row is still 15 real
    minutes. Eight queries whatever the number of bookings.
    """
    spa_settings = get_settings()
    zone = spa_settings.zone
    low = local_midnight_utc(day, zone)
    high = local_midnight_utc(day + timedelta(days=1), zone)
    bookings = list(
        Booking.objects.filter(start__gte=low, start__lt=high)
        .filter(status__in=(*BOARD_STATUSES, BookingStatus.CANCELLED))
        .select_related("customer", "service", "technician", "room")
        .prefetch_related("booking_addons__addon", "allocations__technician")
        .order_by("start", "pk")
    )
    technicians = list(Technician.objects.filter(is_active=True).order_by("name", "slug"))
    rooms = list(Room.objects.filter(is_active=True).order_by("name", "slug"))
    owned = Q(technician_id__in=[row.pk for row in technicians]) | Q(
        room_id__in=[row.pk for row in rooms]
    )
    weekly, exceptions = load_schedules(owned, day, day)
    owners = [("t", row.pk) for row in technicians] + [("r", row.pk) for row in rooms]
    opened = [
        interval
        for intervals in open_intervals(
            day,
            day,
            zone,
            {owner: (weekly.get(owner, ()), exceptions.get(owner, ())) for owner in owners},
        ).values()
        for interval in intervals
    ]
    shown = [row for row in bookings if row.status != BookingStatus.CANCELLED]
    edges = [minute for interval in opened for minute in interval]
    edges += [to_epoch_minutes(row.start) for row in shown]
    edges += [to_epoch_minutes(row.end) for row in shown]
    if edges:
        first, last = min(edges), max(edges)
    else:
        first = to_epoch_minutes(low) + DEFAULT_BOARD_HOURS[0] * 60
        last = to_epoch_minutes(low) + DEFAULT_BOARD_HOURS[1] * 60
    first -= first % 60  # start on a whole hour (UTC hours are local hours in whole zones)
    step = BOARD_STEP_MINUTES
    rows = max(1, -(-(last - first) // step))
    room_columns = {row.pk: BoardColumn("room", row.slug, row.name) for row in rooms}
    technician_columns = {
        row.pk: BoardColumn("technician", row.slug, row.name) for row in technicians
    }
    for booking in shown:
        start_minute = to_epoch_minutes(booking.start)
        held = [row for row in booking.allocations.all() if row.technician_id and row.is_active]
        technician_rows = [row.technician for row in held] or (
            [booking.technician] if booking.technician else []
        )
        block = BoardBlock(
            booking=booking,
            guest=booking.guest_name or (booking.customer.name if booking.customer else ""),
            starts=booking.start,
            ends=booking.end,
            row=(start_minute - first) // step + 1,
            rows=max(1, -(-(to_epoch_minutes(booking.end) - start_minute) // step)),
            addons=[row.addon.name for row in booking.booking_addons.all()],
            has_preferences=bool(booking.preferences),
            technicians=[row.name for row in technician_rows],
            actions=desk_actions(booking, now, spa_settings),
        )
        if booking.room_id in room_columns:
            room_columns[booking.room_id].blocks.append(block)
        for technician in technician_rows:
            if technician.pk in technician_columns:
                technician_columns[technician.pk].blocks.append(block)
    for column in (*room_columns.values(), *technician_columns.values()):
        column.assign_lanes()
    starts = from_epoch_minutes(first)
    times = [
        (index + 1, from_epoch_minutes(first + index * step))
        for index in range(rows)
        if from_epoch_minutes(first + index * step).astimezone(zone).minute == 0
    ]
    return DayBoard(
        day=day,
        starts=starts,
        rows=rows,
        times=times,
        rooms=list(room_columns.values()),
        technicians=list(technician_columns.values()),
        cancelled=[row for row in bookings if row.status == BookingStatus.CANCELLED],
    )


def find_customers(query: str, limit: int = 10) -> list:
    """Return up to ``limit`` active customers whose name, email or phone contains
    ``query`` (case-insensitive; at least 2 characters, else none), by name. One query."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    digits = "".join(character for character in query if character.isdigit())
    match = Q(name__icontains=query) | Q(email__icontains=query)
    if len(digits) >= 4:
        match |= Q(phone__contains=digits)
    return list(
        User.objects.filter(match, role=Role.CUSTOMER, is_active=True).order_by("name", "pk")[
            :limit
        ]
    )
