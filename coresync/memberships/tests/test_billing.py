"""Billing periods: the anchor-day rule (the 31st, February, leap years) and proration."""

from datetime import date
from decimal import Decimal

import pytest

from conftest import NEW_YORK
from coresync.memberships.billing import (
    first_period,
    next_period_start,
    prorated_difference,
    renewal_due_at,
)


def periods(start: date, count: int) -> list[date]:
    _, end, anchor = first_period(start)
    days = [start, end]
    while len(days) < count:
        days.append(next_period_start(days[-1], anchor))
    return days


def test_a_membership_started_on_the_31st_is_billed_on_each_months_last_day_then_the_31st():
    assert periods(date(2027, 1, 31), 7) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),  # back to the anchor, not drifting to the 28th
        date(2027, 4, 30),
        date(2027, 5, 31),
        date(2027, 6, 30),
        date(2027, 7, 31),
    ]


def test_a_leap_year_february_has_its_29th():
    assert periods(date(2027, 12, 30), 4) == [
        date(2027, 12, 30),
        date(2028, 1, 30),
        date(2028, 2, 29),
        date(2028, 3, 30),
    ]


def test_december_rolls_into_the_next_year():
    assert next_period_start(date(2026, 12, 15), 15) == date(2027, 1, 15)


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        pytest.param(date(2027, 3, 14), "2027-03-14T05:00:00+00:00", id="spring-forward day"),
        pytest.param(date(2027, 3, 15), "2027-03-15T04:00:00+00:00", id="after spring forward"),
        pytest.param(date(2027, 11, 7), "2027-11-07T04:00:00+00:00", id="fall-back day"),
        pytest.param(date(2027, 11, 8), "2027-11-08T05:00:00+00:00", id="after fall back"),
    ],
)
def test_a_renewal_is_due_at_the_spa_local_midnight_of_its_day(day, expected_utc):
    assert renewal_due_at(day, NEW_YORK).isoformat() == expected_utc


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 1), Decimal("350.00")),  # the whole period
        (date(2026, 12, 16), Decimal("180.65")),  # 16 of 31 days: 180.645 → half up
        (date(2026, 12, 31), Decimal("11.29")),  # the last day
        (date(2027, 1, 1), Decimal("0.00")),  # the period is over
    ],
)
def test_an_upgrade_costs_the_price_difference_for_the_days_left(today, expected):
    assert (
        prorated_difference(
            Decimal("249.00"),
            Decimal("599.00"),
            today=today,
            period_start=date(2026, 12, 1),
            period_end=date(2027, 1, 1),
        )
        == expected
    )


def test_a_cheaper_plan_costs_nothing_now():
    assert prorated_difference(
        Decimal("599.00"),
        Decimal("249.00"),
        today=date(2026, 12, 10),
        period_start=date(2026, 12, 1),
        period_end=date(2027, 1, 1),
    ) == Decimal("0.00")
