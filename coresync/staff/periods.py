"""Weekly pay periods (SPEC §7 "weekly, Thursday 18:00"): which period an instant or a
spa-local day falls in.

A period starts at the spa-local weekday and time of ``PAYROLL_PERIOD_START`` (``"thu
18:00"`` by default) and ends at the same wall-clock time a week later, so across a DST change
it lasts 167 or 169 real hours. A start time that does not exist that day (inside the spring
gap) starts the period at the jump.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from coresync.core.clock import UTC, WEEKDAY_KEYS, local_midnight_utc
from coresync.scheduling.engine import wall_instants


@dataclass(frozen=True)
class PeriodSpan:
    """A pay period: ``starts_at``..``ends_at`` UTC, half-open; ``first_day`` is the local
    day it starts on (the cut's day), ``last_day`` the local day it ends on."""

    starts_at: datetime
    ends_at: datetime
    first_day: date
    last_day: date

    def contains(self, instant: datetime) -> bool:
        return self.starts_at <= instant < self.ends_at

    @property
    def inner_day(self) -> date:
        """A spa-local day wholly inside the period (the day after the cut's day), so
        :func:`period_for_day` of it is this period whatever the cut time: links use it."""
        return self.first_day + timedelta(days=1)

    @property
    def key(self) -> str:
        """The period's name in URLs and file names: its first local day, ``2026-11-26``."""
        return self.first_day.isoformat()


def period_start_rule() -> tuple[int, time]:
    """Return ``(weekday, wall time)`` of ``PAYROLL_PERIOD_START`` (Monday = 0); settings
    checked its shape at start-up."""
    day, clock = settings.PAYROLL_PERIOD_START.split()
    return WEEKDAY_KEYS.index(day), time.fromisoformat(clock)


def _cut(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Return the instant the wall clock shows ``day`` ``wall`` (the first one in a fall-back
    overlap; the jump itself for a time inside the spring gap)."""
    instants = wall_instants(day, wall, zone)
    if instants:
        return instants[0]
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _span(first_day: date, wall: time, zone: ZoneInfo) -> PeriodSpan:
    last_day = first_day + timedelta(days=7)
    return PeriodSpan(_cut(first_day, wall, zone), _cut(last_day, wall, zone), first_day, last_day)


def period_containing(instant: datetime, zone: ZoneInfo) -> PeriodSpan:
    """Return the pay period that contains the aware ``instant``."""
    weekday, wall = period_start_rule()
    local_day = instant.astimezone(zone).date()
    first_day = local_day - timedelta(days=(local_day.weekday() - weekday) % 7)
    span = _span(first_day, wall, zone)
    if instant < span.starts_at:
        span = _span(first_day - timedelta(days=7), wall, zone)
    return span


def period_for_day(day: date, zone: ZoneInfo) -> PeriodSpan:
    """Return the pay period that contains the start (local midnight) of spa-local ``day``:
    with the Thursday 18:00 cut, a Thursday belongs to the period that ends that evening."""
    return period_containing(local_midnight_utc(day, zone), zone)


def previous_period(span: PeriodSpan, zone: ZoneInfo) -> PeriodSpan:
    """Return the period just before ``span``."""
    return period_containing(span.starts_at - timedelta(seconds=1), zone)


def next_period(span: PeriodSpan, zone: ZoneInfo) -> PeriodSpan:
    """Return the period just after ``span``."""
    return period_containing(span.ends_at, zone)
