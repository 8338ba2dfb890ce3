"""The booking page's two-month calendar: the days a caller may book, the booking windows of
the plans, and the labels of days, months and weekdays."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import formats
from django.utils.translation import gettext as _

from coresync.core.clock import local_date
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import CustomerAccess
from coresync.scheduling.selectors import (
    AvailabilityRequest,
    CalendarDay,
    month_calendar,
    widest_plan_access,
)
from coresync.spa.selectors import get_settings
from coresync.web.booking_flow.params import add_months


@dataclass
class MonthView:
    """One month of the calendar: Sunday-first weeks of days (``None`` pads)."""

    first: date
    weeks: list[list["DayCell | None"]]


@dataclass(frozen=True)
class DayCell:
    """A calendar day ready to render: its ISO date, state and a spoken label."""

    day: CalendarDay
    iso: str
    label: str
    selected: bool
    focus: bool
    beyond_window: bool = False
    window_end: bool = False

    @property
    def state(self) -> str:
        """What the day shows: the calendar's state, or ``beyond_plan`` for a member's day past
        their plan's window that a longer plan reaches."""
        return "beyond_plan" if self.beyond_window else self.day.state

    @property
    def css(self) -> str:
        classes = ["day", f"day--{self.state}"]
        if self.day.bookable:
            classes.append("day--bookable")
        if self.window_end:
            classes.append("day--window-end")
        if self.day.is_today:
            classes.append("day--today")
        if self.selected:
            classes.append("day--selected")
        return " ".join(classes)


def day_label(day: CalendarDay, *, beyond_window: bool = False, window_end: bool = False) -> str:
    """Return what a screen reader says for a calendar day."""
    if beyond_window:
        state = _("beyond your plan's booking window")
    elif day.state == "available":
        state = _("available")
    elif day.state == "members_only":
        state = _("members only, available to you") if day.bookable else _("members only")
    else:
        state = _("unavailable")
    label = f"{formats.date_format(day.date, 'l, F j')}: {state}"
    if day.is_today:
        label += ", " + _("today")
    if window_end:
        label += ", " + _("the last day your plan can book")
    return label


@dataclass(frozen=True)
class PlanWindow:
    """A plan's name and how many days ahead it books (for "Base 30, Premium 60…")."""

    name: str
    advance_days: int


def plan_windows() -> list[PlanWindow]:
    """Return the offered plans' booking windows, shortest first."""
    plans = MembershipPlan.objects.filter(is_active=True).order_by("advance_days", "monthly_price")
    return [PlanWindow(plan.name, plan.advance_days) for plan in plans]


def windows_sentence(windows: list[PlanWindow]) -> str:
    """Return "Base members book up to 30 days ahead, Premium 60, Unlimited 90"."""
    if not windows:
        return ""
    first, *others = windows
    text = _("%(plan)s members book up to %(days)s days ahead") % {
        "plan": first.name,
        "days": first.advance_days,
    }
    for window in others:
        text += ", " + _("%(plan)s %(days)s") % {"plan": window.name, "days": window.advance_days}
    return text


def longer_window(access: CustomerAccess, windows: list[PlanWindow]) -> PlanWindow | None:
    """Return the first plan that books further ahead than ``access`` (the next tier up)."""
    return next((window for window in windows if window.advance_days > access.advance_days), None)


@dataclass
class CalendarView:
    """Two months of days; ``focus_date`` is the day keyboard focus enters on (the selected
    day, else today, else the first bookable day)."""

    months: list[MonthView]
    weekdays: list[tuple[str, str]]
    selected: date | None
    focus_date: date | None


def last_first_month(today: date, access: CustomerAccess) -> date:
    """The latest month the two-month calendar may start at: the month before the last day
    that the caller — or, for a non-member, a member — could book."""
    widest = widest_plan_access()
    horizon = max(access.advance_days, widest.advance_days if widest else 0)
    last_day = date.fromordinal(today.toordinal() + horizon)
    return max(add_months(last_day, -1), today.replace(day=1))


def calendar_months(
    request: AvailabilityRequest, access: CustomerAccess, first: date, now: datetime
) -> list[MonthView]:
    """Return two months from ``first`` with each day's state for ``access``."""
    months = []
    for offset in (0, 1):
        month_first = add_months(first, offset)
        days = month_calendar(request, month_first.year, month_first.month, access, now=now)
        # Sunday-first weeks, as on American calendars.
        lead = (month_first.weekday() + 1) % 7
        cells: list[CalendarDay | None] = [None] * lead + list(days)
        cells += [None] * (-len(cells) % 7)
        weeks = [cells[index : index + 7] for index in range(0, len(cells), 7)]
        months.append(MonthView(first=month_first, weeks=weeks))
    return months


def calendar_view(
    request: AvailabilityRequest,
    access: CustomerAccess,
    first: date,
    now: datetime,
    *,
    selected: date | None = None,
) -> CalendarView:
    """Return the two-month calendar from ``first`` for ``access``, ``selected`` marked."""
    months = calendar_months(request, access, first, now)
    today = local_date(now, get_settings().zone)
    window_end = date.fromordinal(today.toordinal() + access.advance_days)
    reach = max((window.advance_days for window in plan_windows()), default=0)
    horizon = date.fromordinal(today.toordinal() + reach)
    days = [day for month in months for week in month.weeks for day in week if day]
    dates = {day.date for day in days}
    shown_today = next((day.date for day in days if day.is_today), None)
    bookable = next((day.date for day in days if day.bookable), None)
    focus = next(
        (candidate for candidate in (selected, shown_today, bookable) if candidate in dates),
        days[0].date if days else None,
    )

    def cell(day: CalendarDay) -> DayCell:
        # A member sees the last day of their window and, past it, the days a longer plan
        # reaches (the message on choosing one names that plan).
        beyond = access.is_member and window_end < day.date <= horizon
        last = access.is_member and day.date == window_end
        return DayCell(
            day=day,
            iso=day.date.isoformat(),
            label=day_label(day, beyond_window=beyond, window_end=last),
            selected=day.date == selected,
            focus=day.date == focus,
            beyond_window=beyond,
            window_end=last,
        )

    for month in months:
        month.weeks = [[cell(day) if day else None for day in week] for week in month.weeks]
    return CalendarView(months, weekday_names(), selected, focus)


def month_label(first: date) -> str:
    return formats.date_format(first, "F Y")


def weekday_names() -> list[tuple[str, str]]:
    """(short, full) weekday names, Sunday first, translated."""
    days = [date(2026, 11, 1 + offset) for offset in range(7)]  # 2026-11-01 is a Sunday
    return [(formats.date_format(day, "D")[:2], formats.date_format(day, "l")) for day in days]
