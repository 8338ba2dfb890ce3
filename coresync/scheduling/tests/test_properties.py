"""Property tests of find_slots against a brute-force oracle (hypothesis).

Random weekly windows, exceptions, busy time, holds, services and access rules, on ranges
around both 2026 DST changes in New York and an ordinary summer week. Every boundary is a
multiple of 15 minutes (UTC offsets are whole hours), so the oracle can look at the world
15 minutes at a time: a resource is free at a tick when its local day's windows cover the tick
and no exception, busy interval or hold does.

The oracle reads wall-clock rules by scanning a local day's instants, independently of the
engine's PEP 495 arithmetic. A window ``start``-``end`` on a local day covers the instants from
the first one showing ``start`` or later, to the last one showing ``end`` (the second of a
repeated time, as documented) or, when ``end`` never shows (spring-forward gap), to the jump.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coresync.scheduling.engine import (
    AccessRules,
    DayException,
    HoldData,
    RoomData,
    ServiceSpec,
    Slot,
    TechnicianData,
    WeeklyWindow,
    find_slots,
    from_minutes,
    merge,
    subtract,
    to_minutes,
)
from coresync.scheduling.tests.builders import NEW_YORK

TICK = 15
TICKS_PER_DAY = 24 * 60 // TICK
# Friday before the spring-forward Sunday, Friday before the fall-back Sunday, a summer Friday.
ANCHORS = [date(2026, 3, 6), date(2026, 10, 30), date(2026, 6, 12)]
# Base schedules, most likely first; random windows are added to each.
TECHNICIAN_BASES = ["nine to five", "nine to five", "round the clock", "round the clock", "none"]
ROOM_BASES = ["round the clock", "round the clock", "nine to five", "nine to five", "none"]
PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    spec: ServiceSpec
    rules: AccessRules
    technicians: list[TechnicianData]
    rooms: list[RoomData]
    date_from: date
    date_to: date
    holds: list[HoldData] = field(default_factory=list)
    ignore_busy: bool = False
    ignore_window: bool = False

    def run(self, date_from: date | None = None, date_to: date | None = None) -> list[Slot]:
        return find_slots(
            self.spec,
            self.rules,
            self.technicians,
            self.rooms,
            date_from or self.date_from,
            date_to or self.date_to,
            self.holds,
            ignore_busy=self.ignore_busy,
            ignore_window=self.ignore_window,
        )


# Raw draws, built once (building strategies inside a composite is slow): half-hour slots
# and weekdays biased towards the DST hours (01:00-02:30) and Sunday, days from the anchor
# (anchor + 2 is a DST Sunday), 15-minute ticks from the anchor's base.
HALF_HOURS = st.one_of(st.integers(0, 47), st.sampled_from([2, 3, 4, 5]))
WEEKDAYS = st.one_of(st.integers(0, 6), st.just(6))
VALIDITY = st.one_of(st.none(), st.integers(-2, 8))
RAW_WINDOWS = st.lists(
    st.tuples(WEEKDAYS, HALF_HOURS, st.integers(1, 20), VALIDITY, VALIDITY), max_size=6
)
RAW_EXCEPTIONS = st.lists(
    st.tuples(
        st.booleans(),
        st.one_of(st.integers(-1, 7), st.just(2)),
        st.integers(0, 2),
        HALF_HOURS,
        st.integers(1, 12),
    ),
    max_size=3,
)
RAW_BUSY = st.lists(st.tuples(st.integers(0, 9 * TICKS_PER_DAY), st.integers(1, 24)), max_size=4)
RAW_HOLDS = st.lists(
    st.tuples(
        st.integers(0, 9 * TICKS_PER_DAY),
        st.integers(1, 24),
        st.sampled_from(["priority", "vip"]),
        st.sampled_from(["spa", "technician", "room"]),
        st.integers(-TICKS_PER_DAY, 3 * TICKS_PER_DAY),
    ),
    max_size=2,
)
GUESTS = st.sampled_from([1, 1, 2, 3])
SELF_GUIDED = st.sampled_from([False, False, False, True])
SERVICE_MINUTES = st.sampled_from([15, 30, 45, 60, 90, 120, 180])
BUFFERS = st.sampled_from([0, 15, 30])
INTERVALS = st.sampled_from([15, 30, 45, 60])
NOTICES = st.sampled_from([0, 15, 60, 120, 240])
TECHNICIAN_SCHEDULES = st.sampled_from(TECHNICIAN_BASES)
ROOM_SCHEDULES = st.sampled_from(ROOM_BASES)
PREMIUMS = st.sampled_from([0.0, 10.0])


def half_hour(slot: int) -> time:
    """Return the wall-clock time of half-hour ``slot`` (48 = the end of the day, 00:00)."""
    return time(0) if slot == 48 else time(slot // 2, slot % 2 * 30)


def weekly_windows(base: str, raw: list[tuple], anchor: date) -> list[WeeklyWindow]:
    """A base schedule (none, round the clock or 09:00-17:00) plus the raw windows."""
    windows = []
    if base != "none":
        start, end = (time(0), time(0)) if base == "round the clock" else (time(9), time(17))
        windows += [WeeklyWindow(weekday, start, end) for weekday in range(7)]
    for weekday, start, length, valid_from, valid_until in raw:
        first, last = (
            None if offset is None else anchor + timedelta(days=offset)
            for offset in (valid_from, valid_until)
        )
        if first and last and last < first:
            first, last = last, first
        end = min(start + length, 48)
        windows.append(WeeklyWindow(weekday, half_hour(start), half_hour(end), first, last))
    return windows


def day_exceptions(raw: list[tuple], anchor: date) -> list[DayException]:
    exceptions = []
    for whole, offset, length, start, span in raw:
        first = anchor + timedelta(days=offset)
        if whole:
            exceptions.append(DayException(first, first + timedelta(days=length)))
        else:
            end = min(start + span, 48)
            exceptions.append(DayException(first, first, half_hour(start), half_hour(end)))
    return exceptions


def busy_intervals(raw: list[tuple], base: int) -> list[tuple[datetime, datetime]]:
    """Busy time anywhere from the day before the anchor to a week after it."""
    return [
        (from_minutes(base + start * TICK), from_minutes(base + (start + length) * TICK))
        for start, length in raw
    ]


@st.composite
def scenarios(draw) -> Scenario:
    anchor = draw(st.sampled_from(ANCHORS))
    date_from = anchor + timedelta(days=draw(st.integers(0, 2)))
    date_to = date_from + timedelta(days=draw(st.integers(0, 3)))
    # Epoch minute of local midnight the day before the anchor: every instant is base + k * 15.
    base = to_minutes(datetime.combine(anchor - timedelta(days=1), time(0), tzinfo=NEW_YORK))
    now_tick = draw(st.integers(0, 4 * TICKS_PER_DAY))
    now = from_minutes(base + now_tick * TICK)

    guests = draw(GUESTS)
    spec = ServiceSpec(
        service_minutes=draw(SERVICE_MINUTES),
        buffer_before=draw(BUFFERS),
        buffer_after=draw(BUFFERS),
        interval_minutes=draw(INTERVALS),
        guests=guests,
        technicians_needed=0 if draw(SELF_GUIDED) else guests,
    )
    rules = AccessRules(
        now=now,
        tz=NEW_YORK,
        min_notice_minutes=draw(NOTICES),
        advance_days=draw(st.integers(0, 6)),
        non_member_advance_days=draw(st.integers(0, 4)),
        priority=draw(st.booleans()),
        vip=draw(st.booleans()),
    )
    technician_slugs = draw(st.permutations(["ana", "ben", "cy"]))
    technicians = [
        TechnicianData(
            id=index + 1,
            slug=slug,
            weekly=weekly_windows(draw(TECHNICIAN_SCHEDULES), draw(RAW_WINDOWS), anchor),
            exceptions=day_exceptions(draw(RAW_EXCEPTIONS), anchor),
            busy=busy_intervals(draw(RAW_BUSY), base),
        )
        for index, slug in enumerate(
            technician_slugs[: draw(st.integers(max(1, spec.technicians_needed), 3))]
        )
    ]
    room_slugs = draw(st.permutations(["amber", "birch", "cedar"]))
    rooms = []
    for index, slug in enumerate(room_slugs[: draw(st.integers(1, 3))]):
        capacity = draw(st.integers(spec.guests if index == 0 else 1, 3))
        rooms.append(
            RoomData(
                id=index + 1,
                slug=slug,
                capacity=capacity,
                weekly=weekly_windows(draw(ROOM_SCHEDULES), draw(RAW_WINDOWS), anchor),
                exceptions=day_exceptions(draw(RAW_EXCEPTIONS), anchor),
                busy_by_unit={
                    unit: busy_intervals(draw(RAW_BUSY), base) for unit in range(1, capacity + 1)
                },
                shared=draw(st.booleans()),
                premium_modifier_percent=draw(PREMIUMS),
            )
        )
    holds = [
        HoldData(
            start=from_minutes(base + start * TICK),
            end=from_minutes(base + (start + length) * TICK),
            level=level,
            held_until=from_minutes(base + (now_tick + held_for) * TICK),
            technician_id=1 if target == "technician" else None,
            room_id=1 if target == "room" else None,
        )
        for start, length, level, target, held_for in draw(RAW_HOLDS)
    ]
    return Scenario(
        spec=spec,
        rules=rules,
        technicians=technicians,
        rooms=rooms,
        date_from=date_from,
        date_to=date_to,
        holds=holds,
        ignore_busy=draw(st.booleans()) and draw(st.booleans()),
        ignore_window=draw(st.booleans()) and draw(st.booleans()),
    )


SUNDAY_WINDOWS = st.lists(st.tuples(HALF_HOURS, st.integers(1, 12)), min_size=1, max_size=3)
SUNDAY_CUTS = st.lists(st.tuples(HALF_HOURS, st.integers(1, 6)), max_size=2)


@st.composite
def dst_sunday_scenarios(draw) -> Scenario:
    """Only the two DST Sundays, with windows and exceptions drawn around the changed hours."""
    sunday = draw(st.sampled_from([date(2026, 3, 8), date(2026, 11, 1)]))

    def windows(raw):
        return [
            WeeklyWindow(6, half_hour(start), half_hour(min(start + length, 48)))
            for start, length in raw
        ]

    def cuts(raw):
        return [
            DayException(sunday, sunday, half_hour(start), half_hour(min(start + length, 48)))
            for start, length in raw
        ]

    technicians = [
        TechnicianData(1, "ana", windows(draw(SUNDAY_WINDOWS)), cuts(draw(SUNDAY_CUTS))),
        TechnicianData(2, "ben", windows(draw(SUNDAY_WINDOWS)), cuts(draw(SUNDAY_CUTS))),
    ]
    steam = RoomData(
        1, "steam", 2, windows(draw(SUNDAY_WINDOWS)), cuts(draw(SUNDAY_CUTS)), shared=True
    )
    spec = ServiceSpec(
        service_minutes=draw(SERVICE_MINUTES),
        buffer_before=draw(BUFFERS),
        buffer_after=draw(BUFFERS),
        interval_minutes=draw(INTERVALS),
        technicians_needed=0 if draw(SELF_GUIDED) else 1,
    )
    now = datetime.combine(sunday - timedelta(days=1), time(12), tzinfo=NEW_YORK)
    rules = AccessRules(now=now, tz=NEW_YORK, min_notice_minutes=0, advance_days=3)
    return Scenario(spec, rules, technicians, [steam], sunday, sunday)


# --------------------------------------------------------------------------- the oracle


@cache
def local_midnight(day: date) -> int:
    return to_minutes(datetime.combine(day, time(0), tzinfo=NEW_YORK))


@cache
def day_ticks(day: date) -> tuple[tuple[int, int], ...]:
    """Return every tick of local ``day`` as (epoch minute, wall-clock minutes since 00:00)."""
    ticks = []
    for minute in range(local_midnight(day), local_midnight(day + timedelta(days=1)), TICK):
        local = from_minutes(minute).astimezone(NEW_YORK)
        assert local.date() == day
        ticks.append((minute, local.hour * 60 + local.minute))
    return tuple(ticks)


@cache
def local_day_of(minute: int) -> date:
    return from_minutes(minute).astimezone(NEW_YORK).date()


def wall_minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def covered_ticks(day: date, start: time, end: time) -> set[int]:
    """Return the ticks a local window ``start``-``end`` covers on ``day`` (end 00:00 = the
    end of the day), found by scanning the day's wall clock."""
    ticks = day_ticks(day)
    next_midnight = local_midnight(day + timedelta(days=1))
    low = next((minute for minute, wall in ticks if wall >= wall_minutes(start)), next_midnight)
    if end == time(0):
        high = next_midnight
    else:
        showing_end = [minute for minute, wall in ticks if wall == wall_minutes(end)]
        before_end = [minute for minute, wall in ticks if wall < wall_minutes(end)]
        if showing_end:
            high = showing_end[-1]
        elif before_end:
            high = before_end[-1] + TICK
        else:
            high = local_midnight(day)
    return set(range(low, high, TICK))


def interval_ticks(start: datetime, end: datetime) -> set[int]:
    return set(range(to_minutes(start), to_minutes(end), TICK))


class Oracle:
    """Brute force over 15-minute ticks: which resources are free when, and which grid
    starts every rule allows."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        first = scenario.date_from - timedelta(days=1)
        self.days = [first + timedelta(days=n) for n in range((scenario.date_to - first).days + 2)]
        rules = scenario.rules
        self.now = to_minutes(rules.now)
        self.today = local_day_of(self.now)
        self.hours: dict[tuple[str, int], set[int]] = {}
        self.free: dict[tuple[str, int, int], set[int]] = {}
        for technician in scenario.technicians:
            key = ("technician", technician.id)
            self.hours[key] = self.open_ticks(technician.weekly, technician.exceptions)
            blocked = self.held(technician.id, None)
            if not scenario.ignore_busy:
                for start, end in technician.busy:
                    blocked |= interval_ticks(start, end)
            self.free[(*key, 0)] = self.hours[key] - blocked
        for room in scenario.rooms:
            key = ("room", room.id)
            self.hours[key] = self.open_ticks(room.weekly, room.exceptions)
            held = self.held(None, room.id)
            busy_by_unit = {
                unit: set().union(*(interval_ticks(start, end) for start, end in busy))
                if busy and not scenario.ignore_busy
                else set()
                for unit, busy in room.busy_by_unit.items()
            }
            for unit in range(1, room.capacity + 1):
                blocked = held | (
                    busy_by_unit.get(unit, set())
                    if room.shared
                    else set().union(*busy_by_unit.values())
                )
                self.free[(*key, unit)] = self.hours[key] - blocked

    def open_ticks(self, weekly, exceptions) -> set[int]:
        """Ticks inside the resource's windows on their own local day, minus exceptions."""
        ticks: set[int] = set()
        for day in self.days:
            if any(e.whole_day and e.first_date <= day <= e.last_date for e in exceptions):
                continue
            for window in weekly:
                if window.applies_on(day):
                    ticks |= covered_ticks(day, window.start, window.end)
            for exception in exceptions:
                if not exception.whole_day and exception.first_date == day:
                    ticks -= covered_ticks(day, exception.start, exception.end)
        return ticks

    def may_use(self, hold: HoldData) -> bool:
        rules = self.scenario.rules
        return rules.vip if hold.level == "vip" else rules.priority or rules.vip

    def live(self, hold: HoldData) -> bool:
        return to_minutes(hold.held_until) > self.now

    def held(self, technician_id: int | None, room_id: int | None) -> set[int]:
        """Ticks held on a resource for callers better than this one."""
        ticks: set[int] = set()
        if self.scenario.ignore_busy:
            return ticks
        for hold in self.scenario.holds:
            applies = (
                (hold.technician_id is None and hold.room_id is None)
                or (technician_id is not None and hold.technician_id == technician_id)
                or (room_id is not None and hold.room_id == room_id)
            )
            if applies and self.live(hold) and not self.may_use(hold):
                ticks |= interval_ticks(hold.start, hold.end)
        return ticks

    def block(self, start: int) -> set[int]:
        spec = self.scenario.spec
        end = start + spec.service_minutes + spec.buffer_after
        return set(range(start - spec.buffer_before, end, TICK))

    def load(self, technician: TechnicianData, day: date) -> int:
        if self.scenario.ignore_busy:
            return 0
        return sum(
            to_minutes(end) - to_minutes(start)
            for start, end in technician.busy
            if local_day_of(to_minutes(start)) == day
        )

    def in_window(self, start: int) -> bool:
        day = local_day_of(start)
        if not self.scenario.date_from <= day <= self.scenario.date_to:
            return False
        if self.scenario.ignore_window:
            return True
        rules = self.scenario.rules
        return (
            start >= self.now + rules.min_notice_minutes
            and 0 <= (day - self.today).days <= rules.advance_days
        )

    def grid(self) -> list[int]:
        """Every tick of the range whose local wall-clock time is on the service's grid."""
        interval = self.scenario.spec.interval_minutes
        return [
            minute
            for day in self.days[1:-1]
            for minute, wall in day_ticks(day)
            if wall % interval == 0
        ]

    def expected(self) -> list[tuple]:
        """Return the slots every rule allows, with the documented choices, as tuples."""
        scenario, spec = self.scenario, self.scenario.spec
        rooms = sorted(scenario.rooms, key=lambda room: (room.premium_modifier_percent, room.slug))
        slots = []
        for start in self.grid():
            if not self.in_window(start):
                continue
            block = self.block(start)
            day = local_day_of(start)
            chosen: list[TechnicianData] = []
            if spec.technicians_needed:
                free = [
                    technician
                    for technician in scenario.technicians
                    if block <= self.free[("technician", technician.id, 0)]
                ]
                free.sort(key=lambda technician: (self.load(technician, day), technician.slug))
                if len(free) < spec.technicians_needed:
                    continue
                chosen = free[: spec.technicians_needed]
            for room in rooms:
                if room.capacity < spec.guests:
                    continue
                units = [
                    unit
                    for unit in range(1, room.capacity + 1)
                    if block <= self.free[("room", room.id, unit)]
                ]
                if room.shared and len(units) >= spec.guests:
                    taken = tuple(units[: spec.guests])
                    break
                if not room.shared and len(units) == room.capacity:
                    taken = tuple(units)
                    break
            else:
                continue
            slots.append(
                (
                    start,
                    start + spec.service_minutes,
                    tuple(technician.slug for technician in chosen),
                    tuple(technician.id for technician in chosen),
                    room.slug,
                    room.id,
                    taken,
                    self.member_only(start, day, chosen, room),
                    day,
                )
            )
        return sorted(slots)

    def member_only(self, start, day, technicians, room) -> bool:
        rules = self.scenario.rules
        if (day - self.today).days > rules.non_member_advance_days:
            return True
        block = self.block(start)
        ids = {technician.id for technician in technicians}
        return any(
            self.live(hold)
            and self.may_use(hold)
            and (
                (hold.technician_id is None and hold.room_id is None)
                or hold.technician_id in ids
                or hold.room_id == room.id
            )
            and block & interval_ticks(hold.start, hold.end)
            for hold in self.scenario.holds
        )


def as_tuple(slot: Slot) -> tuple:
    return (
        to_minutes(slot.start),
        to_minutes(slot.end),
        slot.technician_slugs,
        slot.technician_ids,
        slot.room_slug,
        slot.room_id,
        slot.room_units,
        slot.member_only,
        slot.local_date,
    )


# --------------------------------------------------------------------------- properties


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_slot_is_clear_inside_hours_in_window_on_grid_and_in_order(scenario):
    # given random hours, exceptions, busy time, holds and rules; when
    slots = scenario.run()

    # then
    oracle = Oracle(scenario)
    spec, rules = scenario.spec, scenario.rules
    technicians = {technician.id: technician for technician in scenario.technicians}
    rooms = {room.id: room for room in scenario.rooms}
    for slot in slots:
        start = to_minutes(slot.start)
        block_start = start - spec.buffer_before
        block_end = start + spec.service_minutes + spec.buffer_after
        local = slot.start.astimezone(NEW_YORK)
        # (a): the block with its buffers overlaps no busy interval of its technicians or of
        # its room places (a whole room: any of its places)
        room = rooms[slot.room_id]
        places = slot.room_units if room.shared else room.busy_by_unit
        busy = [
            *(interval for key in slot.technician_ids for interval in technicians[key].busy),
            *(interval for unit in places for interval in room.busy_by_unit.get(unit, ())),
        ]
        if not scenario.ignore_busy:
            for busy_start, busy_end in busy:
                assert not (
                    to_minutes(busy_start) < block_end and block_start < to_minutes(busy_end)
                )
        # (b): it lies inside each technician's hours and the room's, in no exception
        block = oracle.block(start)
        for technician_id in slot.technician_ids:
            assert block <= oracle.hours[("technician", technician_id)]
        assert block <= oracle.hours[("room", slot.room_id)]
        # and clear of holds the caller may not use
        for technician_id in slot.technician_ids:
            assert block <= oracle.free[("technician", technician_id, 0)]
        for unit in slot.room_units:
            assert block <= oracle.free[("room", slot.room_id, unit)]
        assert len(slot.technician_ids) == spec.technicians_needed
        assert len(slot.room_units) >= spec.guests
        # (c): notice is elapsed time, the window is local calendar days
        if not scenario.ignore_window:
            assert slot.start >= rules.now + timedelta(minutes=rules.min_notice_minutes)
            assert 0 <= (local.date() - oracle.today).days <= rules.advance_days
        assert scenario.date_from <= local.date() == slot.local_date <= scenario.date_to
        # (d): on the local grid
        assert (local.hour * 60 + local.minute) % spec.interval_minutes == 0
        assert slot.end - slot.start == timedelta(minutes=spec.service_minutes)
    # (e): sorted and unique by start
    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))


@settings(PROPERTY_SETTINGS, max_examples=200)
@given(scenarios())
def test_every_allowed_start_is_offered_with_the_documented_choice(scenario):
    # given random data; when
    slots = scenario.run()

    # then (completeness) the engine offers exactly the grid starts the brute force finds
    # with free technicians and room places
    expected = Oracle(scenario).expected()
    assert [to_minutes(slot.start) for slot in slots] == [slot[0] for slot in expected]
    # and each takes the least-loaded technicians, the preferred room, its lowest free
    # places, with the members-only flag of its day and holds
    assert [as_tuple(slot) for slot in slots] == expected


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(dst_sunday_scenarios())
def test_dst_sundays_offer_what_the_wall_clock_allows(scenario):
    # given hours and exceptions that begin or end around the changed hours; when
    slots = scenario.run()

    # then the engine agrees with the brute-force reading of the wall clock
    assert [as_tuple(slot) for slot in slots] == Oracle(scenario).expected()


@settings(PROPERTY_SETTINGS, max_examples=60)
@given(scenarios(), st.data())
def test_a_start_is_answered_alike_whatever_range_is_asked(scenario, data):
    # given a listing over the whole range and a question about one of its days
    day = data.draw(
        st.integers(0, (scenario.date_to - scenario.date_from).days).map(
            lambda offset: scenario.date_from + timedelta(days=offset)
        )
    )

    listed = [slot for slot in scenario.run() if slot.local_date == day]
    alone = scenario.run(day, day)

    # then both give the same slots with the same choices (listing and booking agree)
    assert alone == listed


intervals = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 60)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=8,
)


def minutes_of(pieces) -> set[int]:
    return {minute for start, end in pieces for minute in range(start, end)}


@settings(max_examples=200, deadline=None)
@given(intervals, intervals)
def test_merge_and_subtract_agree_with_sets_of_minutes(first, second):
    merged = merge(first)
    cuts = merge(second)

    difference = subtract(merged, cuts)

    assert minutes_of(merged) == minutes_of(first)
    assert minutes_of(difference) == minutes_of(first) - minutes_of(second)
    for result in (merged, difference):
        assert all(start < end for start, end in result)
        # sorted, disjoint and not touching
        assert all(a_end < b_start for (_, a_end), (b_start, _) in pairwise(result))
