"""create_booking: the rules of SPEC §3-4 as a customer meets them."""

from datetime import timedelta
from decimal import Decimal

import pytest

from conftest import add_hours, local, make_customer
from coresync.bookings.errors import IdempotencyKeyReused
from coresync.bookings.models import Booking, BookingHistory, BookingStatus
from coresync.bookings.services import create_booking
from coresync.core.errors import InvalidInput
from coresync.resources.models import Technician
from coresync.scheduling.errors import OutsideBookingWindow, OutsideWorkingHours, SlotUnavailable
from coresync.scheduling.models import Allocation

pytestmark = pytest.mark.django_db


def test_booking_is_confirmed_with_reference_allocations_quote_and_history(
    spa, customer, frozen_now
):
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), addon_slugs=["cbd-oil"]
    )

    assert booking.status == BookingStatus.CONFIRMED
    assert booking.reference.startswith("CS-2026-") and len(booking.reference) == 14
    assert booking.start == local(2026, 12, 2, 10)
    assert booking.end == local(2026, 12, 2, 11)
    assert booking.technician == spa.ana
    assert booking.room == spa.suite
    assert booking.tier == "non_member"
    # 100.00 + 25.00 = 125.00; tax 8.875% = 11.09375 -> 11.09; total 136.09
    assert [line["code"] for line in booking.price_lines] == [
        "base",
        "addon:cbd-oil",
        "subtotal",
        "tax",
        "total",
    ]
    assert (booking.subtotal, booking.tax, booking.total) == (
        Decimal("125.00"),
        Decimal("11.09"),
        Decimal("136.09"),
    )
    allocations = list(booking.allocations.order_by("resource_key"))
    assert [a.resource_key for a in allocations] == [
        f"room:{spa.suite.pk}:1",
        f"technician:{spa.ana.pk}",
    ]
    # Buffers are on the allocations: 15 minutes after, none before.
    assert all(a.starts_at == local(2026, 12, 2, 10) for a in allocations)
    assert all(a.ends_at == local(2026, 12, 2, 11, 15) for a in allocations)
    assert list(booking.history.values_list("action", flat=True)) == ["booking.created"]


def test_references_are_unique_and_not_counted(spa, customer, frozen_now):
    first = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    second = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 12))
    assert first.reference != second.reference
    assert int(second.reference[-6:]) > int(first.reference[-6:])


def test_second_booking_of_same_slot_goes_to_other_technician_then_is_refused(
    spa, customer, frozen_now
):
    start = local(2026, 12, 2, 10)
    first = create_booking(customer=customer, service="swedish", start=start)
    # Suite A is taken: the couples suite (private) is the only other allowed room.
    second = create_booking(
        customer=customer, service="swedish", start=start, guest_name="Friend One"
    )
    assert {first.technician, second.technician} == {spa.ana, spa.ben}
    assert {first.room, second.room} == {spa.suite, spa.couples_suite}

    with pytest.raises(SlotUnavailable):
        create_booking(customer=customer, service="swedish", start=start, guest_name="Friend Two")
    assert Booking.objects.count() == 2


def test_buffer_blocks_the_next_start_on_the_same_technician(spa, customer, frozen_now):
    create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
    )
    with pytest.raises(SlotUnavailable):
        # 11:00 falls inside the 15-minute buffer after 10:00-11:00.
        create_booking(
            customer=customer, service="swedish", start=local(2026, 12, 2, 11), technician="ana"
        )
    later = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 11, 15), technician="ana"
    )
    assert later.technician == spa.ana


def test_start_inside_minimum_notice_is_outside_booking_window(spa, customer, frozen_now):
    # Now is 08:00; notice is 120 minutes, so 09:45 is too soon and 10:00 is fine.
    with pytest.raises(OutsideBookingWindow):
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 1, 9, 45))
    assert create_booking(customer=customer, service="swedish", start=local(2026, 12, 1, 10))


def test_non_member_may_book_the_whole_third_day_but_not_the_fourth(spa, customer, frozen_now):
    # "books 3 days ahead" counts local calendar days: Dec 4 is day 3, Dec 5 day 4.
    assert create_booking(customer=customer, service="swedish", start=local(2026, 12, 4, 15, 45))
    with pytest.raises(OutsideBookingWindow):
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 5, 9))


def test_members_book_as_far_as_their_plan_and_priority_is_recorded(
    spa, base_member, premium_member, vip_member, frozen_now
):
    base = create_booking(customer=base_member, service="swedish", start=local(2026, 12, 31, 10))
    assert base.tier == "member_priority"
    with pytest.raises(OutsideBookingWindow):
        create_booking(customer=base_member, service="swedish", start=local(2027, 1, 1, 10))
    premium = create_booking(
        customer=premium_member, service="swedish", start=local(2027, 1, 30, 10)
    )
    assert premium.tier == "member_priority"
    near = create_booking(customer=premium_member, service="swedish", start=local(2026, 12, 2, 10))
    assert near.tier == "member_standard"
    vip = create_booking(customer=vip_member, service="swedish", start=local(2027, 3, 1, 10))
    assert vip.tier == "vip"
    with pytest.raises(OutsideBookingWindow):
        create_booking(customer=vip_member, service="swedish", start=local(2027, 3, 2, 10))


def test_lapsed_member_books_as_non_member(spa, frozen_now):
    lapsed = make_customer("lapsed@example.com", spa.plans["base"])
    lapsed.memberships.update(ends_on="2026-06-30")
    with pytest.raises(OutsideBookingWindow):
        create_booking(customer=lapsed, service="swedish", start=local(2026, 12, 10, 10))
    booking = create_booking(customer=lapsed, service="swedish", start=local(2026, 12, 2, 10))
    assert booking.tier == "non_member" and booking.total == Decimal("108.88")


def test_member_discount_and_vip_price(spa, base_member, vip_member, frozen_now):
    base = create_booking(customer=base_member, service="swedish", start=local(2026, 12, 2, 10))
    # 100.00 - 30% = 70.00 + tax 6.2125 -> 6.21 = 76.21
    assert base.total == Decimal("76.21")
    assert base.price_lines[1] == {
        "code": "tier_discount",
        "label": "Base discount (30%)",
        "amount": "-30.00",
    }


def test_start_outside_technician_hours_is_outside_working_hours(spa, customer, frozen_now):
    # Technicians work until 17:00: a 60-minute service + 15 buffer must end by then.
    with pytest.raises(OutsideWorkingHours):
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 16))
    with pytest.raises(OutsideWorkingHours):
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 8))
    assert create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 15, 45))


def test_addon_minutes_extend_the_service(spa, customer, frozen_now):
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 2, 15, 30),
        addon_slugs=["hot-stones"],
    )
    assert booking.end - booking.start == timedelta(minutes=75)
    with pytest.raises(OutsideWorkingHours):
        create_booking(
            customer=customer,
            service="swedish",
            start=local(2026, 12, 2, 15, 45),
            addon_slugs=["hot-stones"],
            technician="ana",
        )


def test_off_grid_start_is_refused_with_a_field_error(spa, customer, frozen_now):
    with pytest.raises(InvalidInput) as caught:
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10, 7))
    assert "start" in caught.value.fields


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"service": "nope"}, "service"),
        ({"duration_minutes": 45}, "duration"),
        ({"addon_slugs": ["unknown"]}, "addons"),
        ({"guests": 2}, "guests"),
        ({"guests": 0}, "guests"),
        ({"technician": "zed"}, "technician"),
        ({"room": "steam"}, "room"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(spa, customer, frozen_now, kwargs, field):
    arguments = {"customer": customer, "service": "swedish", "start": local(2026, 12, 2, 10)}
    arguments.update(kwargs)
    with pytest.raises(InvalidInput) as caught:
        create_booking(**arguments)
    assert field in caught.value.fields
    assert Booking.objects.count() == 0 and Allocation.objects.count() == 0


def test_naive_start_is_refused(spa, customer, frozen_now):
    with pytest.raises(InvalidInput) as caught:
        create_booking(
            customer=customer, service="swedish", start=local(2026, 12, 2, 10).replace(tzinfo=None)
        )
    assert "start" in caught.value.fields


def test_idempotent_create_replays_and_refuses_another_body(spa, customer, frozen_now):
    start = local(2026, 12, 2, 10)
    first = create_booking(customer=customer, service="swedish", start=start, idempotency_key="k1")
    again = create_booking(customer=customer, service="swedish", start=start, idempotency_key="k1")
    assert again.pk == first.pk and again.was_replayed and not first.was_replayed
    with pytest.raises(IdempotencyKeyReused):
        create_booking(
            customer=customer, service="swedish", start=local(2026, 12, 2, 12), idempotency_key="k1"
        )
    assert Booking.objects.count() == 1
    # Keys are per customer: another customer may use the same key.
    other = make_customer("other@example.com")
    assert (
        create_booking(customer=other, service="swedish", start=start, idempotency_key="k1").pk
        != first.pk
    )


def test_couples_booking_takes_two_technicians_and_the_whole_room(spa, customer, frozen_now):
    booking = create_booking(
        customer=customer, service="couples", start=local(2026, 12, 2, 10), guests=2
    )
    keys = sorted(booking.allocations.values_list("resource_key", flat=True))
    assert keys == sorted(
        [
            f"technician:{spa.ana.pk}",
            f"technician:{spa.ben.pk}",
            f"room:{spa.couples_suite.pk}:1",
            f"room:{spa.couples_suite.pk}:2",
        ]
    )
    # 2 x 150.00 = 300.00, room premium 10% = 30.00, subtotal 330.00, tax 29.29 -> 359.29
    assert booking.total == Decimal("359.29")
    with pytest.raises(SlotUnavailable):
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10, 30))


def test_shared_room_sells_places_up_to_capacity(spa, frozen_now):
    start = local(2026, 12, 2, 10)
    guests = [make_customer(f"g{i}@example.com") for i in range(5)]
    made = [create_booking(customer=guest, service="steam", start=start) for guest in guests[:3]]
    assert sorted(b.allocations.get().unit for b in made) == [1, 2, 3]
    last = create_booking(customer=guests[3], service="steam", start=start)
    assert last.allocations.get().unit == 4
    with pytest.raises(SlotUnavailable):
        create_booking(customer=guests[4], service="steam", start=start)
    assert BookingHistory.objects.count() == 4


def test_group_of_guests_in_shared_room_needs_enough_places(spa, customer, frozen_now):
    start = local(2026, 12, 2, 10)
    create_booking(customer=customer, service="steam", start=start, guests=3)
    with pytest.raises(SlotUnavailable):
        create_booking(customer=customer, service="steam", start=start, guests=2, guest_name="B")
    one = create_booking(customer=customer, service="steam", start=start, guests=1, guest_name="C")
    assert one.allocations.get().unit == 4


def test_couples_booking_may_name_one_of_its_technicians(spa, customer, frozen_now):
    third = spa.ana.__class__.objects.create(slug="cleo", name="Cleo", skills=["massage"])
    from conftest import add_hours

    add_hours(third, "09:00", "17:00")
    booking = create_booking(
        customer=customer,
        service="couples",
        start=local(2026, 12, 2, 10),
        guests=2,
        technician="cleo",
    )
    technicians = set(
        booking.allocations.filter(technician__isnull=False).values_list(
            "technician__slug", flat=True
        )
    )
    assert "cleo" in technicians and len(technicians) == 2


def _allocated_technicians(booking) -> set[str]:
    return {
        allocation.technician.slug
        for allocation in booking.allocations.select_related("technician")
        if allocation.technician_id
    }


def test_a_couples_booking_can_name_both_technicians(spa, customer, frozen_now):
    booking = create_booking(
        customer=customer,
        service="couples",
        start=local(2026, 12, 2, 10),
        guests=2,
        technicians=["ben", "ana"],
    )
    assert _allocated_technicians(booking) == {"ana", "ben"}


def test_a_couples_booking_naming_a_busy_technician_is_refused_and_books_nothing(
    spa, customer, frozen_now
):
    cleo = Technician.objects.create(slug="cleo", name="Cleo", skills=["massage"])
    add_hours(cleo, "09:00", "17:00")
    start = local(2026, 12, 2, 10)
    create_booking(customer=customer, service="swedish", start=start, technician="ana")
    # Ben and Cleo could serve the couple; the one they named cannot.
    with pytest.raises(SlotUnavailable):
        create_booking(
            customer=make_customer("two@example.com"),
            service="couples",
            start=start,
            guests=2,
            technicians=["ana"],
        )
    assert Booking.objects.count() == 1


def test_a_couples_booking_cannot_name_one_technician_twice(spa, customer, frozen_now):
    with pytest.raises(InvalidInput) as caught:
        create_booking(
            customer=customer,
            service="couples",
            start=local(2026, 12, 2, 10),
            guests=2,
            technician="ana",
            technicians=["ana"],
        )
    assert "technicians" in caught.value.fields
    assert Booking.objects.count() == 0
