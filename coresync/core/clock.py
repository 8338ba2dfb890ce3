"""The one place CoreSync reads the clock.

Every rule that depends on "now" (minimum notice, advance windows, hold expiry, cancellation
windows) calls :func:`now` once per operation and passes the value down, so tests can move
time with ``time-machine`` and an operation never sees two different "nows".
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

UTC = ZoneInfo("UTC")
WEEKDAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
FIRST_CALENDAR_DATE = date(1900, 1, 1)
LAST_CALENDAR_DATE = date(2199, 12, 31)
"""The days any input may name (API, pages, commands). Inside them every conversion between
zones stays within ``datetime``'s range and the time zone database's modern rules: before 1883
New York ran on local mean time (UTC-04:56:02), an offset RFC 3339 cannot carry, and
``0001-01-01T00:00+00:00`` in New York would fall before year 1 (``OverflowError``)."""


def within_calendar(value: date | datetime) -> bool:
    """Tell whether ``value`` (a date, or a datetime's own wall-clock date) lies between
    :data:`FIRST_CALENDAR_DATE` and :data:`LAST_CALENDAR_DATE`."""
    day = value.date() if isinstance(value, datetime) else value
    return FIRST_CALENDAR_DATE <= day <= LAST_CALENDAR_DATE


"""Weekday names as the spa file writes them; index = ``date.weekday()`` (Monday = 0)."""


def now() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return timezone.now()


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """Return the calendar date of an aware ``instant`` in the time zone ``tz``."""
    return instant.astimezone(tz).date()


def is_nonexistent(local: datetime) -> bool:
    """Tell whether a naive-looking wall-clock time in ``local.tzinfo`` never happens.

    ``local`` carries a ``ZoneInfo``; a spring-forward gap time (02:30 on 2026-03-08 in
    America/New_York) does not survive a round trip through UTC.
    """
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) != local.replace(tzinfo=None, fold=0)


def is_ambiguous(local: datetime) -> bool:
    """Tell whether a wall-clock time occurs twice (fall-back overlap, PEP 495 ``fold``)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """Return the UTC instant of the start of local ``day`` (midnight, or the first instant
    after a gap in zones whose transitions happen at midnight)."""
    # fold=0 maps a gap time forward past the gap (PEP 495), which is what "start of day" needs.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
