"""month_calendar: each day's state for non-members and members (SPEC §3-4).

The spa of ``conftest``: Ana and Ben work 09:00-17:00 every day; a 60-minute Swedish massage
with 15 minutes' buffer after starts every 15 minutes from 09:00 to 15:45, 28 starts a day.
The clock reads Tuesday 2026-12-01 08:00 and starts need 120 minutes' notice, so that day's
first start is 10:00 (24 starts).
"""

from datetime import date

import pytest

from conftest import local
from coresync.core.errors import InvalidInput
from coresync.memberships.selectors import get_customer_access
from coresync.resources.models import AvailabilityException
from coresync.scheduling.selectors import build_availability_request, month_calendar
from coresync.spa.selectors import get_settings

pytestmark = pytest.mark.django_db

FULL_DAY = 28
TODAY_FROM_TEN = 24


def calendar_for(user, year, month, now=None):
    spa_settings = get_settings()
    access = get_customer_access(user, date(2026, 12, 1), spa_settings)
    # the request's own dates play no part in the month view
    request = build_availability_request(
        service_slug="swedish", date_from=date(2026, 12, 1), date_to=date(2026, 12, 1)
    )
    return month_calendar(request, year, month, access, now=now)


def states(days):
    """Return {day of month: (state, bookable, is_today, slots)}."""
    return {day.date.day: (day.state, day.bookable, day.is_today, day.slots) for day in days}


def test_non_member_books_three_days_ahead_and_sees_later_days_as_members_only(
    spa, customer, frozen_now
):
    days = calendar_for(customer, 2026, 12)

    assert [day.date for day in days] == [date(2026, 12, n) for n in range(1, 32)]
    assert states(days) == {
        1: ("available", True, True, TODAY_FROM_TEN),
        2: ("available", True, False, FULL_DAY),
        3: ("available", True, False, FULL_DAY),
        4: ("available", True, False, FULL_DAY),
        **{n: ("members_only", False, False, FULL_DAY) for n in range(5, 32)},
    }


def test_non_member_sees_days_beyond_every_plan_as_unavailable(spa, customer, frozen_now):
    # the widest plan (Unlimited) books 90 days ahead: up to 2027-03-01
    days = calendar_for(customer, 2027, 3)

    assert states(days)[1] == ("members_only", False, False, FULL_DAY)
    assert {states(days)[n] for n in range(2, 32)} == {("unavailable", False, False, 0)}


def test_past_days_are_unavailable_and_today_is_flagged(spa, customer, frozen_now):
    # given it is Thursday 2026-12-10 08:00
    days = calendar_for(customer, 2026, 12, now=local(2026, 12, 10, 8))

    assert {states(days)[n] for n in range(1, 10)} == {("unavailable", False, False, 0)}
    assert states(days)[10] == ("available", True, True, TODAY_FROM_TEN)
    assert {states(days)[n] for n in (11, 12, 13)} == {("available", True, False, FULL_DAY)}
    assert {states(days)[n] for n in range(14, 32)} == {("members_only", False, False, FULL_DAY)}


def test_premium_member_books_the_priority_period(spa, premium_member, frozen_now):
    days = calendar_for(premium_member, 2026, 12)

    assert states(days)[1] == ("available", True, True, TODAY_FROM_TEN)
    assert {states(days)[n] for n in (2, 3, 4)} == {("available", True, False, FULL_DAY)}
    assert {states(days)[n] for n in range(5, 32)} == {("members_only", True, False, FULL_DAY)}


def test_premium_member_cannot_book_beyond_sixty_days(spa, premium_member, frozen_now):
    # 2026-12-01 + 60 days = 2027-01-30
    days = calendar_for(premium_member, 2027, 1)

    assert {states(days)[n] for n in range(1, 31)} == {("members_only", True, False, FULL_DAY)}
    assert states(days)[31] == ("unavailable", False, False, 0)


def test_day_off_for_every_technician_is_unavailable(spa, customer, premium_member, frozen_now):
    # given Ana and Ben are both off on Thursday 2026-12-03, and Ben on Friday
    for technician in (spa.ana, spa.ben):
        AvailabilityException.objects.create(
            technician=technician, kind="holiday", date=date(2026, 12, 3)
        )
    AvailabilityException.objects.create(technician=spa.ben, kind="day_off", date=date(2026, 12, 4))

    for user in (customer, premium_member):
        days = states(calendar_for(user, 2026, 12))

        assert days[3] == ("unavailable", False, False, 0)
        # one technician is enough for a single guest
        assert days[4] == ("available", True, False, FULL_DAY)


def test_day_with_every_allowed_room_closed_is_unavailable(spa, customer, frozen_now):
    # given both rooms Swedish massage can use are closed for maintenance all day
    for room in (spa.suite, spa.couples_suite):
        AvailabilityException.objects.create(room=room, kind="maintenance", date=date(2026, 12, 2))

    days = states(calendar_for(customer, 2026, 12))

    assert days[2] == ("unavailable", False, False, 0)
    assert days[3] == ("available", True, False, FULL_DAY)


def test_month_out_of_range_is_refused(spa, customer, frozen_now):
    with pytest.raises(InvalidInput) as refused:
        calendar_for(customer, 2026, 13)

    assert list(refused.value.fields) == ["month"]
