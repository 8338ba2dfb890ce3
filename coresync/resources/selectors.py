"""Reading rooms' and technicians' hours in the spa file's shape (docs/api-manage.md)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from coresync.resources.models import WEEKDAY_KEYS, WorkingHours


def weekly_hours(rows: Iterable[WorkingHours]) -> dict[str, list[list[str]]]:
    """Return ``{"mon": [["09:00", "13:00"], ["14:00", "18:00"]], …}``: the days that have
    windows, in weekday order, each day's windows by start."""
    by_day: dict[int, list[list[str]]] = defaultdict(list)
    for row in sorted(rows, key=lambda row: (row.weekday, row.start)):
        by_day[row.weekday].append([f"{row.start:%H:%M}", f"{row.end:%H:%M}"])
    return {WEEKDAY_KEYS[day]: windows for day, windows in sorted(by_day.items())}


def schedules(rows: Iterable[WorkingHours]) -> list[dict[str, Any]]:
    """Group a technician's hours by validity: ``[{"valid_from", "valid_until",
    "weekly_hours"}]``, earliest first (an open start first)."""
    ranges: dict[tuple[date | None, date | None], list[WorkingHours]] = defaultdict(list)
    for row in rows:
        ranges[(row.valid_from, row.valid_until)].append(row)
    ordered = sorted(
        ranges.items(), key=lambda item: (item[0][0] or date.min, item[0][1] or date.max)
    )
    return [
        {"valid_from": valid_from, "valid_until": valid_until, "weekly_hours": weekly_hours(rows)}
        for (valid_from, valid_until), rows in ordered
    ]
