"""One customer is never booked into two overlapping treatments unless the new booking is
for another guest (issue 18 item 4, ARCHITECTURE.md "HTTP API": 409 ``customer_busy``)."""

import pytest

from conftest import local
from coresync.bookings.errors import CustomerBusy
from coresync.bookings.models import Booking
from coresync.bookings.services import cancel_booking, create_booking, reschedule_booking
from coresync.scheduling.models import Allocation

pytestmark = pytest.mark.django_db


def test_an_overlapping_booking_for_the_same_customer_is_refused(spa, customer, frozen_now):
    first = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))

    with pytest.raises(CustomerBusy) as refused:
        # 10:30 overlaps 10:00-11:00 and Ben and the couples suite are free then
        create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10, 30))

    assert refused.value.code == "customer_busy" and refused.value.status == 409
    assert first.reference in refused.value.message
    assert list(Booking.objects.values_list("pk", flat=True)) == [first.pk]
    assert Allocation.objects.count() == 2


def test_back_to_back_is_allowed_because_buffers_do_not_count(spa, customer, frozen_now):
    create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    # the service ends at 11:00; the 15-minute buffer after it is the room's, not the guest's
    follow_on = create_booking(customer=customer, service="steam", start=local(2026, 12, 2, 11))
    assert follow_on.start == local(2026, 12, 2, 11)


def test_a_booking_for_another_guest_may_overlap(spa, customer, frozen_now):
    create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))

    gift = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 2, 10),
        guest_name="  Maya   Lopez ",
    )

    assert gift.guest_name == "Maya Lopez"


def test_a_booking_for_another_guest_does_not_block_the_customer(spa, customer, frozen_now):
    create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), guest_name="Maya"
    )

    own = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))

    assert own.guest_name == ""


def test_cancelled_bookings_do_not_count(spa, customer, frozen_now):
    first = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    cancel_booking(first, actor=customer)

    again = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10, 30))
    assert again.status == "confirmed"


def test_reschedule_into_the_customers_other_booking_is_refused(spa, customer, frozen_now):
    create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    later = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 14))

    with pytest.raises(CustomerBusy):
        reschedule_booking(
            later, start=local(2026, 12, 2, 10, 30), actor=customer, technician="any"
        )

    unchanged = Booking.objects.get(pk=later.pk)
    assert unchanged.start == local(2026, 12, 2, 14) and unchanged.reschedule_count == 0
    assert set(
        Allocation.objects.filter(booking=later, is_active=True).values_list("starts_at", flat=True)
    ) == {local(2026, 12, 2, 14)}
