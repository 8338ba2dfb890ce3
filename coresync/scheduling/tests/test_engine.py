"""find_slots on hand-built data: hours, buffers, exceptions, rooms, choices, access, holds.

No database. The week is that of Tuesday 2026-12-01 (no DST change); ``NOW`` is that
Tuesday 08:00 in New York, the same instant as the ``frozen_now`` fixture.
"""

from datetime import date, timedelta

from coresync.scheduling.engine import ServiceSpec, find_slots, merge, subtract
from coresync.scheduling.tests.builders import (
    at,
    clock_times,
    daily,
    dated,
    day_off,
    hold,
    part_off,
    room,
    rules,
    table,
    technician,
    wall,
)

TUESDAY = date(2026, 12, 1)
WEDNESDAY = date(2026, 12, 2)
THURSDAY = date(2026, 12, 3)
FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
NOW = at(TUESDAY, "08:00")
HOUR = ServiceSpec(service_minutes=60, interval_minutes=60)


def test_split_windows_offer_no_slot_spanning_the_break():
    # given a technician working 09:00-13:00 and 14:00-18:00
    ana = technician(1, "ana", [*daily("09:00", "13:00"), *daily("14:00", "18:00")])
    spec = ServiceSpec(service_minutes=60, interval_minutes=30)

    # when
    slots = find_slots(spec, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY)

    # then 12:30 and 13:00-13:30 would overlap the break
    assert wall(slots) == [*clock_times("09:00", "12:00", 30), *clock_times("14:00", "17:00", 30)]


def test_touching_windows_are_one_stretch_of_work():
    ana = technician(1, "ana", [*daily("09:00", "13:00"), *daily("13:00", "15:00")])
    spec = ServiceSpec(service_minutes=60, interval_minutes=30)

    slots = find_slots(spec, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY)

    assert wall(slots) == clock_times("09:00", "14:00", 30)


def test_buffers_before_and_after_fit_inside_the_working_window():
    ana = technician(1, "ana", daily("09:00", "13:00"))
    spec = ServiceSpec(service_minutes=60, buffer_before=15, buffer_after=15, interval_minutes=15)

    slots = find_slots(spec, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY)

    # 09:15 leaves 15 minutes before; 11:45 + 60 + 15 = 13:00
    assert wall(slots) == clock_times("09:15", "11:45", 15)
    # a slot's end is the service's end, buffers excluded
    assert slots[0].end - slots[0].start == timedelta(minutes=60)
    assert slots[0].end == at(WEDNESDAY, "10:15")


def test_buffers_do_not_overlap_a_busy_block():
    # given the technician is busy 11:00-12:00 (another booking, its buffers included)
    ana = technician(
        1, "ana", daily("09:00", "14:00"), busy=[(at(WEDNESDAY, "11:00"), at(WEDNESDAY, "12:00"))]
    )
    spec = ServiceSpec(service_minutes=30, buffer_before=15, buffer_after=15, interval_minutes=15)

    slots = find_slots(spec, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY)

    # then blocks [start - 15, start + 45) end by 11:00 or begin at 12:00
    assert wall(slots) == [*clock_times("09:15", "10:15", 15), *clock_times("12:15", "13:15", 15)]


def test_busy_room_blocks_the_same_starts_as_a_busy_technician():
    suite = room(1, "suite", busy_by_unit={1: [(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "11:15"))]})
    spec = ServiceSpec(service_minutes=60, buffer_after=15, interval_minutes=15)

    slots = find_slots(
        spec,
        rules(NOW),
        [technician(1, "ana", daily("09:00", "13:00"))],
        [suite],
        WEDNESDAY,
        WEDNESDAY,
    )

    # 09:00 + 60 + 15 = 10:15 overlaps the room's 10:00; the room is free again at 11:15
    assert wall(slots) == ["11:15", "11:30", "11:45"]


def test_whole_day_exception_closes_every_day_it_covers():
    ana = technician(1, "ana", daily("09:00", "12:00"), exceptions=[day_off(THURSDAY, FRIDAY)])

    slots = find_slots(HOUR, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, SATURDAY)

    assert dated(slots) == [
        "12-02 09:00",
        "12-02 10:00",
        "12-02 11:00",
        "12-05 09:00",
        "12-05 10:00",
        "12-05 11:00",
    ]


def test_part_day_exception_cuts_only_its_hours_on_its_day():
    ana = technician(1, "ana", exceptions=[part_off(WEDNESDAY, "12:00", "14:00")])

    slots = find_slots(HOUR, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, THURSDAY)

    assert dated(slots) == [
        "12-02 09:00",
        "12-02 10:00",
        "12-02 11:00",
        "12-02 14:00",
        "12-02 15:00",
        "12-02 16:00",
        *(f"12-03 {clock}" for clock in clock_times("09:00", "16:00", 60)),
    ]


def test_weekly_windows_apply_only_between_valid_from_and_valid_until():
    # given a morning schedule until Thursday and an afternoon one from Friday
    ana = technician(
        1,
        "ana",
        [
            *daily("09:00", "12:00", valid_until=THURSDAY),
            *daily("13:00", "15:00", valid_from=FRIDAY),
        ],
    )

    slots = find_slots(HOUR, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, SATURDAY)

    assert dated(slots) == [
        "12-02 09:00",
        "12-02 10:00",
        "12-02 11:00",
        "12-03 09:00",
        "12-03 10:00",
        "12-03 11:00",
        "12-04 13:00",
        "12-04 14:00",
        "12-05 13:00",
        "12-05 14:00",
    ]


def test_weekly_window_applies_only_on_its_weekday():
    # given Wednesday (weekday 2) hours only
    ana = technician(1, "ana", daily("09:00", "11:00", weekdays=[2]))

    slots = find_slots(HOUR, rules(NOW), [ana], [room(1, "suite")], TUESDAY, SATURDAY)

    assert dated(slots) == ["12-02 09:00", "12-02 10:00"]


def test_room_hours_bound_the_service_and_its_buffers():
    # given the technician works 09:00-17:00 but the room opens at 12:00 and closes at 16:00
    suite = room(1, "suite", daily("12:00", "16:00"))
    spec = ServiceSpec(service_minutes=60, buffer_after=15, interval_minutes=15)

    slots = find_slots(spec, rules(NOW), [technician(1, "ana")], [suite], WEDNESDAY, WEDNESDAY)

    # then 14:45 + 60 + 15 = 16:00 is the last start
    assert wall(slots) == clock_times("12:00", "14:45", 15)


def test_room_maintenance_closes_the_room_for_its_hours():
    suite = room(
        1,
        "suite",
        daily("09:00", "21:00"),
        exceptions=[part_off(WEDNESDAY, "13:00", "14:00"), day_off(THURSDAY)],
    )

    slots = find_slots(HOUR, rules(NOW), [technician(1, "ana")], [suite], WEDNESDAY, THURSDAY)

    assert dated(slots) == [
        "12-02 09:00",
        "12-02 10:00",
        "12-02 11:00",
        "12-02 12:00",
        "12-02 14:00",
        "12-02 15:00",
        "12-02 16:00",
    ]


def test_shared_room_takes_the_lowest_free_place():
    # given a self-guided steam room of 3 places, place 1 busy 10:00-10:30, place 2 10:00-11:00
    steam = room(
        1,
        "steam",
        daily("10:00", "12:00"),
        capacity=3,
        shared=True,
        busy_by_unit={
            1: [(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "10:30"))],
            2: [(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "11:00"))],
        },
    )
    spec = ServiceSpec(service_minutes=30, interval_minutes=30, technicians_needed=0)

    slots = find_slots(spec, rules(NOW), [], [steam], WEDNESDAY, WEDNESDAY)

    assert table(slots, "room_units") == [
        ("10:00", (3,)),
        ("10:30", (1,)),
        ("11:00", (1,)),
        ("11:30", (1,)),
    ]
    assert {(slot.room_slug, slot.technician_slugs) for slot in slots} == {("steam", ())}


def test_group_needs_as_many_free_places_as_guests():
    busy = {
        1: [(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "10:30"))],
        2: [(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "11:00"))],
    }
    steam = room(1, "steam", daily("10:00", "12:00"), capacity=3, shared=True, busy_by_unit=busy)

    def units(guests):
        spec = ServiceSpec(
            service_minutes=30, interval_minutes=30, guests=guests, technicians_needed=0
        )
        slots = find_slots(spec, rules(NOW), [], [steam], WEDNESDAY, WEDNESDAY)
        return table(slots, "room_units")

    assert units(2) == [("10:30", (1, 3)), ("11:00", (1, 2)), ("11:30", (1, 2))]
    assert units(3) == [("11:00", (1, 2, 3)), ("11:30", (1, 2, 3))]
    assert units(4) == []


def test_exclusive_room_is_taken_whole_and_any_busy_place_blocks_it():
    # given a private room for two with only its place 2 busy 10:00-11:00
    couples_suite = room(
        1,
        "couples-suite",
        daily("09:00", "13:00"),
        capacity=2,
        busy_by_unit={2: [(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "11:00"))]},
    )

    slots = find_slots(
        HOUR, rules(NOW), [technician(1, "ana")], [couples_suite], WEDNESDAY, WEDNESDAY
    )

    # then one guest still takes the whole room, and 10:00 is taken
    assert wall(slots) == ["09:00", "11:00", "12:00"]
    assert {slot.room_units for slot in slots} == {(1, 2)}


def test_room_smaller_than_the_group_is_never_chosen():
    spec = ServiceSpec(service_minutes=60, interval_minutes=60, guests=2, technicians_needed=2)
    rooms = [
        room(1, "suite", daily("09:00", "11:00")),
        room(2, "twin", daily("10:00", "11:00"), capacity=2),
    ]

    slots = find_slots(
        spec, rules(NOW), [technician(1, "ana"), technician(2, "ben")], rooms, WEDNESDAY, WEDNESDAY
    )

    assert table(slots, "room_slug") == [("10:00", "twin")]


def test_least_loaded_technician_that_day_is_chosen():
    # given Ana has 60 booked minutes on Wednesday, Ben 30 (from 13:00)
    ana = technician(1, "ana", busy=[(at(WEDNESDAY, "09:00"), at(WEDNESDAY, "10:00"))])
    ben = technician(2, "ben", busy=[(at(WEDNESDAY, "13:00"), at(WEDNESDAY, "13:30"))])

    slots = find_slots(HOUR, rules(NOW), [ana, ben], [room(1, "suite")], WEDNESDAY, THURSDAY)

    chosen = dict(table(slots, "technician_slugs", clock=dated))
    assert chosen["12-02 09:00"] == ("ben",)  # Ana is busy
    assert chosen["12-02 11:00"] == ("ben",)  # Ben has less booked time that day
    assert chosen["12-02 13:00"] == ("ana",)  # Ben is busy
    # Thursday: no load on either, the slug decides
    assert {chosen[f"12-03 {clock}"] for clock in clock_times("09:00", "16:00", 60)} == {("ana",)}


def test_equal_load_is_decided_by_slug_whatever_the_input_order():
    ana = technician(1, "ana")
    ben = technician(2, "ben")

    slots = find_slots(HOUR, rules(NOW), [ben, ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY)

    assert {(slot.technician_slugs, slot.technician_ids) for slot in slots} == {(("ana",), (1,))}


def test_load_is_counted_for_the_local_day_of_each_start():
    # given two technicians who work 20:00-00:00 and 00:00-02:00: one stretch across midnight,
    # and Ana has booked time on Wednesday evening only
    overnight = [*daily("20:00", "00:00"), *daily("00:00", "02:00")]
    ana = technician(1, "ana", overnight, busy=[(at(WEDNESDAY, "20:00"), at(WEDNESDAY, "21:00"))])
    ben = technician(2, "ben", overnight, busy=[(at(THURSDAY, "01:00"), at(THURSDAY, "02:00"))])

    slots = find_slots(HOUR, rules(NOW), [ana, ben], [room(1, "suite")], WEDNESDAY, THURSDAY)

    chosen = dict(table(slots, "technician_slugs", clock=dated))
    # Wednesday evening: Ana has 60 minutes that day, Ben none
    assert chosen["12-02 22:00"] == ("ben",)
    # Thursday 00:00: Ben has 60 minutes that day, Ana none
    assert chosen["12-03 00:00"] == ("ana",)


def test_a_start_is_offered_whatever_range_is_asked_around_it():
    # given a room open round the clock every day and a block that crosses midnight
    steam = room(1, "steam", capacity=2, shared=True)
    spec = ServiceSpec(
        service_minutes=60, buffer_before=15, interval_minutes=30, technicians_needed=0
    )

    def starts(date_from, date_to):
        return set(dated(find_slots(spec, rules(NOW), [], [steam], date_from, date_to)))

    # then Wednesday 23:30 (ending Thursday 00:30) and Thursday 00:00 (its buffer on Wednesday)
    # are offered alone or within a longer range alike: listing and booking ask different ranges
    wednesday = starts(WEDNESDAY, WEDNESDAY)
    thursday = starts(THURSDAY, THURSDAY)
    both = starts(WEDNESDAY, THURSDAY)
    assert {"12-02 23:30", "12-03 00:00"} <= both
    assert wednesday | thursday == both
    assert "12-02 23:30" in wednesday
    assert "12-03 00:00" in thursday


def test_couples_take_the_two_least_loaded_technicians():
    ana = technician(1, "ana", busy=[(at(WEDNESDAY, "09:00"), at(WEDNESDAY, "10:00"))])
    ben = technician(2, "ben")
    cy = technician(3, "cy")
    couples_suite = room(1, "couples-suite", capacity=2)
    spec = ServiceSpec(service_minutes=60, interval_minutes=60, guests=2, technicians_needed=2)

    slots = find_slots(spec, rules(NOW), [cy, ana, ben], [couples_suite], WEDNESDAY, THURSDAY)

    chosen = dict(table(slots, "technician_slugs", clock=dated))
    assert chosen["12-02 09:00"] == ("ben", "cy")
    assert chosen["12-02 12:00"] == ("ben", "cy")
    assert chosen["12-03 12:00"] == ("ana", "ben")
    assert slots[0].technician_ids == (2, 3)
    assert slots[0].room_units == (1, 2)


def test_couples_naming_a_technician_get_that_one_and_the_least_loaded_other():
    # given Ana has booked time on Wednesday and Cy, the named one, is busy 14:00-15:00
    ana = technician(1, "ana", busy=[(at(WEDNESDAY, "09:00"), at(WEDNESDAY, "10:00"))])
    ben = technician(2, "ben")
    cy = technician(3, "cy", busy=[(at(WEDNESDAY, "14:00"), at(WEDNESDAY, "15:00"))])
    spec = ServiceSpec(service_minutes=60, interval_minutes=60, guests=2, technicians_needed=2)

    slots = find_slots(
        spec,
        rules(NOW),
        [ana, ben, cy],
        [room(1, "couples-suite", capacity=2)],
        WEDNESDAY,
        THURSDAY,
        required_technician_ids=[3],
    )

    chosen = dict(table(slots, "technician_slugs", clock=dated))
    assert chosen["12-02 09:00"] == ("cy", "ben")
    assert chosen["12-02 12:00"] == ("cy", "ben")
    assert "12-02 14:00" not in chosen  # Cy is busy
    assert chosen["12-03 09:00"] == ("cy", "ana")
    assert {slot.technician_slugs[0] for slot in slots} == {"cy"}


def test_couples_need_two_free_technicians():
    ana = technician(1, "ana", busy=[(at(WEDNESDAY, "09:00"), at(WEDNESDAY, "10:00"))])
    ben = technician(2, "ben", daily("09:00", "12:00"))
    spec = ServiceSpec(service_minutes=60, interval_minutes=60, guests=2, technicians_needed=2)

    slots = find_slots(
        spec, rules(NOW), [ana, ben], [room(1, "couples-suite", capacity=2)], WEDNESDAY, WEDNESDAY
    )

    assert wall(slots) == ["10:00", "11:00"]


def test_room_choice_prefers_the_lower_premium_then_the_slug():
    # given birch and zen without premium and amber with a 10% premium; birch busy 10:00-11:00
    amber = room(1, "amber", premium=10.0)
    zen = room(2, "zen")
    birch = room(3, "birch", busy_by_unit={1: [(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "11:00"))]})
    ana = technician(1, "ana", daily("09:00", "12:00"))

    slots = find_slots(HOUR, rules(NOW), [ana], [amber, zen, birch], WEDNESDAY, WEDNESDAY)

    assert table(slots, "room_slug", "room_id") == [
        ("09:00", "birch", 3),
        ("10:00", "zen", 2),
        ("11:00", "birch", 3),
    ]


def test_minimum_notice_counts_elapsed_minutes_from_now():
    # given it is Wednesday 09:10 and starts need 60 minutes' notice
    now = at(WEDNESDAY, "09:10")
    spec = ServiceSpec(service_minutes=60, interval_minutes=15)

    slots = find_slots(
        spec,
        rules(now, notice=60),
        [technician(1, "ana")],
        [room(1, "suite")],
        WEDNESDAY,
        WEDNESDAY,
    )

    # then 10:10 is the earliest start; the grid's next point is 10:15
    assert wall(slots) == clock_times("10:15", "16:00", 15)


def test_past_days_and_past_times_are_never_offered():
    now = at(WEDNESDAY, "12:30")

    slots = find_slots(
        HOUR, rules(now), [technician(1, "ana")], [room(1, "suite")], TUESDAY, THURSDAY
    )

    assert dated(slots)[:5] == [
        "12-02 13:00",
        "12-02 14:00",
        "12-02 15:00",
        "12-02 16:00",
        "12-03 09:00",
    ]


def test_advance_window_opens_the_whole_last_local_day():
    # given it is Tuesday 08:00 and the caller books 3 days ahead
    slots = find_slots(
        HOUR,
        rules(NOW, advance_days=3),
        [technician(1, "ana")],
        [room(1, "suite")],
        TUESDAY,
        date(2026, 12, 6),
    )

    # then Friday is open until its last start (more than 3 x 24 h after now), Saturday is not
    assert sorted({slot.local_date for slot in slots}) == [TUESDAY, WEDNESDAY, THURSDAY, FRIDAY]
    assert slots[-1].start == at(FRIDAY, "16:00")
    assert slots[-1].start - NOW == timedelta(days=3, hours=8)


def test_starts_beyond_the_non_member_window_are_members_only():
    slots = find_slots(
        HOUR,
        rules(NOW, advance_days=10, non_member_days=3),
        [technician(1, "ana", daily("09:00", "10:00"))],
        [room(1, "suite")],
        TUESDAY,
        date(2026, 12, 6),
    )

    assert [(slot.local_date.day, slot.member_only) for slot in slots] == [
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (5, True),
        (6, True),
    ]


def test_priority_hold_blocks_callers_without_priority_until_held_until():
    # given Ana's Wednesday 10:00-11:00 is held for priority members until Wednesday 00:00
    priority_hold = hold(
        at(WEDNESDAY, "10:00"),
        at(WEDNESDAY, "11:00"),
        "priority",
        at(WEDNESDAY, "00:00"),
        technician_id=1,
    )
    ana = technician(1, "ana", daily("09:00", "12:00"))

    def offered(caller_rules):
        slots = find_slots(
            HOUR, caller_rules, [ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY, [priority_hold]
        )
        return table(slots, "member_only")

    # then a non-member does not see 10:00, a priority member sees it as members-only
    assert offered(rules(NOW)) == [("09:00", False), ("11:00", False)]
    assert offered(rules(NOW, priority=True)) == [
        ("09:00", False),
        ("10:00", True),
        ("11:00", False),
    ]
    assert offered(rules(NOW, vip=True)) == [("09:00", False), ("10:00", True), ("11:00", False)]
    # and once held_until has passed anyone may book it
    assert offered(rules(at(WEDNESDAY, "00:00"))) == [
        ("09:00", False),
        ("10:00", False),
        ("11:00", False),
    ]


def test_hold_blocks_every_start_whose_block_with_buffers_overlaps_it():
    priority_hold = hold(
        at(WEDNESDAY, "10:00"),
        at(WEDNESDAY, "10:30"),
        "priority",
        at(WEDNESDAY, "00:00"),
        technician_id=1,
    )
    spec = ServiceSpec(service_minutes=30, buffer_after=15, interval_minutes=15)
    ana = technician(1, "ana", daily("09:00", "11:30"))

    slots = find_slots(
        spec, rules(NOW), [ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY, [priority_hold]
    )

    # 09:30 + 30 + 15 = 10:15 touches the hold; 10:30 is free
    assert wall(slots) == ["09:00", "09:15", "10:30", "10:45"]


def test_vip_hold_is_only_for_vip_callers():
    vip_hold = hold(
        at(WEDNESDAY, "10:00"),
        at(WEDNESDAY, "11:00"),
        "vip",
        at(WEDNESDAY, "00:00"),
        technician_id=1,
    )
    ana = technician(1, "ana", daily("09:00", "12:00"))

    def offered(caller_rules):
        slots = find_slots(
            HOUR, caller_rules, [ana], [room(1, "suite")], WEDNESDAY, WEDNESDAY, [vip_hold]
        )
        return table(slots, "member_only")

    assert offered(rules(NOW, priority=True)) == [("09:00", False), ("11:00", False)]
    assert offered(rules(NOW, priority=True, vip=True)) == [
        ("09:00", False),
        ("10:00", True),
        ("11:00", False),
    ]


def test_hold_on_one_technician_sends_other_callers_to_another():
    priority_hold = hold(
        at(WEDNESDAY, "10:00"),
        at(WEDNESDAY, "11:00"),
        "priority",
        at(WEDNESDAY, "00:00"),
        technician_id=1,
    )
    ana = technician(1, "ana", daily("09:00", "12:00"))
    ben = technician(2, "ben", daily("09:00", "12:00"))

    slots = find_slots(
        HOUR, rules(NOW), [ana, ben], [room(1, "suite")], WEDNESDAY, WEDNESDAY, [priority_hold]
    )

    assert table(slots, "technician_slugs", "member_only") == [
        ("09:00", ("ana",), False),
        ("10:00", ("ben",), False),
        ("11:00", ("ana",), False),
    ]


def test_hold_on_a_room_sends_other_callers_to_another_room():
    priority_hold = hold(
        at(WEDNESDAY, "10:00"),
        at(WEDNESDAY, "11:00"),
        "priority",
        at(WEDNESDAY, "00:00"),
        room_id=1,
    )
    rooms = [room(1, "amber"), room(2, "birch")]
    ana = technician(1, "ana", daily("09:00", "12:00"))

    def offered(caller_rules):
        slots = find_slots(HOUR, caller_rules, [ana], rooms, WEDNESDAY, WEDNESDAY, [priority_hold])
        return table(slots, "room_slug", "member_only")

    assert offered(rules(NOW)) == [
        ("09:00", "amber", False),
        ("10:00", "birch", False),
        ("11:00", "amber", False),
    ]
    assert offered(rules(NOW, priority=True)) == [
        ("09:00", "amber", False),
        ("10:00", "amber", True),
        ("11:00", "amber", False),
    ]


def test_global_hold_holds_every_technician_and_room():
    # given the whole spa is held for priority members Wednesday 10:00-11:00
    spa_hold = hold(
        at(WEDNESDAY, "10:00"), at(WEDNESDAY, "11:00"), "priority", at(WEDNESDAY, "00:00")
    )
    steam = room(1, "steam", daily("09:00", "12:00"), capacity=4, shared=True)
    self_guided = ServiceSpec(service_minutes=60, interval_minutes=60, technicians_needed=0)
    technicians = [technician(1, "ana"), technician(2, "ben")]

    def offered(spec, rooms, caller_rules):
        slots = find_slots(spec, caller_rules, technicians, rooms, WEDNESDAY, WEDNESDAY, [spa_hold])
        return table(slots, "member_only")

    assert offered(self_guided, [steam], rules(NOW)) == [("09:00", False), ("11:00", False)]
    assert offered(self_guided, [steam], rules(NOW, priority=True)) == [
        ("09:00", False),
        ("10:00", True),
        ("11:00", False),
    ]
    suites = [room(2, "suite", daily("09:00", "12:00"))]
    assert offered(HOUR, suites, rules(NOW)) == [("09:00", False), ("11:00", False)]


def test_holds_do_not_flag_starts_they_do_not_touch():
    # given a priority hold on Ben, and Ana chosen for the start
    ben_hold = hold(
        at(WEDNESDAY, "10:00"),
        at(WEDNESDAY, "11:00"),
        "priority",
        at(WEDNESDAY, "00:00"),
        technician_id=2,
    )

    slots = find_slots(
        HOUR,
        rules(NOW, priority=True),
        [technician(1, "ana"), technician(2, "ben")],
        [room(1, "suite")],
        WEDNESDAY,
        WEDNESDAY,
        [ben_hold],
    )

    assert {(slot.technician_slugs, slot.member_only) for slot in slots} == {(("ana",), False)}


def test_ignore_busy_lists_taken_and_held_starts():
    ana = technician(
        1, "ana", daily("09:00", "12:00"), busy=[(at(WEDNESDAY, "09:00"), at(WEDNESDAY, "10:00"))]
    )
    suite = room(1, "suite", busy_by_unit={1: [(at(WEDNESDAY, "11:00"), at(WEDNESDAY, "12:00"))]})
    vip_hold = hold(at(WEDNESDAY, "10:00"), at(WEDNESDAY, "11:00"), "vip", at(WEDNESDAY, "00:00"))

    taken_into_account = find_slots(
        HOUR, rules(NOW), [ana], [suite], WEDNESDAY, WEDNESDAY, [vip_hold]
    )
    ignored = find_slots(
        HOUR, rules(NOW), [ana], [suite], WEDNESDAY, WEDNESDAY, [vip_hold], ignore_busy=True
    )

    assert wall(taken_into_account) == []
    assert wall(ignored) == ["09:00", "10:00", "11:00"]


def test_ignore_window_lists_past_near_and_far_starts():
    # given it is Wednesday 10:30 with 2 hours' notice and a 1-day window
    now = at(WEDNESDAY, "10:30")
    ana = technician(1, "ana", daily("09:00", "11:00"))
    caller = rules(now, notice=120, advance_days=1)

    respected = find_slots(HOUR, caller, [ana], [room(1, "suite")], TUESDAY, FRIDAY)
    ignored = find_slots(
        HOUR, caller, [ana], [room(1, "suite")], TUESDAY, FRIDAY, ignore_window=True
    )

    assert dated(respected) == ["12-03 09:00", "12-03 10:00"]
    assert dated(ignored) == [
        "12-01 09:00",
        "12-01 10:00",
        "12-02 09:00",
        "12-02 10:00",
        "12-03 09:00",
        "12-03 10:00",
        "12-04 09:00",
        "12-04 10:00",
    ]


def test_no_technician_no_room_or_no_guest_gives_no_slots():
    ana = technician(1, "ana")
    suite = room(1, "suite")

    assert find_slots(HOUR, rules(NOW), [], [suite], WEDNESDAY, WEDNESDAY) == []
    assert find_slots(HOUR, rules(NOW), [ana], [], WEDNESDAY, WEDNESDAY) == []
    nobody = ServiceSpec(service_minutes=60, interval_minutes=60, guests=0)
    assert find_slots(nobody, rules(NOW), [ana], [suite], WEDNESDAY, WEDNESDAY) == []
    assert find_slots(HOUR, rules(NOW), [ana], [suite], THURSDAY, WEDNESDAY) == []


def test_slot_carries_ids_slugs_units_end_and_local_date():
    slots = find_slots(
        ServiceSpec(service_minutes=75, interval_minutes=60, buffer_before=0, buffer_after=15),
        rules(NOW),
        [technician(7, "ana", daily("09:00", "10:30"))],
        [room(9, "suite")],
        WEDNESDAY,
        WEDNESDAY,
    )

    assert len(slots) == 1
    slot = slots[0]
    assert (slot.start, slot.end) == (at(WEDNESDAY, "09:00"), at(WEDNESDAY, "10:15"))
    assert slot.start.utcoffset() == timedelta(0)  # aware UTC
    assert (slot.technician_ids, slot.technician_slugs) == ((7,), ("ana",))
    assert (slot.room_id, slot.room_slug, slot.room_units) == (9, "suite", (1,))
    assert (slot.member_only, slot.local_date) == (False, WEDNESDAY)


def test_merge_joins_overlapping_and_touching_intervals_and_drops_empty_ones():
    assert merge([(10, 20), (5, 8), (18, 25), (25, 30), (40, 40), (50, 45), (31, 35)]) == [
        (5, 8),
        (10, 30),
        (31, 35),
    ]
    assert merge([(0, 10), (2, 3)]) == [(0, 10)]
    assert merge([]) == []


def test_subtract_removes_cuts_anywhere_in_the_intervals():
    intervals = [(0, 10), (20, 30), (40, 50)]

    assert subtract(intervals, [(5, 25)]) == [(0, 5), (25, 30), (40, 50)]
    assert subtract(intervals, [(-5, 0), (10, 20), (50, 60)]) == intervals
    assert subtract(intervals, [(2, 3), (4, 6), (41, 49)]) == [
        (0, 2),
        (3, 4),
        (6, 10),
        (20, 30),
        (40, 41),
        (49, 50),
    ]
    assert subtract(intervals, [(0, 50)]) == []
    assert subtract(intervals, [(15, 16)]) == intervals
    assert subtract(intervals, []) == intervals
    assert subtract([], [(0, 5)]) == []
