"""The engine across the 2026 DST changes in New York (ARCHITECTURE.md "Time rules").

Spring forward: Sunday 2026-03-08, 02:00 EST -> 03:00 EDT (02:00-02:59 never happens).
Fall back: Sunday 2026-11-01, 02:00 EDT -> 01:00 EST (01:00-01:59 happens twice).
"""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from coresync.scheduling.engine import LocalCalendar, ServiceSpec, find_slots, from_minutes
from coresync.scheduling.tests.builders import (
    NEW_YORK,
    at,
    clock_times,
    daily,
    dated,
    part_off,
    room,
    rules,
    stamped,
    technician,
    wall,
)

SPRING_FORWARD = date(2026, 3, 8)
FALL_BACK = date(2026, 11, 1)
HOUR = ServiceSpec(service_minutes=60, interval_minutes=60)
HALF_HOUR_SELF_GUIDED = ServiceSpec(service_minutes=30, interval_minutes=30, technicians_needed=0)


@pytest.mark.parametrize(
    ("day", "nine_utc", "offset"),
    [
        (SPRING_FORWARD, datetime(2026, 3, 8, 13, 0, tzinfo=UTC), timedelta(hours=-4)),
        (FALL_BACK, datetime(2026, 11, 1, 14, 0, tzinfo=UTC), timedelta(hours=-5)),
    ],
)
def test_nine_to_five_is_nine_to_five_local_on_both_dst_days(day, nine_utc, offset):
    # given a technician working 09:00-17:00 on the day the clocks change
    ana = technician(1, "ana", daily("09:00", "17:00"))
    now = at(day - timedelta(days=1), "08:00")

    # when
    slots = find_slots(HOUR, rules(now), [ana], [room(1, "suite")], day, day)

    # then the first start is 09:00 local, the last one 16:00 (ending exactly at 17:00)
    assert wall(slots) == clock_times("09:00", "16:00", 60)
    assert slots[0].start == nine_utc
    assert slots[-1].end == at(day, "17:00")
    assert {slot.start.astimezone(NEW_YORK).utcoffset() for slot in slots} == {offset}
    # and every slot lasts 60 real minutes
    assert {slot.end - slot.start for slot in slots} == {timedelta(minutes=60)}


def test_round_the_clock_room_never_offers_the_nonexistent_spring_hour():
    # given a room open 00:00-00:00 (until midnight) every day
    steam = room(1, "steam", capacity=4, shared=True)
    now = at(date(2026, 3, 7), "08:00")

    slots = find_slots(
        HALF_HOUR_SELF_GUIDED, rules(now), [], [steam], SPRING_FORWARD, SPRING_FORWARD
    )

    # then the 23-hour day has 46 half-hour starts and none at 02:xx
    expected = [*clock_times("00:00", "01:30", 30), *clock_times("03:00", "23:30", 30)]
    assert wall(slots) == expected
    assert stamped(slots)[2:6] == [
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-08T03:30:00-04:00",
    ]
    # and consecutive starts are 30 elapsed minutes apart, across the jump too
    gaps = {later.start - earlier.start for earlier, later in pairwise(slots)}
    assert gaps == {timedelta(minutes=30)}


def test_slot_across_the_spring_jump_lasts_its_real_minutes():
    steam = room(1, "steam", capacity=4, shared=True)
    spec = ServiceSpec(service_minutes=60, interval_minutes=30, technicians_needed=0)
    now = at(date(2026, 3, 7), "08:00")

    slots = find_slots(spec, rules(now), [], [steam], SPRING_FORWARD, SPRING_FORWARD)

    across = next(slot for slot in slots if slot.start == at(SPRING_FORWARD, "01:30"))
    assert across.end.astimezone(NEW_YORK).isoformat() == "2026-03-08T03:30:00-04:00"
    assert across.end - across.start == timedelta(minutes=60)


def test_round_the_clock_room_offers_the_repeated_fall_hour_twice():
    steam = room(1, "steam", capacity=4, shared=True)
    now = at(date(2026, 10, 31), "08:00")

    slots = find_slots(HALF_HOUR_SELF_GUIDED, rules(now), [], [steam], FALL_BACK, FALL_BACK)

    # then the 25-hour day has 50 half-hour starts; 01:00 and 01:30 come twice
    assert len(slots) == 50
    assert stamped(slots)[:8] == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T02:30:00-05:00",
    ]
    first_one, second_one = (slot.start for slot in slots if wall([slot]) == ["01:00"])
    assert (first_one, second_one) == (
        datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    )
    assert {slot.local_date for slot in slots} == {FALL_BACK}
    gaps = {later.start - earlier.start for earlier, later in pairwise(slots)}
    assert gaps == {timedelta(minutes=30)}


def test_technician_window_through_the_repeated_hour_covers_both_occurrences():
    # given a night shift 00:00-03:00 on the fall-back Sunday: four hours of real time
    night = technician(1, "nina", daily("00:00", "03:00", weekdays=[6]))
    now = at(date(2026, 10, 31), "08:00")

    slots = find_slots(HOUR, rules(now), [night], [room(1, "suite")], FALL_BACK, FALL_BACK)

    assert stamped(slots) == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]


def test_round_the_clock_window_is_as_long_as_the_local_day():
    calendar = LocalCalendar(date(2026, 3, 7), date(2026, 11, 2), NEW_YORK, 30)

    def minutes(day):
        start, end = calendar.window(day, time(0), time(0))
        return end - start

    assert minutes(date(2026, 3, 7)) == 24 * 60
    assert minutes(SPRING_FORWARD) == 23 * 60
    assert minutes(FALL_BACK) == 25 * 60
    assert minutes(date(2026, 11, 2)) == 24 * 60


def test_window_starting_in_the_spring_gap_opens_when_the_clocks_jump():
    # given a window 02:30-05:00 on the spring-forward day: 02:30 never happens, and the
    # first instant whose wall-clock time is inside the window is 03:00 EDT
    calendar = LocalCalendar(SPRING_FORWARD, SPRING_FORWARD, NEW_YORK, 30)

    start, end = calendar.window(SPRING_FORWARD, time(2, 30), time(5, 0))

    assert from_minutes(start) == at(SPRING_FORWARD, "03:00")
    assert from_minutes(end) == at(SPRING_FORWARD, "05:00")


def test_window_ending_in_the_spring_gap_closes_when_the_clocks_jump():
    # given a window 00:00-02:30: it covers all of 01:00-01:59 EST
    calendar = LocalCalendar(SPRING_FORWARD, SPRING_FORWARD, NEW_YORK, 30)

    start, end = calendar.window(SPRING_FORWARD, time(0, 0), time(2, 30))

    assert from_minutes(start) == at(SPRING_FORWARD, "00:00")
    assert from_minutes(end) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT


def test_maintenance_ending_in_the_spring_gap_closes_the_room_until_the_jump():
    # given a room closed 01:00-02:30 on the spring-forward day
    steam = room(
        1, "steam", capacity=4, shared=True, exceptions=[part_off(SPRING_FORWARD, "01:00", "02:30")]
    )
    now = at(date(2026, 3, 7), "08:00")

    slots = find_slots(
        HALF_HOUR_SELF_GUIDED, rules(now), [], [steam], SPRING_FORWARD, SPRING_FORWARD
    )

    # then 01:30 (inside the maintenance) is not offered; 03:00 is
    assert wall(slots)[:3] == ["00:00", "00:30", "03:00"]


def test_shift_starting_in_the_spring_gap_starts_at_three():
    nina = technician(1, "nina", daily("02:30", "05:00", weekdays=[6]))
    now = at(date(2026, 3, 7), "08:00")
    spec = ServiceSpec(service_minutes=60, interval_minutes=30)

    slots = find_slots(spec, rules(now), [nina], [room(1, "suite")], SPRING_FORWARD, SPRING_FORWARD)

    assert wall(slots) == ["03:00", "03:30", "04:00"]


def test_advance_window_counts_local_days_across_fall_back():
    # given it is 00:30 EDT on the fall-back Sunday and the caller books 3 days ahead
    now = at(FALL_BACK, "00:30")
    ana = technician(1, "ana", daily("09:00", "17:00"))

    slots = find_slots(
        HOUR, rules(now, advance_days=3), [ana], [room(1, "suite")], FALL_BACK, date(2026, 11, 6)
    )

    # then all of Wednesday 2026-11-04 is open, up to 16:00 EST, and Thursday is not
    assert sorted({slot.local_date for slot in slots}) == [
        FALL_BACK,
        date(2026, 11, 2),
        date(2026, 11, 3),
        date(2026, 11, 4),
    ]
    assert dated(slots)[-1] == "11-04 16:00"
    assert slots[-1].start - now == timedelta(days=3, hours=16, minutes=30)


def test_advance_window_counts_local_days_across_spring_forward():
    now = at(SPRING_FORWARD, "00:30")
    ana = technician(1, "ana", daily("09:00", "17:00"))

    slots = find_slots(
        HOUR,
        rules(now, advance_days=3),
        [ana],
        [room(1, "suite")],
        SPRING_FORWARD,
        date(2026, 3, 13),
    )

    assert dated(slots)[-1] == "03-11 16:00"
    assert slots[-1].start - now == timedelta(days=3, hours=14, minutes=30)


def test_minimum_notice_is_elapsed_time_across_the_repeated_hour():
    # given it is 00:30 EDT (04:30 UTC) on the fall-back Sunday
    now = at(FALL_BACK, "00:30")
    steam = room(1, "steam", capacity=4, shared=True)

    def first_starts(notice):
        slots = find_slots(
            HALF_HOUR_SELF_GUIDED, rules(now, notice=notice), [], [steam], FALL_BACK, FALL_BACK
        )
        return stamped(slots)[:3]

    # then 60 minutes' notice is 01:30 EDT, 120 minutes' notice is 01:30 EST (06:30 UTC),
    # not 02:30 wall-clock
    assert first_starts(60) == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:30:00-05:00",
    ]
    assert first_starts(120) == [
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T02:30:00-05:00",
    ]


def test_minimum_notice_is_elapsed_time_across_the_spring_jump():
    # given it is 01:00 EST on the spring-forward Sunday with 60 minutes' notice
    now = at(SPRING_FORWARD, "01:00")
    steam = room(1, "steam", capacity=4, shared=True)

    slots = find_slots(
        HALF_HOUR_SELF_GUIDED, rules(now, notice=60), [], [steam], SPRING_FORWARD, SPRING_FORWARD
    )

    # then the first start is one real hour later: 03:00 EDT, which the wall clock shows
    # two hours later
    assert stamped(slots)[0] == "2026-03-08T03:00:00-04:00"
