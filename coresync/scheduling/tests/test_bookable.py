"""Listing and booking agree (ARCHITECTURE.md; the failures of Cal.com #244 and #29532).

Every slot ``get_availability`` lists can be booked by ``create_booking`` with the technician
and room it named; a start it does not list is refused with a reason and changes nothing; once
a start's last resources are booked it disappears from the listing.
"""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coresync.bookings.models import Booking
from coresync.bookings.services import create_booking
from coresync.memberships.selectors import get_customer_access
from coresync.resources.models import AvailabilityException, SlotHold
from coresync.scheduling.errors import (
    OutsideBookingWindow,
    OutsideWorkingHours,
    SlotUnavailable,
)
from coresync.scheduling.selectors import build_availability_request, get_availability
from coresync.scheduling.tests.builders import NEW_YORK
from coresync.spa.selectors import get_settings

REFUSALS = (SlotUnavailable, OutsideWorkingHours, OutsideBookingWindow)
# Tuesday 2026-12-01 (today, frozen at 08:00) to Sunday 2026-12-06 (beyond a non-member's
# three days), mostly inside everyone's window.
DAYS = [date(2026, 12, 1) + timedelta(days=n) for n in range(6)]
QUESTION_DAYS = st.sampled_from([DAYS[1], DAYS[2], DAYS[3], DAYS[0], DAYS[4], DAYS[5]])
# Every 15 minutes from 07:00 to 21:45 spa time: before, inside and after working hours.
CLOCKS = [time(hour, minute) for hour in range(7, 22) for minute in (0, 15, 30, 45)]

SERVICES = st.one_of(
    st.tuples(
        st.just("swedish"),
        st.sampled_from([60, 90]),
        st.lists(st.sampled_from(["hot-stones", "cbd-oil"]), unique=True, max_size=2),
        st.just(1),
        st.sampled_from([None, "ana", "ben"]),
    ),
    st.tuples(
        st.just("couples"),
        st.just(60),
        st.lists(st.just("hot-stones"), max_size=1),
        st.integers(1, 2),
        st.just(None),
    ),
    st.tuples(st.just("steam"), st.just(30), st.just([]), st.integers(1, 4), st.just(None)),
)


def listed_starts(offers):
    return {offer.slot.start: offer.slot for offer in offers}


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_listed_slots_are_bookable_and_unlisted_starts_are_refused(
    spa, customer, premium_member, frozen_now, data
):
    # given a clean spa (each example starts from no bookings), a caller and a question
    Booking.objects.all().delete()
    booker = data.draw(st.sampled_from([customer, premium_member]), label="booker")
    service, minutes, addons, guests, technician = data.draw(SERVICES, label="service")
    day = data.draw(QUESTION_DAYS, label="day")
    access = get_customer_access(booker, DAYS[0], get_settings())
    request = build_availability_request(
        service_slug=service,
        date_from=day,
        date_to=day,
        duration=minutes,
        addon_slugs=addons,
        guests=guests,
        technician_slug=technician,
    )

    def book(start):
        return create_booking(
            customer=booker,
            service=service,
            start=start,
            duration_minutes=minutes,
            addon_slugs=addons,
            guests=guests,
            technician=technician,
            # each booking is for another guest: this test is about rooms and technicians,
            # not the one-customer-at-a-time rule
            guest_name=f"Guest {Booking.objects.count() + 1}",
        )

    for _step in range(data.draw(st.integers(1, 6), label="steps")):
        listed = listed_starts(get_availability(request, access))
        # when a listed start, one near a booking, or any start of the day is booked
        booked = sorted(Booking.objects.values_list("start", flat=True))
        near = [
            start + timedelta(minutes=shift)
            for start in booked
            for shift in (-45, -30, -15, 0, 15, 30, 45)
        ]
        choices = ["anywhere"] + ["listed"] * bool(listed) + ["near a booking"] * bool(near)
        choice = data.draw(st.sampled_from(choices), label="choice")
        if choice == "listed":
            start = data.draw(st.sampled_from(sorted(listed)), label="listed start")
        elif choice == "near a booking":
            start = data.draw(st.sampled_from(near), label="start near a booking")
        else:
            clock = data.draw(st.sampled_from(CLOCKS), label="start")
            start = datetime.combine(day, clock, tzinfo=NEW_YORK)
        bookings_before = Booking.objects.count()

        if start in listed:
            # then a listed start is booked with the technicians and room it named
            booking = book(start)
            slot = listed[start]
            assert booking.start == start
            assert booking.end == slot.end
            assert booking.room_id == slot.room_id
            assert booking.technician_id == (
                slot.technician_ids[0] if slot.technician_ids else None
            )
            assert Booking.objects.count() == bookings_before + 1
            # and it stays listed exactly while another booking of it would succeed
            relisted = listed_starts(get_availability(request, access))
            if start in relisted:
                event("booked a listed start, still listed, booked again")
                assert book(start).start == start
            else:
                event("booked a listed start, no longer listed")
                with pytest.raises(SlotUnavailable):
                    book(start)
        else:
            # then an unlisted start is refused with a reason and nothing is written
            with pytest.raises(REFUSALS) as refused:
                book(start)
            event(f"unlisted start refused: {refused.value.code}")
            assert Booking.objects.count() == bookings_before


@pytest.mark.django_db
def test_fully_taken_start_disappears_from_the_listing(spa, customer, frozen_now):
    # given two technicians and two rooms for Swedish massage at 10:00 on 2026-12-02
    access = get_customer_access(customer, DAYS[0], get_settings())
    request = build_availability_request(service_slug="swedish", date_from=DAYS[1], date_to=DAYS[1])
    ten = datetime(2026, 12, 2, 10, tzinfo=NEW_YORK)

    create_booking(customer=customer, service="swedish", start=ten)
    assert ten in listed_starts(get_availability(request, access))
    create_booking(customer=customer, service="swedish", start=ten, guest_name="A friend")

    listed = listed_starts(get_availability(request, access))
    assert ten not in listed
    # 09:00-10:00 + 15 minutes' buffer overlaps 10:00 too; 11:15 is free again
    assert datetime(2026, 12, 2, 9, tzinfo=NEW_YORK) not in listed
    assert datetime(2026, 12, 2, 11, 15, tzinfo=NEW_YORK) in listed
    with pytest.raises(SlotUnavailable):
        create_booking(customer=customer, service="swedish", start=ten, guest_name="Another")
    assert Booking.objects.count() == 2


@pytest.mark.django_db
def test_each_refusal_names_its_reason(spa, customer, frozen_now):
    def book(start):
        return create_booking(customer=customer, service="swedish", start=start)

    # inside the 120 minutes' notice, and beyond the non-member's 3 days
    with pytest.raises(OutsideBookingWindow):
        book(datetime(2026, 12, 1, 9, 45, tzinfo=NEW_YORK))
    with pytest.raises(OutsideBookingWindow):
        book(datetime(2026, 12, 5, 10, tzinfo=NEW_YORK))
    # 16:00 + 60 + 15 ends after the technicians' 17:00
    with pytest.raises(OutsideWorkingHours):
        book(datetime(2026, 12, 2, 16, tzinfo=NEW_YORK))
    assert Booking.objects.count() == 0


@pytest.mark.django_db
def test_start_held_for_members_is_listed_and_bookable_only_for_them(
    spa, customer, premium_member, frozen_now
):
    # given the whole spa is held for priority members on 2026-12-02 10:00-11:00
    SlotHold.objects.create(
        level="priority",
        starts_at=datetime(2026, 12, 2, 10, tzinfo=NEW_YORK),
        ends_at=datetime(2026, 12, 2, 11, tzinfo=NEW_YORK),
        held_until=datetime(2026, 12, 2, 0, tzinfo=NEW_YORK),
    )
    request = build_availability_request(service_slug="swedish", date_from=DAYS[1], date_to=DAYS[1])
    ten = datetime(2026, 12, 2, 10, tzinfo=NEW_YORK)

    guest_listing = listed_starts(
        get_availability(request, get_customer_access(customer, DAYS[0], get_settings()))
    )
    member_listing = listed_starts(
        get_availability(request, get_customer_access(premium_member, DAYS[0], get_settings()))
    )

    assert ten not in guest_listing
    with pytest.raises(SlotUnavailable):
        create_booking(customer=customer, service="swedish", start=ten)
    assert member_listing[ten].member_only is True
    booking = create_booking(customer=premium_member, service="swedish", start=ten)
    assert (booking.start, booking.tier) == (ten, "member_priority")


@pytest.mark.django_db
def test_technician_day_off_is_neither_listed_nor_bookable(spa, customer, frozen_now):
    AvailabilityException.objects.create(technician=spa.ana, kind="sick_leave", date=DAYS[1])
    access = get_customer_access(customer, DAYS[0], get_settings())
    request = build_availability_request(
        service_slug="swedish", date_from=DAYS[1], date_to=DAYS[1], technician_slug="ana"
    )

    assert get_availability(request, access) == []
    with pytest.raises(OutsideWorkingHours):
        create_booking(
            customer=customer,
            service="swedish",
            start=datetime(2026, 12, 2, 10, tzinfo=NEW_YORK),
            technician="ana",
        )
