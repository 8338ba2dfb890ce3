"""The booking page's parameters: the steps, and reading dates, months and starts from
the query string (docs/website.md "Booking flow")."""

from datetime import date, datetime

from coresync.catalog.models import Service
from coresync.core.clock import within_calendar

STEPS = ("treatment", "date", "time", "technician", "details", "confirm")

ANY_TECHNICIAN = "any"

# Which later choices a step's form leaves out, because they depend on it.
DROPPED_BY = {
    "date": ("start", "technician", "second_technician"),
    "time": ("technician", "second_technician"),
}

STATE_ORDER = (
    "service",
    "duration",
    "guests",
    "month",
    "date",
    "start",
    "technician",
    "second_technician",
    "addons",
)

GUEST_NAME_MAX_LENGTH = 150


def default_guests(service: Service) -> int:
    """How many guests a service is booked for unless the guest says otherwise: two for a
    treatment given to several guests at once by therapists (the couples massage), else one.
    A self-guided place (the steam room) is booked per person."""
    if service.self_guided or service.max_guests < 2:
        return 1
    return 2


def add_months(day: date, months: int) -> date:
    """Return the first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_date(value: str | None) -> date | None:
    """Return the ``YYYY-MM-DD`` day in ``value``, or ``None`` (malformed or out of range)."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and within_calendar(day) else None


def parse_month(value: str | None) -> date | None:
    """Return the first day of the ``YYYY-MM`` month in ``value``, or ``None``."""
    return parse_date(f"{value}-01") if value else None


def parse_start(value: str | None) -> datetime | None:
    """Return an aware datetime from ISO-8601 with an offset, or ``None``."""
    try:
        start = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if start is None or start.utcoffset() is None or not within_calendar(start):
        return None
    return start
