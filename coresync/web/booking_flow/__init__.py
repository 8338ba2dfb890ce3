"""The booking page's state (SPEC §4; docs/website.md "Booking flow"), in three modules:
``params`` (the steps, reading the query string), ``calendar`` (the two-month calendar and the
plans' windows) and ``steps`` (the flow itself).

Every choice lives in the page's query string (``/book/?service=swedish&duration=60&date=…``),
so a reload, the back button or a sign-in in the middle restores the same choices. This module
reads those parameters, checks them in order with the availability engine — the same
functions the API and ``create_booking`` use — and says which step is open:

1. ``treatment``: service, duration, guests (the engine needs them to find times);
2. ``date``: a day of the two-month calendar;
3. ``time``: a start on that day;
4. ``technician``: "any" or one who is free then (skipped for self-guided services);
5. ``details``: preferences and add-ons, with the live quote;
6. ``confirm``.

A choice that no longer holds (a time taken meanwhile, an add-on that makes the service too
long for that start, a technician who does not perform the new service) is dropped with a
message on its step, and the steps after it close. Nothing here decides a business rule: it
composes selectors and reports what they say.
"""

from coresync.web.booking_flow.calendar import (
    CalendarView,
    DayCell,
    MonthView,
    PlanWindow,
    calendar_months,
    calendar_view,
    day_label,
    last_first_month,
    longer_window,
    month_label,
    plan_windows,
    weekday_names,
    windows_sentence,
)
from coresync.web.booking_flow.params import (
    ANY_TECHNICIAN,
    DROPPED_BY,
    GUEST_NAME_MAX_LENGTH,
    STATE_ORDER,
    STEPS,
    add_months,
    default_guests,
    parse_date,
    parse_month,
    parse_start,
)
from coresync.web.booking_flow.steps import (
    BookingFlow,
    StepView,
    TechnicianChoice,
    TimeGroup,
    group_times,
    load_open_steps,
    offer_at,
    read_flow,
    technicians_at,
)

__all__ = [
    "ANY_TECHNICIAN",
    "DROPPED_BY",
    "GUEST_NAME_MAX_LENGTH",
    "STATE_ORDER",
    "STEPS",
    "BookingFlow",
    "CalendarView",
    "DayCell",
    "MonthView",
    "PlanWindow",
    "StepView",
    "TechnicianChoice",
    "TimeGroup",
    "add_months",
    "calendar_months",
    "calendar_view",
    "day_label",
    "default_guests",
    "group_times",
    "last_first_month",
    "load_open_steps",
    "longer_window",
    "month_label",
    "offer_at",
    "parse_date",
    "parse_month",
    "parse_start",
    "plan_windows",
    "read_flow",
    "technicians_at",
    "weekday_names",
    "windows_sentence",
]
