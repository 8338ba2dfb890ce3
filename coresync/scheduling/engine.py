"""The availability engine: pure Python over time intervals (ARCHITECTURE.md, SPEC §4).

It receives plain data — weekly windows, exceptions, busy intervals, holds and the caller's
access rules — and returns bookable start times with the technician(s) and room that would
serve each. It never touches the database; :mod:`coresync.scheduling.loader` builds its input
with a fixed number of queries.

Internally every instant is an integer count of minutes since the Unix epoch (UTC), so interval
arithmetic is plain integer comparison. Wall-clock rules are expanded day by day in the spa's
time zone:

1. Each local day of the range gets a grid of start times (every ``interval_minutes`` from
   local midnight). A local time that does not exist (spring forward) is never on the grid;
   one that occurs twice (fall back) is on it twice, once per instant.
2. Each technician's and room's weekly windows for that day become UTC intervals; whole-day
   exceptions drop the day, part-day exceptions and maintenance are cut out, then busy
   intervals (existing allocations, buffers included) and holds the caller may not use.
3. A start ``s`` fits a free interval ``[a, b)`` when ``s - buffer_before >= a`` and
   ``s + service_minutes + buffer_after <= b``: service time and buffers lie inside working
   hours and touch no other booking's time or buffers.
4. For each grid start the deterministic choice is: the least-loaded technician(s) that day
   (booked minutes on that local day, then slug), and the first room by (premium modifier,
   slug) with enough free places, taking the lowest-numbered free places.
5. Access rules filter starts: minimum notice (elapsed minutes), the advance window
   (``local_date(start) - local_date(now) <= advance_days``), and flag as members-only a start
   beyond the non-member window (the priority period) or on a hold the caller may use.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTES_PER_DAY = 24 * 60

Interval = tuple[int, int]
"""A half-open interval ``[start, end)`` in epoch minutes (UTC)."""


def to_minutes(instant: datetime) -> int:
    """Convert an aware datetime to epoch minutes (UTC), dropping seconds."""
    return int((instant - EPOCH).total_seconds()) // 60


def from_minutes(minutes: int) -> datetime:
    """Convert epoch minutes to an aware UTC datetime."""
    return datetime.fromtimestamp(minutes * 60, UTC)


# --------------------------------------------------------------------------- input data


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A weekly local-time window: ``weekday`` (Monday = 0), ``start < end`` wall-clock,
    valid on local dates ``valid_from..valid_until`` (inclusive; ``None`` = open)."""

    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True, slots=True)
class DayException:
    """Local dates ``first_date..last_date`` off entirely, or on a single date the local part
    ``start``-``end`` (both set). Technician time off and room maintenance alike."""

    first_date: date
    last_date: date
    start: time | None = None
    end: time | None = None

    @property
    def whole_day(self) -> bool:
        return self.start is None


@dataclass(slots=True)
class TechnicianData:
    """One technician as the engine sees it. ``busy``: UTC intervals (aware datetimes or epoch
    minutes) already occupied, buffers included."""

    id: int
    slug: str
    weekly: Sequence[WeeklyWindow]
    exceptions: Sequence[DayException] = ()
    busy: Sequence[tuple[datetime, datetime]] = ()


@dataclass(slots=True)
class RoomData:
    """One room. ``shared`` rooms sell each of their ``capacity`` places separately; other rooms
    are taken whole by one booking. ``busy_by_unit``: ``{unit: [(start, end), …]}`` for places
    numbered from 1."""

    id: int
    slug: str
    capacity: int
    weekly: Sequence[WeeklyWindow]
    exceptions: Sequence[DayException] = ()
    busy_by_unit: dict[int, Sequence[tuple[datetime, datetime]]] = field(default_factory=dict)
    shared: bool = False
    premium_modifier_percent: float = 0.0


@dataclass(frozen=True, slots=True)
class HoldData:
    """Time held for priority or VIP members (``level`` "priority" or "vip") on one technician,
    one room, or (both ``None``) the whole spa, until ``held_until`` (UTC)."""

    start: datetime
    end: datetime
    level: str
    held_until: datetime
    technician_id: int | None = None
    room_id: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """What one booking needs: ``service_minutes`` (duration + add-on minutes), buffers in
    minutes, the start grid step, the number of guests, technicians (0 if self-guided,
    otherwise one per guest) and room places (guests)."""

    service_minutes: int
    buffer_before: int = 0
    buffer_after: int = 0
    interval_minutes: int = 15
    guests: int = 1
    technicians_needed: int = 1

    @property
    def block_minutes(self) -> int:
        return self.buffer_before + self.service_minutes + self.buffer_after


@dataclass(frozen=True, slots=True)
class AccessRules:
    """The caller's booking window (SPEC §3, ARCHITECTURE.md time rules).

    ``now``: aware UTC instant, read once per operation. ``min_notice_minutes``: elapsed
    minutes. ``advance_days``: the caller's window in spa-local calendar days.
    ``non_member_advance_days``: beyond it a start is in the members-only priority period.
    ``priority``/``vip``: the caller may book priority/VIP holds.
    """

    now: datetime
    tz: ZoneInfo
    min_notice_minutes: int
    advance_days: int
    non_member_advance_days: int = 3
    priority: bool = False
    vip: bool = False

    def may_use_hold(self, level: str) -> bool:
        return self.vip if level == "vip" else (self.priority or self.vip)


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable start. ``start``/``end``: aware UTC, the service itself (buffers excluded).
    ``technician_ids``/``technician_slugs``: in choice order (empty if self-guided).
    ``room_units``: the room places taken (all of them for a non-shared room)."""

    start: datetime
    end: datetime
    technician_ids: tuple[int, ...]
    technician_slugs: tuple[str, ...]
    room_id: int
    room_slug: str
    room_units: tuple[int, ...]
    member_only: bool
    local_date: date


# --------------------------------------------------------------------------- interval helpers


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Return the union of intervals as a sorted list of disjoint intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Sequence[Interval], cuts: Sequence[Interval]) -> list[Interval]:
    """Return ``intervals`` minus ``cuts``; both sorted and disjoint (as from :func:`merge`)."""
    result: list[Interval] = []
    cut_index = 0
    cut_count = len(cuts)
    for start, end in intervals:
        while cut_index < cut_count and cuts[cut_index][1] <= start:
            cut_index += 1
        cursor = start
        probe = cut_index
        while probe < cut_count and cuts[probe][0] < end:
            cut_start, cut_end = cuts[probe]
            if cut_start > cursor:
                result.append((cursor, cut_start))
            if cut_end > cursor:
                cursor = cut_end
            if cursor >= end:
                break
            probe += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _intervals_in_minutes(
    intervals: Sequence[tuple[datetime | int, datetime | int]],
) -> list[Interval]:
    """Return ``intervals`` as epoch-minute pairs; the loader already gives minutes, so that
    common case is a plain copy."""
    if not intervals or isinstance(intervals[0][0], int):
        return list(intervals)
    return [_as_minutes(interval) for interval in intervals]


def _as_minutes(interval: tuple[datetime | int, datetime | int]) -> Interval:
    start, end = interval
    if isinstance(start, datetime):
        return to_minutes(start), -(-int((end - EPOCH).total_seconds()) // 60)
    return int(start), int(end)


# --------------------------------------------------------------------------- the calendar


class LocalCalendar:
    """Local days of a range and their start grid, in epoch minutes.

    ``days``: the local dates; ``day_start[i]``: epoch minute of local midnight of ``days[i]``
    (one more entry for the day after the range). ``grid``: sorted epoch minutes of every
    existing local grid time; ``grid_day[k]``: index into ``days`` of ``grid[k]``.
    """

    def __init__(self, first_day: date, last_day: date, tz: ZoneInfo, interval: int) -> None:
        self.tz = tz
        self.interval = interval
        self.days: list[date] = []
        self.day_start: list[int] = []
        day = first_day
        while day <= last_day:
            self.days.append(day)
            self.day_start.append(self._midnight(day))
            day += timedelta(days=1)
        self.day_start.append(self._midnight(day))
        self.grid: list[int] = []
        self.grid_day: list[int] = []
        self.steady_midnight: dict[date, int] = {}
        local_grid = range(0, MINUTES_PER_DAY, interval)
        for index, day in enumerate(self.days):
            midnight = self.day_start[index]
            if self.day_start[index + 1] - midnight == MINUTES_PER_DAY and self._steady(day):
                self.steady_midnight[day] = midnight
                points = [midnight + minute for minute in local_grid]
            else:
                points = self._transition_day_points(day, local_grid)
            self.grid.extend(points)
            self.grid_day.extend([index] * len(points))

    def _midnight(self, day: date) -> int:
        # fold=0 maps a nonexistent midnight forward past the gap (PEP 495).
        return to_minutes(datetime.combine(day, time(0), tzinfo=self.tz))

    def _steady(self, day: date) -> bool:
        """Tell whether the UTC offset is the same all day (no DST transition)."""
        start = datetime.combine(day, time(0), tzinfo=self.tz).utcoffset()
        end = datetime.combine(day, time(23, 59), tzinfo=self.tz).utcoffset()
        return start == end

    def _transition_day_points(self, day: date, local_grid: range) -> list[int]:
        points: set[int] = set()
        for minute in local_grid:
            for instant in wall_instants(day, time(minute // 60, minute % 60), self.tz):
                points.add(to_minutes(instant))
        return sorted(points)

    def day_index_of(self, minute: int) -> int:
        """Return the index of the local day containing epoch ``minute`` (-1 before the range,
        ``len(days)`` after it)."""
        return bisect_right(self.day_start, minute) - 1

    def window(self, day: date, start: time, end: time) -> Interval | None:
        """Return a local window on ``day`` as epoch minutes, or ``None`` if it is empty.

        A boundary in the spring-forward gap maps to the jump (the first instant whose
        wall-clock time is later); an ambiguous start takes its first occurrence and an
        ambiguous end its second, so a window always covers every instant whose wall-clock
        time lies inside it.
        """
        midnight = self.steady_midnight.get(day)
        if midnight is not None:
            # No transition that day: wall-clock minutes are elapsed minutes since midnight.
            window_start = midnight + start.hour * 60 + start.minute
            window_end = midnight + (end.hour * 60 + end.minute or MINUTES_PER_DAY)
            if end == time.max:
                window_end = midnight + MINUTES_PER_DAY
            return (window_start, window_end) if window_end > window_start else None
        window_start = self._boundary(day, start, fold=0)
        if end == time(0) or end == time.max:
            window_end = self._midnight(day + timedelta(days=1))
        else:
            window_end = self._boundary(day, end, fold=1)
        return (window_start, window_end) if window_end > window_start else None

    def _boundary(self, day: date, wall: time, fold: int) -> int:
        """Return the epoch minute at which clocks show ``day`` ``wall``; ``fold`` picks the
        first (0) or second (1) occurrence of a repeated time. A time in a spring-forward gap
        never shows: it maps to the jump."""
        local = datetime.combine(day, wall, tzinfo=self.tz)
        first = to_minutes(local)
        second = to_minutes(local.replace(fold=1))
        if second >= first:
            return second if fold else first
        # In a gap PEP 495 reads fold=0 with the offset before the jump and fold=1 with the
        # offset after it, which puts the two readings on either side of the jump instead of
        # on it: search between them for the first minute after the jump.
        offset_after = local.replace(fold=1).utcoffset()
        low, high = second, first
        while low < high:
            middle = (low + high) // 2
            if from_minutes(middle).astimezone(self.tz).utcoffset() == offset_after:
                high = middle
            else:
                low = middle + 1
        return low


def wall_instants(day: date, wall: time, tz: ZoneInfo) -> list[datetime]:
    """Return the UTC instants at which ``tz``'s clocks show ``day`` ``wall``: one normally,
    two in a fall-back overlap (first and second occurrence, PEP 495 ``fold``), none in a
    spring-forward gap (ARCHITECTURE.md "Time rules"). The one home of the wall-clock rule:
    the engine imports no Django, so it cannot live in :mod:`coresync.core.clock`."""
    local = datetime.combine(day, wall, tzinfo=tz)
    first = local.astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        return []
    second = local.replace(fold=1).astimezone(UTC)
    return [first] if first == second else [first, second]


def exception_span(exception: DayException, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Return the UTC instants ``[start, end)`` an exception takes away, as the engine cuts
    it: whole days from the first local midnight to the midnight after the last day; a part
    day its local window (a boundary in a DST gap maps to the jump, an ambiguous start takes
    its first occurrence and an ambiguous end its second). ``None`` for an empty window."""
    calendar = LocalCalendar(exception.first_date, exception.last_date, tz, 60)
    if exception.whole_day:
        return from_minutes(calendar.day_start[0]), from_minutes(calendar.day_start[-1])
    window = calendar.window(exception.first_date, exception.start, exception.end)
    if window is None:
        return None
    return from_minutes(window[0]), from_minutes(window[1])


# --------------------------------------------------------------------------- the engine


def _open_intervals(
    calendar: LocalCalendar,
    weekly: Sequence[WeeklyWindow],
    exceptions: Sequence[DayException],
) -> list[Interval]:
    """Expand weekly windows over the calendar's days, minus exceptions (sorted, disjoint).

    The day before and the day after the range are expanded too: a block may cross midnight
    into a neighbouring day's window (a room open until 00:00 and from 00:00), and whether a
    start is offered must not depend on the range asked (listing a week and booking one day
    must agree).
    """
    by_weekday: dict[int, list[WeeklyWindow]] = {}
    for window in weekly:
        by_weekday.setdefault(window.weekday, []).append(window)
    closed_days: set[date] = set()
    part_day: dict[date, list[DayException]] = {}
    first = calendar.days[0] - timedelta(days=1)
    last = calendar.days[-1] + timedelta(days=1)
    for exception in exceptions:
        if exception.last_date < first or exception.first_date > last:
            continue
        if exception.whole_day:
            day = max(exception.first_date, first)
            while day <= min(exception.last_date, last):
                closed_days.add(day)
                day += timedelta(days=1)
        else:
            part_day.setdefault(exception.first_date, []).append(exception)
    opened: list[Interval] = []
    cuts: list[Interval] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        windows = by_weekday.get(day.weekday())
        if not windows or day in closed_days:
            continue
        for window in windows:
            if window.applies_on(day):
                interval = calendar.window(day, window.start, window.end)
                if interval:
                    opened.append(interval)
        for exception in part_day.get(day, ()):
            interval = calendar.window(day, exception.start, exception.end)
            if interval:
                cuts.append(interval)
    return subtract(merge(opened), merge(cuts))


def open_intervals(
    first_day: date,
    last_day: date,
    tz: ZoneInfo,
    schedules: dict[object, tuple[Sequence[WeeklyWindow], Sequence[DayException]]],
) -> dict[object, list[Interval]]:
    """Return the open time of each technician or room of ``schedules`` (``{key: (weekly
    windows, exceptions)}``) between local dates ``first_day`` and ``last_day`` (inclusive),
    as sorted, disjoint epoch-minute intervals per key, expanded exactly as
    :func:`find_slots` expands them (weekly windows day by day in ``tz``, minus exceptions)
    and clipped to the range's local midnights. Utilization reports divide booked minutes by
    this, so a 09:00-17:00 day is 480 minutes on both sides of a DST change and a night
    window over the spring-forward gap is an hour shorter. The local calendar is built once
    for all keys."""
    calendar = LocalCalendar(first_day, last_day, tz, MINUTES_PER_DAY)
    low, high = calendar.day_start[0], calendar.day_start[-1]
    result: dict[object, list[Interval]] = {}
    for key, (weekly, exceptions) in schedules.items():
        clipped = []
        for start, end in _open_intervals(calendar, weekly, exceptions):
            start, end = max(start, low), min(end, high)
            if end > start:
                clipped.append((start, end))
        result[key] = clipped
    return result


def _fitting_ranges(
    calendar: LocalCalendar, free: Sequence[Interval], spec: ServiceSpec
) -> list[tuple[int, int]]:
    """Return ``[lo, hi)`` index ranges of grid starts whose block fits a free interval."""
    grid = calendar.grid
    ranges = []
    lead = spec.buffer_before
    tail = spec.service_minutes + spec.buffer_after
    for start, end in free:
        lo = bisect_left(grid, start + lead)
        hi = bisect_right(grid, end - tail)
        if hi > lo:
            ranges.append((lo, hi))
    return ranges


def _split_by_day(
    calendar: LocalCalendar, ranges: Iterable[tuple[int, int]]
) -> Iterable[tuple[int, int]]:
    """Split grid index ranges where the local day changes (a free stretch may cross
    midnight), so that each range is ranked by its own day's load."""
    grid_day = calendar.grid_day
    for lo, hi in ranges:
        while lo < hi:
            cut = bisect_right(grid_day, grid_day[lo], lo, hi)
            yield lo, cut
            lo = cut


def _blocked_by_holds(
    holds: Sequence[HoldData], rules: AccessRules, technician_id: int | None, room_id: int | None
) -> list[Interval]:
    """Return hold intervals the caller may not book on this resource (still held)."""
    now = rules.now
    blocked = []
    for hold in holds:
        if hold.held_until <= now or rules.may_use_hold(hold.level):
            continue
        global_hold = hold.technician_id is None and hold.room_id is None
        if (
            global_hold
            or (technician_id is not None and hold.technician_id == technician_id)
            or (room_id is not None and hold.room_id == room_id)
        ):
            blocked.append(_as_minutes((hold.start, hold.end)))
    return blocked


def find_slots(
    spec: ServiceSpec,
    rules: AccessRules,
    technicians: Sequence[TechnicianData],
    rooms: Sequence[RoomData],
    date_from: date,
    date_to: date,
    holds: Sequence[HoldData] = (),
    *,
    ignore_busy: bool = False,
    ignore_window: bool = False,
    required_technician_ids: Sequence[int] = (),
) -> list[Slot]:
    """Return bookable starts between local dates ``date_from`` and ``date_to`` (inclusive).

    The search runs in phases over one grid of candidate starts (minutes since the epoch,
    UTC): the days the caller may see (:func:`_visible_days`); each technician's free ranges,
    painted so every start gets the preferred technician (:func:`_paint_technicians`); each
    room's free places the same way (:func:`_paint_rooms`); then notice, the members-only
    flag and holds decide which painted starts become slots (:func:`_collect_slots`).

    Args:
        spec: what the booking needs (minutes, buffers, grid, guests).
        rules: the caller's access (now, notice, advance window, hold access).
        technicians: candidates already filtered by skill (ignored when
            ``spec.technicians_needed`` is 0).
        rooms: candidates already filtered by type and active state.
        holds: priority/VIP holds overlapping the range.
        ignore_busy: treat existing bookings and holds as absent (used to tell "taken" from
            "outside working hours" when refusing a start).
        ignore_window: skip minimum notice and advance-window checks.
        required_technician_ids: technicians every returned slot must include (a couples
            booking that names one technician; the others are chosen as usual).

    Returns:
        Slots sorted by start; at most one per grid start (the deterministic choice above).
    """
    days = _visible_days(rules, date_from, date_to, ignore_window)
    if days is None or spec.guests < 1:
        return []
    calendar = LocalCalendar(days[0], days[1], rules.tz, spec.interval_minutes)
    if not calendar.grid:
        return []
    search = _Search(spec, rules, calendar, holds, ignore_busy)
    technician_paint = _paint_technicians(search, technicians)
    room_paint = _paint_rooms(search, rooms)
    return _collect_slots(
        search,
        technicians,
        rooms,
        technician_paint,
        room_paint,
        ignore_window=ignore_window,
        required_technician_ids=required_technician_ids,
    )


def _visible_days(
    rules: AccessRules, date_from: date, date_to: date, ignore_window: bool
) -> tuple[date, date] | None:
    """Return the first and last local day to search — the asked range cut to today … the
    advance window unless ``ignore_window`` — or ``None`` when nothing is left."""
    first_day, last_day = date_from, date_to
    if not ignore_window:
        today = rules.now.astimezone(rules.tz).date()
        first_day = max(first_day, today)
        last_day = min(last_day, today + timedelta(days=rules.advance_days))
    if last_day < first_day:
        return None
    return first_day, last_day


class _Search:
    """What every phase of one :func:`find_slots` call shares: the question, the calendar,
    and the opening hours expanded once per distinct schedule (staff and rooms often share
    the same hours)."""

    def __init__(
        self,
        spec: ServiceSpec,
        rules: AccessRules,
        calendar: LocalCalendar,
        holds: Sequence[HoldData],
        ignore_busy: bool,
    ) -> None:
        self.spec = spec
        self.rules = rules
        self.calendar = calendar
        self.holds = holds
        self.ignore_busy = ignore_busy
        self.size = len(calendar.grid)
        self._expanded: dict[tuple, list[Interval]] = {}

    def open_intervals(
        self, weekly: Sequence[WeeklyWindow], exceptions: Sequence[DayException]
    ) -> list[Interval]:
        key = (tuple(weekly), tuple(exceptions))
        if key not in self._expanded:
            self._expanded[key] = _open_intervals(self.calendar, weekly, exceptions)
        return self._expanded[key]


@dataclass
class _TechnicianPaint:
    """Per grid index: the preferred technician's position (-1: none) when one is needed, or
    the sorted-later candidate lists ``((load, slug), position)`` when several are."""

    best: list[int]
    candidates: list[list[tuple[tuple[int, str], int]]] | None


def _paint_technicians(search: _Search, technicians: Sequence[TechnicianData]) -> _TechnicianPaint:
    """Paint each grid index with the best technician free for the whole service there: the
    one with the least booked minutes that day, then by slug (ranges are written in reverse
    preference order, so the most preferred is written last); for couples, collect every
    free technician per index instead."""
    calendar, spec, size = search.calendar, search.spec, search.size
    needed = spec.technicians_needed
    best: list[int] = [-1] * size
    if not needed:
        return _TechnicianPaint(best, None)
    painted: list[tuple[tuple[int, str], int, int, int]] = []
    for position, technician in enumerate(technicians):
        busy = [] if search.ignore_busy else _intervals_in_minutes(technician.busy)
        load: dict[int, int] = {}
        for start, end in busy:
            day_index = calendar.day_index_of(start)
            load[day_index] = load.get(day_index, 0) + end - start
        if not search.ignore_busy:
            busy.extend(_blocked_by_holds(search.holds, search.rules, technician.id, None))
        opened = search.open_intervals(technician.weekly, technician.exceptions)
        free = subtract(opened, merge(busy))
        for lo, hi in _split_by_day(calendar, _fitting_ranges(calendar, free, spec)):
            key = (load.get(calendar.grid_day[lo], 0), technician.slug)
            painted.append((key, position, lo, hi))
    if needed == 1:
        painted.sort(reverse=True)
        for _key, position, lo, hi in painted:
            best[lo:hi] = [position] * (hi - lo)
        return _TechnicianPaint(best, None)
    candidates: list[list[tuple[tuple[int, str], int]]] = [[] for _ in range(size)]
    for key, position, lo, hi in painted:
        for index in range(lo, hi):
            candidates[index].append((key, position))
    return _TechnicianPaint(best, candidates)


@dataclass
class _RoomPaint:
    """Per grid index: the chosen room's position (-1: none) and the places it gives."""

    best: list[int]
    units: list[tuple[int, ...] | None]


def _paint_rooms(search: _Search, rooms: Sequence[RoomData]) -> _RoomPaint:
    """Paint each grid index with the first room, in preference order (lowest premium, then
    slug), that has enough free places for the guests there: a shared room by its places
    (the lowest free ones), a private room as a whole."""
    spec, size = search.spec, search.size
    paint = _RoomPaint([-1] * size, [None] * size)
    room_order = sorted(
        range(len(rooms)), key=lambda i: (rooms[i].premium_modifier_percent, rooms[i].slug)
    )
    for position in reversed(room_order):
        room = rooms[position]
        if room.capacity < spec.guests:
            continue
        opened = search.open_intervals(room.weekly, room.exceptions)
        held = (
            []
            if search.ignore_busy
            else merge(_blocked_by_holds(search.holds, search.rules, None, room.id))
        )
        if room.shared:
            _paint_shared_room(search, room, position, opened, held, paint)
        else:
            _paint_private_room(search, room, position, opened, held, paint)
    return paint


def _paint_shared_room(
    search: _Search,
    room: RoomData,
    position: int,
    opened: list[Interval],
    held: list[Interval],
    paint: _RoomPaint,
) -> None:
    """Paint the indexes where ``room`` (places booked one by one) has a free place per guest."""
    calendar, spec, size = search.calendar, search.spec, search.size
    per_unit: list[list[int]] = [[] for _ in range(size)] if spec.guests > 1 else []
    unit_paint: list[tuple[int, ...] | None] = [None] * size
    for unit in reversed(range(1, room.capacity + 1)):
        busy = [] if search.ignore_busy else room.busy_by_unit.get(unit, ())
        free = subtract(opened, merge([*_intervals_in_minutes(busy), *held]))
        for lo, hi in _fitting_ranges(calendar, free, spec):
            if spec.guests == 1:
                unit_paint[lo:hi] = [(unit,)] * (hi - lo)
            else:
                for index in range(lo, hi):
                    per_unit[index].append(unit)
    if spec.guests > 1:
        for index, free_units in enumerate(per_unit):
            if len(free_units) >= spec.guests:
                unit_paint[index] = tuple(sorted(free_units)[: spec.guests])
    for index, chosen in enumerate(unit_paint):
        if chosen is not None:
            paint.best[index] = position
            paint.units[index] = chosen


def _paint_private_room(
    search: _Search,
    room: RoomData,
    position: int,
    opened: list[Interval],
    held: list[Interval],
    paint: _RoomPaint,
) -> None:
    """Paint the indexes where ``room`` (taken whole by one booking) is free."""
    busy = (
        []
        if search.ignore_busy
        else [
            interval
            for unit_busy in room.busy_by_unit.values()
            for interval in _intervals_in_minutes(unit_busy)
        ]
    )
    free = subtract(opened, merge([*busy, *held]))
    whole = tuple(range(1, room.capacity + 1))
    for lo, hi in _fitting_ranges(search.calendar, free, search.spec):
        paint.best[lo:hi] = [position] * (hi - lo)
        paint.units[lo:hi] = [whole] * (hi - lo)


def _choose_technicians(
    index: int,
    technicians: Sequence[TechnicianData],
    paint: _TechnicianPaint,
    needed: int,
    required_technician_ids: Sequence[int],
) -> list[TechnicianData] | None:
    """Return the technicians of the start at ``index`` (none when the service needs none),
    or ``None`` when not enough are free there (or a required one is not)."""
    if needed == 0:
        return []
    if needed == 1:
        position = paint.best[index]
        return None if position < 0 else [technicians[position]]
    pool = sorted(paint.candidates[index]) if paint.candidates is not None else []
    if len(pool) < needed:
        return None
    if required_technician_ids:
        named = [p for _key, p in pool if technicians[p].id in required_technician_ids]
        if len(named) < len(required_technician_ids):
            return None
        others = [p for _key, p in pool if p not in named]
        positions = (named + others)[:needed]
    else:
        positions = [p for _key, p in pool[:needed]]
    return [technicians[p] for p in positions]


def _collect_slots(
    search: _Search,
    technicians: Sequence[TechnicianData],
    rooms: Sequence[RoomData],
    technician_paint: _TechnicianPaint,
    room_paint: _RoomPaint,
    *,
    ignore_window: bool,
    required_technician_ids: Sequence[int],
) -> list[Slot]:
    """Turn the painted indexes into slots: skip starts inside the minimum notice, mark the
    members-only ones (beyond the non-member window, or on a hold the caller may use)."""
    spec, rules, calendar = search.spec, search.rules, search.calendar
    today = rules.now.astimezone(rules.tz).date()
    earliest = to_minutes(rules.now) + rules.min_notice_minutes
    first_member_only_day = today + timedelta(days=rules.non_member_advance_days + 1)
    usable_holds = [
        hold
        for hold in search.holds
        if hold.held_until > rules.now and rules.may_use_hold(hold.level)
    ]
    grid, days = calendar.grid, calendar.days
    slots: list[Slot] = []
    for index in range(search.size):
        position = room_paint.best[index]
        if position < 0:
            continue
        start = grid[index]
        if not ignore_window and start < earliest:
            continue
        chosen = _choose_technicians(
            index, technicians, technician_paint, spec.technicians_needed, required_technician_ids
        )
        if chosen is None:
            continue
        room = rooms[position]
        local_day = days[calendar.grid_day[index]]
        member_only = local_day >= first_member_only_day
        if usable_holds and not member_only:
            member_only = _on_usable_hold(
                usable_holds, start, spec, [t.id for t in chosen], room.id
            )
        slots.append(
            Slot(
                start=from_minutes(start),
                end=from_minutes(start + spec.service_minutes),
                technician_ids=tuple(t.id for t in chosen),
                technician_slugs=tuple(t.slug for t in chosen),
                room_id=room.id,
                room_slug=room.slug,
                room_units=room_paint.units[index] or (),
                member_only=member_only,
                local_date=local_day,
            )
        )
    return slots


def _on_usable_hold(
    holds: Sequence[HoldData],
    start: int,
    spec: ServiceSpec,
    technician_ids: Sequence[int],
    room_id: int,
) -> bool:
    block = (start - spec.buffer_before, start + spec.service_minutes + spec.buffer_after)
    for hold in holds:
        if not (
            (hold.technician_id is None and hold.room_id is None)
            or hold.technician_id in technician_ids
            or hold.room_id == room_id
        ):
            continue
        hold_start, hold_end = _as_minutes((hold.start, hold.end))
        if hold_start < block[1] and block[0] < hold_end:
            return True
    return False
