"""The loader (a fixed number of queries, what counts as busy) and request validation."""

from datetime import date, time, timedelta

import pytest

from conftest import local
from coresync.bookings.services import cancel_booking, create_booking
from coresync.core.errors import InvalidInput
from coresync.resources.models import (
    AvailabilityException,
    ExternalBusyBlock,
    SlotHold,
    Technician,
)
from coresync.scheduling.engine import DayException, WeeklyWindow, from_minutes
from coresync.scheduling.loader import load_engine_input
from coresync.scheduling.models import Allocation
from coresync.scheduling.selectors import build_availability_request
from coresync.scheduling.tests.builders import NEW_YORK

pytestmark = pytest.mark.django_db

DECEMBER_2 = date(2026, 12, 2)


def load(spa, service=None, now=None, **options):
    options.setdefault("date_from", DECEMBER_2)
    options.setdefault("date_to", DECEMBER_2)
    return load_engine_input(
        service=service or spa.swedish,
        guests=options.pop("guests", 1),
        now=now or local(2026, 12, 1, 8),
        tz=NEW_YORK,
        **options,
    )


def instants(intervals):
    """Busy intervals come as epoch minutes; compare them as aware datetimes."""
    return [(from_minutes(start), from_minutes(end)) for start, end in intervals]


def busy_of(engine_input, slug):
    technician = next(t for t in engine_input.technicians if t.slug == slug)
    return instants(technician.busy)


def busy_by_unit(room):
    return {unit: instants(intervals) for unit, intervals in room.busy_by_unit.items()}


@pytest.mark.parametrize("days", [1, 90])
def test_loader_issues_seven_queries_whatever_the_range(
    spa, customer, frozen_now, django_assert_num_queries, days
):
    # given bookings, an exception and a hold in the range
    create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    create_booking(
        customer=customer, service="steam", start=local(2026, 12, 2, 10), guest_name="A friend"
    )
    AvailabilityException.objects.create(technician=spa.ana, kind="day_off", date=DECEMBER_2)
    SlotHold.objects.create(
        technician=spa.ben,
        level="priority",
        starts_at=local(2026, 12, 3, 9),
        ends_at=local(2026, 12, 3, 10),
        held_until=local(2026, 12, 2, 0),
    )
    ExternalBusyBlock.objects.create(
        technician=spa.ben,
        source="google",
        external_id="dentist",
        starts_at=local(2026, 12, 2, 12),
        ends_at=local(2026, 12, 2, 13),
    )

    # when / then
    with django_assert_num_queries(7):
        engine_input = load(spa, date_to=DECEMBER_2 + timedelta(days=days - 1))
    assert [t.slug for t in engine_input.technicians] == ["ana", "ben"]
    assert len(engine_input.holds) == 1


def test_loader_issues_five_queries_for_a_self_guided_service(
    spa, frozen_now, django_assert_num_queries
):
    # no technician query: a self-guided service needs none
    with django_assert_num_queries(5):
        engine_input = load(spa, service=spa.steam, date_to=DECEMBER_2 + timedelta(days=89))

    assert engine_input.technicians == []
    assert [room.slug for room in engine_input.rooms] == ["steam"]


def test_loader_gives_skilled_technicians_allowed_rooms_hours_and_exceptions(spa, frozen_now):
    # given a facial technician, a part-day exception for Ana and room maintenance
    Technician.objects.create(slug="fay", name="Fay", skills=["facial"])
    AvailabilityException.objects.create(
        technician=spa.ana, kind="other", date=DECEMBER_2, start=time(12), end=time(13)
    )
    AvailabilityException.objects.create(
        room=spa.suite, kind="maintenance", date=DECEMBER_2, end_date=date(2026, 12, 3)
    )

    engine_input = load(spa)

    assert [t.slug for t in engine_input.technicians] == ["ana", "ben"]
    ana = engine_input.technicians[0]
    assert sorted(ana.weekly, key=lambda w: w.weekday)[0] == WeeklyWindow(0, time(9), time(17))
    assert len(ana.weekly) == 7
    assert list(ana.exceptions) == [DayException(DECEMBER_2, DECEMBER_2, time(12), time(13))]
    rooms = {room.slug: room for room in engine_input.rooms}
    assert sorted(rooms) == ["couples-suite", "suite-a"]
    assert list(rooms["suite-a"].exceptions) == [DayException(DECEMBER_2, date(2026, 12, 3))]
    assert (rooms["couples-suite"].capacity, rooms["couples-suite"].shared) == (2, False)
    assert rooms["couples-suite"].premium_modifier_percent == 10.0


def test_loader_leaves_out_rooms_smaller_than_the_group(spa, frozen_now):
    engine_input = load(spa, service=spa.couples, guests=2)

    assert [room.slug for room in engine_input.rooms] == ["couples-suite"]


def test_loader_honours_technician_room_and_room_type_restrictions(spa, frozen_now):
    assert [t.slug for t in load(spa, technician_slug="ben").technicians] == ["ben"]
    assert [r.slug for r in load(spa, room_slug="couples-suite").rooms] == ["couples-suite"]
    assert [r.slug for r in load(spa, room_type="mensuite").rooms] == ["suite-a"]


def test_loader_reports_bookings_as_busy_time_with_buffers_per_room_place(
    spa, customer, frozen_now
):
    create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    create_booking(
        customer=customer,
        service="steam",
        start=local(2026, 12, 2, 10),
        guests=2,
        guest_name="Two friends",
    )

    swedish_input = load(spa)
    steam_input = load(spa, service=spa.steam)

    assert busy_of(swedish_input, "ana") == [(local(2026, 12, 2, 10), local(2026, 12, 2, 11, 15))]
    assert busy_of(swedish_input, "ben") == []
    suite = next(room for room in swedish_input.rooms if room.slug == "suite-a")
    assert busy_by_unit(suite) == {1: [(local(2026, 12, 2, 10), local(2026, 12, 2, 11, 15))]}
    (steam,) = steam_input.rooms
    assert steam.shared is True
    assert busy_by_unit(steam) == {
        1: [(local(2026, 12, 2, 10), local(2026, 12, 2, 10, 30))],
        2: [(local(2026, 12, 2, 10), local(2026, 12, 2, 10, 30))],
    }


def test_loader_reports_external_busy_blocks_as_busy_time_of_their_technician(spa, frozen_now):
    # given Ben's dentist appointment in his own calendar, and one outside the range
    ExternalBusyBlock.objects.create(
        technician=spa.ben,
        source="google",
        external_id="dentist",
        starts_at=local(2026, 12, 2, 12),
        ends_at=local(2026, 12, 2, 13, 30),
    )
    ExternalBusyBlock.objects.create(
        technician=spa.ben,
        source="google",
        external_id="far-away",
        starts_at=local(2027, 1, 20, 12),
        ends_at=local(2027, 1, 20, 13),
    )

    engine_input = load(spa)

    # then only the one in range is busy time, and only on Ben
    assert busy_of(engine_input, "ben") == [(local(2026, 12, 2, 12), local(2026, 12, 2, 13, 30))]
    assert busy_of(engine_input, "ana") == []


def test_loader_ignores_cancelled_bookings(spa, customer, frozen_now):
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    assert busy_of(load(spa), "ana") != []

    cancel_booking(booking, actor=customer)

    assert busy_of(load(spa), "ana") == []
    assert all(room.busy_by_unit == {} for room in load(spa).rooms)


def test_loader_ignores_pending_holds_once_expired(spa, customer, frozen_now):
    # given a booking awaiting payment holds its slot for 15 minutes
    create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 2, 10),
        awaiting_payment=True,
    )
    assert Allocation.objects.filter(expires_at=frozen_now + timedelta(minutes=15)).count() == 2

    # then it is busy 14 minutes later and free at 15
    later = frozen_now + timedelta(minutes=14)
    assert busy_of(load(spa, now=later), "ana") == [
        (local(2026, 12, 2, 10), local(2026, 12, 2, 11, 15))
    ]
    expired = frozen_now + timedelta(minutes=15)
    assert busy_of(load(spa, now=expired), "ana") == []
    assert all(room.busy_by_unit == {} for room in load(spa, now=expired).rooms)


def test_loader_leaves_out_the_excluded_booking(spa, customer, frozen_now):
    moving = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    staying = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 13), technician="ana"
    )

    engine_input = load(spa, exclude_booking_id=moving.pk)

    assert busy_of(engine_input, "ana") == [(staying.start, staying.end + timedelta(minutes=15))]


def test_loader_gives_holds_on_the_candidates_and_the_whole_spa_until_held_until(spa, frozen_now):
    def make_hold(**target):
        return SlotHold.objects.create(
            level="vip",
            starts_at=local(2026, 12, 2, 9),
            ends_at=local(2026, 12, 2, 10),
            held_until=local(2026, 12, 1, 12),
            **target,
        )

    make_hold(technician=spa.ana)
    make_hold()
    make_hold(room=spa.steam_room)  # not a room Swedish massage can use

    holds = load(spa).holds
    assert sorted((hold.technician_id or 0, hold.room_id or 0) for hold in holds) == [
        (0, 0),
        (spa.ana.pk, 0),
    ]
    assert {(hold.level, hold.held_until) for hold in holds} == {("vip", local(2026, 12, 1, 12))}
    # after held_until they are no longer loaded
    assert load(spa, now=local(2026, 12, 1, 12)).holds == []


def test_loader_also_gives_busy_time_of_the_neighbouring_days(spa, customer, frozen_now):
    # given a 90-minute booking at 15:00 the day before the range
    create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 15), duration_minutes=90
    )

    engine_input = load(spa, date_from=date(2026, 12, 3), date_to=date(2026, 12, 3))

    assert busy_of(engine_input, "ana") == [(local(2026, 12, 2, 15), local(2026, 12, 2, 16, 45))]


# --------------------------------------------------------------------------- validation


def request(**overrides):
    options = {"service_slug": "swedish", "date_from": DECEMBER_2, "date_to": DECEMBER_2}
    options.update(overrides)
    return build_availability_request(**options)


def refused_fields(**overrides):
    with pytest.raises(InvalidInput) as refused:
        request(**overrides)
    return refused.value.fields


def test_a_valid_request_loads_service_duration_and_add_ons(spa):
    valid = request(duration=90, addon_slugs=["hot-stones", "cbd-oil", "hot-stones"])

    assert valid.service == spa.swedish
    assert valid.minutes == 90
    assert [addon.slug for addon in valid.addons] == ["hot-stones", "cbd-oil"]
    assert valid.service_minutes == 105
    assert request().minutes == 60  # the shortest duration by default


def test_unknown_service_is_refused(spa):
    assert list(refused_fields(service_slug="reiki")) == ["service"]


def test_inactive_service_is_refused(spa):
    spa.swedish.is_active = False
    spa.swedish.save()

    assert list(refused_fields()) == ["service"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"technician_slug": "zed"}, "technician"),
        ({"room_slug": "attic"}, "room"),
        ({"room_slug": "steam"}, "room"),  # a room Swedish massage is not offered in
        ({"addon_slugs": ["gold-leaf"]}, "addons"),
        ({"duration": 45}, "duration"),
        ({"date_to": DECEMBER_2 - timedelta(days=1)}, "date_to"),
        ({"date_to": DECEMBER_2 + timedelta(days=93)}, "date_to"),  # 94 days
        ({"guests": 0}, "guests"),
        ({"guests": 2}, "guests"),  # Swedish massage takes one guest
        ({"room_type": "garden"}, "room_type"),
        ({"room_type": "shared"}, "room_type"),  # not offered in shared rooms
    ],
)
def test_invalid_part_is_refused_naming_its_field(spa, overrides, field):
    assert list(refused_fields(**overrides)) == [field]


def test_add_on_the_service_does_not_accept_is_refused(spa):
    fields = refused_fields(service_slug="couples", addon_slugs=["cbd-oil"])

    assert fields == {"addons": '"cbd-oil" cannot be added to Couples Massage.'}


def test_technician_without_the_skill_is_refused(spa):
    Technician.objects.create(slug="fay", name="Fay", skills=["facial"])

    assert list(refused_fields(technician_slug="fay")) == ["technician"]
    assert list(refused_fields(service_slug="steam", technician_slug="ana")) == ["technician"]


def test_range_of_93_days_is_accepted_and_94_refused(spa):
    accepted = request(date_to=DECEMBER_2 + timedelta(days=92))

    assert (accepted.date_to - accepted.date_from).days + 1 == 93
    assert list(refused_fields(date_to=DECEMBER_2 + timedelta(days=93))) == ["date_to"]


def test_more_guests_than_any_allowed_room_holds_is_refused(spa):
    # given the steam service would take 6 guests but the steam room holds 4
    spa.steam.max_guests = 6
    spa.steam.save()

    assert request(service_slug="steam", guests=4).guests == 4
    fields = refused_fields(service_slug="steam", guests=5)
    assert fields == {"guests": "No room for Steam Room holds 5 guests."}


def test_several_invalid_parts_are_all_named(spa):
    fields = refused_fields(technician_slug="zed", guests=0, addon_slugs=["gold-leaf"])

    assert sorted(fields) == ["addons", "guests", "technician"]


@pytest.mark.parametrize("days", [1, 90])
def test_a_priced_listing_issues_a_fixed_number_of_queries(
    spa, vip_member, frozen_now, django_assert_num_queries, settings, days
):
    # What GET availability/ runs for a VIP member (the VIP path reads the Premium plan too):
    # request 3 (service, its variants, largest room), access 1, loader 7 (which also gives
    # the rooms' premium modifiers), prices 3 (tier prices, Premium plan, peak windows; the
    # variants come prefetched), and here 2 reads of the spa settings, which a request caches
    # but a test's transaction not. 16 whether the cache is on (a miss) or off.
    from coresync.memberships.selectors import get_customer_access
    from coresync.scheduling.selectors import get_availability
    from coresync.spa.selectors import get_settings

    settings.AVAILABILITY_CACHE = False
    with django_assert_num_queries(16):
        request = build_availability_request(
            service_slug="swedish",
            date_from=DECEMBER_2,
            date_to=DECEMBER_2 + timedelta(days=days - 1),
        )
        access = get_customer_access(vip_member, frozen_now.date(), get_settings())
        offers = get_availability(request, access)

    assert offers


@pytest.mark.parametrize("days", [1, 90])
def test_a_cached_listing_reads_no_rows(
    spa, vip_member, frozen_now, django_assert_num_queries, days
):
    # Asked once (a miss: loader 7, prices 3, the settings 1), then again: only the settings
    # row, which a test's transaction does not cache (a request reads it from the cache).
    from coresync.memberships.selectors import get_customer_access
    from coresync.scheduling.selectors import get_availability
    from coresync.spa.selectors import get_settings

    request = build_availability_request(
        service_slug="swedish", date_from=DECEMBER_2, date_to=DECEMBER_2 + timedelta(days=days - 1)
    )
    access = get_customer_access(vip_member, frozen_now.date(), get_settings())
    with django_assert_num_queries(11):
        first = get_availability(request, access)
    with django_assert_num_queries(1):
        second = get_availability(request, access)

    assert first and second == first
