"""Billing periods of memberships: pure date arithmetic, no database (docs/memberships.md
"Billing periods").

The anchor-day rule: a membership is billed on the day of the month it started (its
``billing_anchor_day``, 1-31). In a month without that day the period starts on the month's
last day, and the next month returns to the anchor: a member who joined on January 31 is
billed on February 28 (29 in a leap year), March 31, April 30, May 31… — never drifting to
the 28th, as adding "one month" to the previous date would.

Periods are spa-local calendar dates: ``[period_start, period_end)``, the next period starting
on ``period_end``. A renewal is due from the spa-local midnight that begins ``period_end``
(:func:`renewal_due_at`), so a day that is 23 or 25 hours long (a DST change) moves no bill:
the date, not a count of hours, decides.
"""

import calendar
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from coresync.core.clock import local_midnight_utc
from coresync.core.money import quantize


def anchored(year: int, month: int, anchor_day: int) -> date:
    """Return ``anchor_day`` of ``year``-``month``, or the month's last day when shorter."""
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def next_period_start(period_start: date, anchor_day: int) -> date:
    """Return the start of the period after the one starting ``period_start`` (the anchor
    day of the next month)."""
    year, month = (
        (period_start.year + 1, 1)
        if period_start.month == 12
        else (period_start.year, period_start.month + 1)
    )
    return anchored(year, month, anchor_day)


def first_period(start: date) -> tuple[date, date, int]:
    """Return ``(period_start, period_end, anchor_day)`` of a membership starting on
    ``start``."""
    anchor = start.day
    return start, next_period_start(start, anchor), anchor


def renewal_due_at(period_end: date, zone: ZoneInfo) -> datetime:
    """Return the UTC instant from which the renewal of a period ending on ``period_end`` is
    due: the spa-local start of that day (whatever its length)."""
    return local_midnight_utc(period_end, zone)


def prorated_difference(
    old_price: Decimal,
    new_price: Decimal,
    *,
    today: date,
    period_start: date,
    period_end: date,
) -> Decimal:
    """Return what an upgrade from ``old_price`` to ``new_price`` costs for the rest of the
    period ``[period_start, period_end)``, counted in whole days from ``today`` (today
    included), rounded to cents half up; never negative.

    Example: 249.00 → 599.00 with 15 of 30 days left: 350.00 × 15 / 30 = 175.00.
    """
    days = (period_end - period_start).days
    left = max((period_end - today).days, 0)
    if days <= 0 or left <= 0 or new_price <= old_price:
        return Decimal("0.00")
    return quantize((new_price - old_price) * left / days)
