"""Booking changes are published to subscribers inside the change's transaction."""

import pytest

from conftest import local
from coresync.bookings import events
from coresync.bookings.models import Booking
from coresync.bookings.services import cancel_booking, create_booking
from coresync.scheduling.errors import SlotUnavailable

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    seen: list[tuple[str, str, bool]] = []

    def subscriber(booking, action, data):
        seen.append((booking.reference, action, Booking.objects.filter(pk=booking.pk).exists()))

    events.subscribe(subscriber)
    yield seen
    events.unsubscribe(subscriber)


def test_create_and_cancel_are_published_with_the_row_visible(spa, customer, frozen_now, received):
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    cancel_booking(booking, actor=customer)
    assert received == [
        (booking.reference, "booking.created", True),
        (booking.reference, "booking.cancelled", True),
    ]


def test_a_refused_booking_publishes_nothing(spa, customer, frozen_now, received):
    create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
    )
    received.clear()
    with pytest.raises(SlotUnavailable):
        create_booking(
            customer=customer, service="swedish", start=local(2026, 12, 2, 10), technician="ana"
        )
    assert received == []


def test_a_failing_subscriber_rolls_the_change_back(spa, customer, frozen_now):
    def broken(booking, action, data):
        raise RuntimeError("outbox write failed")

    events.subscribe(broken)
    try:
        with pytest.raises(RuntimeError):
            create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))
    finally:
        events.unsubscribe(broken)
    assert Booking.objects.count() == 0
