"""Hand-built engine input for the scheduling tests (no database).

Times are spa-local wall-clock strings ("09:00") in America/New_York; helpers turn them into
the engine's plain data and turn slots back into wall-clock text for exact assertions.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coresync.scheduling.engine import (
    AccessRules,
    DayException,
    HoldData,
    RoomData,
    Slot,
    TechnicianData,
    WeeklyWindow,
)

NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = range(7)


def daily(
    start: str,
    end: str,
    weekdays: Iterable[int] = EVERY_DAY,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> list[WeeklyWindow]:
    """Return the same local window on each of ``weekdays`` ("00:00" as an end = midnight)."""
    return [
        WeeklyWindow(
            weekday, time.fromisoformat(start), time.fromisoformat(end), valid_from, valid_until
        )
        for weekday in weekdays
    ]


def day_off(first: date, last: date | None = None) -> DayException:
    """Return whole local days ``first``..``last`` off."""
    return DayException(first, last or first)


def part_off(day: date, start: str, end: str) -> DayException:
    """Return the local part ``start``-``end`` of ``day`` off."""
    return DayException(day, day, time.fromisoformat(start), time.fromisoformat(end))


def technician(
    id: int,
    slug: str,
    weekly: Sequence[WeeklyWindow] | None = None,
    *,
    exceptions: Sequence[DayException] = (),
    busy: Sequence[tuple[datetime, datetime]] = (),
) -> TechnicianData:
    """Return a technician working 09:00-17:00 every day unless ``weekly`` says otherwise."""
    return TechnicianData(
        id=id,
        slug=slug,
        weekly=daily("09:00", "17:00") if weekly is None else weekly,
        exceptions=exceptions,
        busy=busy,
    )


def room(
    id: int,
    slug: str,
    weekly: Sequence[WeeklyWindow] | None = None,
    *,
    capacity: int = 1,
    shared: bool = False,
    premium: float = 0.0,
    exceptions: Sequence[DayException] = (),
    busy_by_unit: dict[int, Sequence[tuple[datetime, datetime]]] | None = None,
) -> RoomData:
    """Return a room open round the clock unless ``weekly`` says otherwise."""
    return RoomData(
        id=id,
        slug=slug,
        capacity=capacity,
        weekly=daily("00:00", "00:00") if weekly is None else weekly,
        exceptions=exceptions,
        busy_by_unit=busy_by_unit or {},
        shared=shared,
        premium_modifier_percent=premium,
    )


def hold(
    start: datetime,
    end: datetime,
    level: str,
    held_until: datetime,
    *,
    technician_id: int | None = None,
    room_id: int | None = None,
) -> HoldData:
    return HoldData(start, end, level, held_until, technician_id, room_id)


def rules(
    now: datetime,
    *,
    notice: int = 0,
    advance_days: int = 90,
    non_member_days: int = 3,
    priority: bool = False,
    vip: bool = False,
) -> AccessRules:
    """Return access rules in New York; by default no notice and a 90-day window."""
    return AccessRules(
        now=now,
        tz=NEW_YORK,
        min_notice_minutes=notice,
        advance_days=advance_days,
        non_member_advance_days=non_member_days,
        priority=priority,
        vip=vip,
    )


def at(day: date, clock: str, fold: int = 0) -> datetime:
    """Return the aware New York instant of ``day`` at wall-clock ``clock``."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=NEW_YORK).replace(fold=fold)


def clock_times(first: str, last: str, step: int) -> list[str]:
    """Return wall-clock strings from ``first`` to ``last`` inclusive every ``step`` minutes."""
    start = datetime.combine(date(2000, 1, 1), time.fromisoformat(first))
    stop = datetime.combine(date(2000, 1, 1), time.fromisoformat(last))
    times = []
    while start <= stop:
        times.append(start.strftime("%H:%M"))
        start += timedelta(minutes=step)
    return times


def wall(slots: Sequence[Slot]) -> list[str]:
    """Return each slot's local start as "HH:MM"."""
    return [slot.start.astimezone(NEW_YORK).strftime("%H:%M") for slot in slots]


def dated(slots: Sequence[Slot]) -> list[str]:
    """Return each slot's local start as "MM-DD HH:MM"."""
    return [slot.start.astimezone(NEW_YORK).strftime("%m-%d %H:%M") for slot in slots]


def table(slots: Sequence[Slot], *fields: str, clock=wall) -> list[tuple]:
    """Return ``(local start, *fields)`` per slot, e.g. ``table(slots, "room_slug")``."""
    return [
        (start, *(getattr(slot, name) for name in fields))
        for start, slot in zip(clock(slots), slots, strict=True)
    ]


def stamped(slots: Sequence[Slot]) -> list[str]:
    """Return each slot's local start in ISO 8601 with its UTC offset."""
    return [slot.start.astimezone(NEW_YORK).isoformat() for slot in slots]
