"""The fields of a room, a technician, a weekly schedule and an exception, with their rules,
declared once: the spa file's entries (``coresync.spafile.schema``) extend these models and
the manager services (``resources.services``) read fields and check the rules between them
with the same models."""

import datetime as dt
from decimal import Decimal

from pydantic import Field, model_validator

from coresync.catalog.models import RoomType
from coresync.core.readers import (
    Boolean,
    Choice,
    Date,
    Fields,
    HourlyRate,
    Integer,
    ListOf,
    OptionalDate,
    OptionalTime,
    Percent,
    Slug,
    Text,
    WeeklyHours,
    check_rules,
)
from coresync.resources.models import TECHNICIAN_EXCEPTION_KINDS


class RoomFields(Fields):
    """A room and its weekly opening ``hours`` (a day left out is closed)."""

    slug: Slug
    name: Text(120)
    room_type: Choice(RoomType.values, "room type") = Field(alias="type")
    capacity: Integer(1, 100)
    features: ListOf(Slug, unique=True) = []
    premium_modifier_percent: Percent(-100, 500) = Decimal(0)
    hours: WeeklyHours = {}
    active: Boolean = True


class TechnicianFields(Fields):
    """A technician; their hours are :class:`ScheduleFields`, their time away
    :class:`AbsenceFields`."""

    slug: Slug
    name: Text(120)
    skills: ListOf(Slug, unique=True) = []
    hourly_rate: HourlyRate = Decimal("0.00")
    bio: Text(None, blank=True) = ""
    active: Boolean = True


class ScheduleFields(Fields):
    """Weekly hours valid from ``valid_from`` to ``valid_until`` (inclusive; None = open)."""

    valid_from: OptionalDate = None
    valid_until: OptionalDate = None
    weekly_hours: WeeklyHours

    @model_validator(mode="after")
    def _rules(self) -> "ScheduleFields":
        check_rules(date_range_rule(self.valid_from, self.valid_until))
        return self


def date_range_rule(
    valid_from: dt.date | None, valid_until: dt.date | None
) -> tuple[str, str, bool] | None:
    """The problem of a validity range that ends before it starts, if it does."""
    if valid_from and valid_until and valid_until < valid_from:
        return ("valid_until", f"{valid_until} is before valid_from {valid_from}", False)
    return None


def window_rule(start: dt.time | None, end: dt.time | None) -> tuple[str, str, bool] | None:
    """The problem of a window ``start``-``end`` (clock times) that does not end after it
    starts, if it does not."""
    if start is not None and end is not None and end <= start:
        return ("end", f'"{end:%H:%M}" is not after start "{start:%H:%M}"', False)
    return None


class ClosureFields(Fields):
    """A room's maintenance: whole days ``date``..``end_date`` or ``start``-``end`` of one."""

    date: Date
    end_date: OptionalDate = None
    start: OptionalTime = None
    end: OptionalTime = None
    note: Text(200, blank=True) = ""

    @model_validator(mode="after")
    def _rules(self) -> "ClosureFields":
        issues = [window_rule(self.start, self.end)]
        if (self.start is None) != (self.end is None):
            missing = "end" if self.end is None else "start"
            message = 'give both "start" and "end" for part of a day, or neither for whole days'
            issues = [(missing, message, True)]
        if self.end_date is not None and self.end_date < self.date:
            issues.append(("end_date", f"{self.end_date} is before date {self.date}", False))
        elif self.start is not None and self.end_date not in (None, self.date):
            issues.append(
                ("end_date", "a part-day exception (start/end) covers one date only", False)
            )
        check_rules(*issues)
        return self


class AbsenceFields(ClosureFields):
    """A technician's exception (day off, holiday…), whole days or part of one."""

    kind: Choice(TECHNICIAN_EXCEPTION_KINDS, "kind")
