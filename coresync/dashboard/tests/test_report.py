"""The dashboard's numbers for a seeded month equal the hand-computed ones (docs/dashboard.md),
across DST changes, with a fixed number of queries whatever the range."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import NEW_YORK, add_hours, local
from coresync.accounts.models import Role
from coresync.bookings.services import (
    cancel_booking,
    check_in_booking,
    complete_booking,
    mark_no_show,
)
from coresync.dashboard.errors import InvalidInput, RangeTooLong
from coresync.dashboard.selectors import dashboard_report
from coresync.memberships.models import MembershipStatus
from coresync.resources.models import Room
from coresync.shop.models import Product
from coresync.shop.services import (
    OrderItem,
    complete_order,
    mark_order_ready,
    place_order,
    process_order,
)
from factories import BookingFactory, CustomerFactory, MembershipFactory, StaffFactory

CREATED_AT = datetime(2026, 2, 20, 10, tzinfo=NEW_YORK)
"""When every seeded booking is made (15:00 UTC)."""


def book(**kwargs):
    return BookingFactory(enforce_booking_window=False, now=CREATED_AT, **kwargs)


def completed(booking, desk):
    check_in_booking(booking, actor=desk, now=booking.start - timedelta(minutes=10))
    return complete_booking(booking, actor=desk, now=booking.end)


@pytest.fixture
def night_room(spa):
    """A men's suite open 00:00-04:00 every night: the DST changes take or give an hour."""
    room = Room.objects.create(slug="night", name="Night Suite", room_type="mensuite")
    add_hours(room, "00:00", "04:00")
    return room


@pytest.fixture
def march(spa, night_room):
    """March 2026 (clocks spring forward on Sunday the 8th), all booked on 2026-02-20 10:00:

    - B1 Swedish 60 + hot stones, Ana, Mon 2 Mar 10:00 EST — completed (100 + 35);
    - B2 Swedish 90, Ben, Mon 9 Mar 14:00 EDT — completed (140);
    - B3 Swedish 60, Ana, Mon 16 Mar 11:00 — no-show (fee 100 % of 108.88 total);
    - B4 Swedish 60, Ben, Fri 20 Mar 10:00 — cancelled on 21 Feb (free);
    - B5 Swedish 60, Ana, Tue 31 Mar 15:00 — confirmed (never arrived nor marked);
    - B6 Steam 30 for 2 guests, Sun 8 Mar 10:00 EDT — completed (2 × 40);
    - outside: Swedish on Sat 28 Feb and Wed 1 Apr, completed;
    - shop: two oils (2 × 30.00) picked up on 10 March, one at 23:30 on 31 March (03:30 UTC
      on 1 April, still March in New York), one at 00:30 on 1 April (not counted).
    """
    desk = StaffFactory(role=Role.FRONT_DESK)
    customer = CustomerFactory()
    with time_machine.travel(CREATED_AT, tick=False):
        b1 = book(
            customer=customer,
            start=local(2026, 3, 2, 10),
            technician="ana",
            addon_slugs=["hot-stones"],
        )
        b2 = book(
            customer=customer, start=local(2026, 3, 9, 14), technician="ben", duration_minutes=90
        )
        b3 = book(customer=customer, start=local(2026, 3, 16, 11), technician="ana")
        b4 = book(customer=customer, start=local(2026, 3, 20, 10), technician="ben")
        b5 = book(customer=customer, start=local(2026, 3, 31, 15), technician="ana")
        b6 = book(customer=customer, service="steam", start=local(2026, 3, 8, 10), guests=2)
        before = book(customer=customer, start=local(2026, 2, 28, 10), technician="ana")
        after = book(customer=customer, start=local(2026, 4, 1, 10), technician="ana")
    for booking in (b1, b2, b6, before, after):
        completed(booking, desk)
    mark_no_show(b3, actor=desk, now=b3.start + timedelta(minutes=30))
    cancel_booking(b4, actor=customer, now=local(2026, 2, 21, 9))
    assert b5.status == "confirmed"
    Product.objects.create(
        slug="oil", name="Massage Oil", category="wellness_tech", price="30.00", stock=10
    )
    for quantity, picked_up in (
        (2, local(2026, 3, 10, 12)),
        (1, local(2026, 3, 31, 23, 30)),
        (1, local(2026, 4, 1, 0, 30)),
    ):
        order = place_order(customer, [OrderItem("oil", quantity)], now=CREATED_AT)
        for step in (process_order, mark_order_ready, complete_order):
            order = step(order, actor=desk, now=picked_up)
    for plan, started_on in (("base", 5), ("base", 31), ("vip", 12)):
        MembershipFactory(
            customer=CustomerFactory(), plan=spa.plans[plan], started_on=date(2026, 3, started_on)
        )
    MembershipFactory(
        customer=CustomerFactory(),
        plan=spa.plans["premium"],
        started_on=date(2025, 3, 15),
        ends_on=date(2026, 3, 15),
        status=MembershipStatus.EXPIRED,
    )
    MembershipFactory(  # lapses in April: not counted
        customer=CustomerFactory(),
        plan=spa.plans["base"],
        started_on=date(2025, 4, 2),
        ends_on=date(2026, 4, 2),
        status=MembershipStatus.CANCELLED,
    )
    return {"b3": b3}


def rows(report, key):
    return report.tables[key].rows


def test_march_with_spring_forward_equals_the_hand_computed_numbers(march):
    report = dashboard_report(date(2026, 3, 1), date(2026, 3, 31), grain="month")

    assert report.summary["bookings"] == 6
    assert report.summary["cancellations"] == 1
    assert report.summary["no_shows"] == 1
    # Due to arrive: B1, B2, B6 completed and B3: 1 of 4.
    assert report.summary["due"] == 4
    assert report.summary["no_show_rate"] == Decimal("25.0")
    # Lead hours from 20 Feb 15:00 UTC: 240, 411, 576, 671, 940, 383 → 3,221 / 6.
    assert report.summary["lead_time_hours"] == Decimal("536.8")
    # Services 100 + 140 + 80, add-ons 35, the no-show fee 108.88 (100 % of 100 + 8.875 %
    # tax), shop 60 + 30 (subtotals: tax is not revenue).
    assert rows(report, "revenue") == [
        (
            "2026-03",
            Decimal("320.00"),
            Decimal("35.00"),
            Decimal("108.88"),
            Decimal("90.00"),
            Decimal("553.88"),
        ),
    ]
    assert report.summary["revenue"] == Decimal("553.88")
    assert rows(report, "revenue_by_category") == [
        ("Massage", Decimal("240.00")),
        ("Fees", Decimal("108.88")),
        ("Shop", Decimal("90.00")),
        ("Thermal", Decimal("80.00")),
        ("Add-ons", Decimal("35.00")),
    ]
    # Technicians 09:00-17:00 every day: 31 × 480 open minutes, DST or not.
    assert rows(report, "utilization_technicians") == [
        ("Ana", 75 + 60, 14880, Decimal("0.9")),  # B1 with hot stones, B5 (B3 freed its time)
        ("Ben", 90, 14880, Decimal("0.6")),  # B2 (B4 cancelled)
    ]
    # Rooms 09:00-21:00: 31 × 720; the steam room sells 4 places; the night suite is open
    # 00:00-04:00, three hours on 8 March (02:00-03:00 does not exist): 31 × 240 − 60.
    assert rows(report, "utilization_rooms") == [
        ("Couples Suite", 0, 22320, Decimal("0.0")),
        ("Night Suite", 0, 7380, Decimal("0.0")),
        ("Steam Room", 30 * 2, 4 * 22320, Decimal("0.1")),
        ("Suite A", 75 + 90 + 60, 22320, Decimal("1.0")),
    ]
    assert rows(report, "members") == [("base", 2, 0), ("premium", 0, 1), ("vip", 1, 0)]
    assert rows(report, "top_services") == [
        ("Swedish Massage", 4, Decimal("275.00")),
        ("Steam Room", 1, Decimal("80.00")),
    ]
    assert rows(report, "bookings") == [("2026-03", 6, 1, 1)]


def test_days_and_weeks_split_the_same_totals(march):
    by_day = dashboard_report(date(2026, 3, 1), date(2026, 3, 31), grain="day")
    by_week = dashboard_report(date(2026, 3, 1), date(2026, 3, 31), grain="week")

    assert len(rows(by_day, "revenue")) == 31
    assert rows(by_day, "revenue")[1] == (
        "2026-03-02",
        Decimal("100.00"),
        Decimal("35.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("135.00"),
    )
    assert rows(by_day, "revenue")[15][3] == Decimal("108.88")  # 16 March, the no-show
    assert rows(by_day, "revenue")[30][4] == Decimal("30.00")  # 31 March, 23:30 New York
    # ISO weeks from Monday: 23 Feb (holds 1 March) … 30 March.
    assert [row[0] for row in rows(by_week, "revenue")] == [
        "2026-02-23",
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
        "2026-03-23",
        "2026-03-30",
    ]
    assert [row[-1] for row in rows(by_week, "revenue")] == [
        Decimal("0.00"),  # 1 March, a Sunday: nothing
        Decimal("215.00"),  # B1 on Monday 2 and the steam room on Sunday 8
        Decimal("200.00"),  # B2 and the oils of 10 March
        Decimal("108.88"),
        Decimal("0.00"),
        Decimal("30.00"),  # the oil picked up late on 31 March
    ]
    assert sum(row[-1] for row in rows(by_day, "revenue")) == by_week.summary["revenue"]


def test_november_fall_back_gives_the_night_suite_an_hour(spa, night_room):
    report = dashboard_report(date(2026, 11, 1), date(2026, 11, 30))

    by_room = {row[0]: row[2] for row in rows(report, "utilization_rooms")}
    # 1 November: 01:00-02:00 happens twice, so 00:00-04:00 lasts five hours.
    assert by_room["Night Suite"] == 30 * 240 + 60
    assert by_room["Suite A"] == 30 * 720
    assert report.summary["no_show_rate"] is None
    assert report.summary["lead_time_hours"] is None


def test_a_day_off_is_not_open_time(spa):
    from coresync.resources.models import AvailabilityException

    AvailabilityException.objects.create(technician=spa.ana, date=date(2026, 3, 10))
    AvailabilityException.objects.create(
        technician=spa.ana,
        date=date(2026, 3, 11),
        start=datetime(2026, 3, 11, 9).time(),
        end=datetime(2026, 3, 11, 12).time(),
    )

    report = dashboard_report(date(2026, 3, 9), date(2026, 3, 15))

    assert dict((row[0], row[2]) for row in rows(report, "utilization_technicians")) == {
        "Ana": 7 * 480 - 480 - 180,
        "Ben": 7 * 480,
    }


def test_the_query_count_is_the_same_for_a_week_and_a_year(march):
    with CaptureQueriesContext(connection) as week:
        dashboard_report(date(2026, 3, 1), date(2026, 3, 7))
    with CaptureQueriesContext(connection) as year:
        dashboard_report(date(2025, 4, 1), date(2026, 3, 31))

    assert len(week.captured_queries) == len(year.captured_queries) == 12


def test_a_range_longer_than_a_leap_year_or_backwards_is_refused(spa):
    with pytest.raises(RangeTooLong):
        dashboard_report(date(2025, 1, 1), date(2026, 1, 2))
    with pytest.raises(InvalidInput):
        dashboard_report(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(InvalidInput):
        dashboard_report(date(2026, 3, 1), date(2026, 3, 2), grain="year")
