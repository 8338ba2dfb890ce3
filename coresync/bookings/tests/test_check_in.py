"""Check-in only on the booking's day, from the spa's check-in window before the start;
completing only after check-in (issue 18 item 5). The admin actions use the same services."""

import pytest
import time_machine

from conftest import local
from coresync.accounts.services import set_role
from coresync.bookings.errors import InvalidTransition
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import (
    can_check_in,
    check_in_booking,
    complete_booking,
)
from coresync.spa.models import SpaSettings
from factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(spa, customer, frozen_now):
    """A Swedish massage on Thursday 2026-12-03 at 10:00 New York time."""
    return BookingFactory(customer=customer)


def assert_still_confirmed(booking: Booking) -> None:
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.status, fresh.checked_in_at) == (BookingStatus.CONFIRMED, None)
    assert not fresh.history.filter(action="booking.in_progress").exists()


def test_check_in_two_days_ahead_is_refused(booking, manager, frozen_now):
    assert not can_check_in(booking, frozen_now)
    with pytest.raises(InvalidTransition) as refused:
        check_in_booking(booking, actor=manager)
    assert refused.value.code == "invalid_transition"
    assert_still_confirmed(booking)


def test_check_in_opens_120_minutes_before_the_start(booking, manager):
    with time_machine.travel(local(2026, 12, 3, 7, 59), tick=False):
        with pytest.raises(InvalidTransition):
            check_in_booking(booking, actor=manager)
        assert_still_confirmed(booking)
    with time_machine.travel(local(2026, 12, 3, 8, 0), tick=False):
        started = check_in_booking(booking, actor=manager)
    assert started.status == BookingStatus.IN_PROGRESS
    assert started.checked_in_at == local(2026, 12, 3, 8, 0)


def test_the_window_is_configurable(booking, manager):
    SpaSettings.objects.filter(pk=1).update(check_in_window_minutes=30)
    with (
        time_machine.travel(local(2026, 12, 3, 9, 29), tick=False),
        pytest.raises(InvalidTransition),
    ):
        check_in_booking(booking, actor=manager)
    with time_machine.travel(local(2026, 12, 3, 9, 30), tick=False):
        assert check_in_booking(booking, actor=manager).status == BookingStatus.IN_PROGRESS


def test_a_late_guest_is_checked_in_that_day_but_not_the_next(booking, manager):
    with time_machine.travel(local(2026, 12, 4, 0, 0), tick=False):
        with pytest.raises(InvalidTransition):
            check_in_booking(booking, actor=manager)
        assert_still_confirmed(booking)
    with time_machine.travel(local(2026, 12, 3, 23, 59), tick=False):
        assert check_in_booking(booking, actor=manager).status == BookingStatus.IN_PROGRESS


def test_complete_only_after_check_in(booking, manager):
    with time_machine.travel(local(2026, 12, 3, 11, 30), tick=False):
        with pytest.raises(InvalidTransition):
            complete_booking(booking, actor=manager)
        assert_still_confirmed(booking)
        check_in_booking(booking, actor=manager)
        done = complete_booking(booking, actor=manager)
    assert done.status == BookingStatus.COMPLETED


def test_the_admin_action_refuses_an_early_check_in(client, booking, manager, frozen_now):
    set_role(manager, "manager")
    client.force_login(manager)

    response = client.post(
        "/admin/bookings/booking/",
        {"action": "check_in", "_selected_action": [booking.pk]},
        follow=True,
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert f"{booking.reference}: A guest can be checked in on the day of the booking only" in text
    assert_still_confirmed(booking)
