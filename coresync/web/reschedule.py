"""The reschedule pages of My account (issue 18 item 3): choose a day, the therapist (the
booked one by default, another, or any) and a time; then a review of old → new time,
therapist, price difference and policy; only the review's confirm button moves the booking
(through :func:`coresync.bookings.services.reschedule_booking`)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from coresync.bookings.models import Booking
from coresync.bookings.policy import policy_for
from coresync.bookings.services import (
    ANY_TECHNICIAN,
    ReschedulePlan,
    booked_technician_slugs,
    reschedule_availability_request,
)
from coresync.core.clock import local_date
from coresync.core.errors import InvalidInput
from coresync.memberships.selectors import get_customer_access
from coresync.resources.models import Technician
from coresync.scheduling.loader import candidate_technicians
from coresync.scheduling.selectors import get_availability
from coresync.spa.selectors import get_settings
from coresync.web.booking_flow import (
    CalendarView,
    PlanWindow,
    TimeGroup,
    add_months,
    calendar_view,
    group_times,
    last_first_month,
    longer_window,
    parse_date,
    parse_month,
    plan_windows,
    windows_sentence,
)

KEEP = ""
"""The ``technician`` value that keeps the booked therapist(s) (the default)."""


@dataclass(frozen=True)
class TherapistOption:
    """One entry of the therapist choice: ``value`` is "" (keep), a slug or ``any``."""

    value: str
    label: str
    selected: bool


@dataclass
class RescheduleOptions:
    """What the reschedule picker shows."""

    calendar: CalendarView
    chosen_day: date | None
    technician: str
    therapist_options: list[TherapistOption]
    kept_names: str
    time_groups: list[TimeGroup]
    prev_url: str | None
    next_url: str | None
    message: str = ""
    window_end: date | None = None
    next_window: PlanWindow | None = None
    windows_text: str = ""


def parse_technician_choice(value: str | None) -> str:
    """Return the therapist choice of a request: "" (keep), ``any`` or a slug-looking
    value (checked later by the availability request)."""
    value = (value or "").strip()
    if value == ANY_TECHNICIAN:
        return ANY_TECHNICIAN
    if value and len(value) <= 50 and all(ch.isalnum() or ch in "-_" for ch in value):
        return value
    return KEEP


def service_technician(choice: str) -> str | None:
    """Map a page choice to the ``technician`` argument of the reschedule service (``None``
    keeps the booked therapist(s))."""
    return choice or None


def technician_names(slugs) -> str:
    """Return the names of the technicians with ``slugs`` joined with "and", in order."""
    names = dict(Technician.objects.filter(slug__in=list(slugs)).values_list("slug", "name"))
    ordered = [names.get(slug, slug) for slug in slugs]
    return _(" and ").join(ordered)


def reschedule_options(
    booking: Booking, params, user, *, now: datetime, access_token: str = ""
) -> RescheduleOptions:
    """Return the picker for ``booking``: the same service, duration, add-ons and guests on
    the calendar of the customer's current access, with times for the chosen therapist.
    ``access_token`` (a booking link's ``?access=``) is carried along in the month links."""
    spa = get_settings()
    today = local_date(now, spa.zone)
    access = get_customer_access(user, today, spa)
    chosen_day = parse_date(params.get("date"))
    if chosen_day is not None and chosen_day < today:
        chosen_day = None
    kept = booked_technician_slugs(booking)
    choice = parse_technician_choice(params.get("technician"))
    message = ""
    day = chosen_day or today
    try:
        request = _request(booking, day, choice, kept)
    except InvalidInput:
        message = _("That therapist cannot do this treatment; your therapist is kept.")
        choice = KEEP
        request = _request(booking, day, choice, kept)
    first_allowed = today.replace(day=1)
    last_allowed = last_first_month(today, access)
    wanted = parse_month(params.get("month")) or day.replace(day=1)
    first = min(max(wanted, first_allowed), last_allowed)
    times = []
    if chosen_day is not None:
        times = group_times(get_availability(request, access, now=now), spa, today)
    base = reverse("web:reschedule", args=[booking.reference])

    def month_link(month: date) -> str | None:
        if not first_allowed <= month <= last_allowed:
            return None
        query = {"month": month.strftime("%Y-%m")}
        if choice:
            query["technician"] = choice
        if access_token:
            query["access"] = access_token
        return f"{base}?{urlencode(query)}"

    return RescheduleOptions(
        calendar=calendar_view(request, access, first, now, selected=chosen_day),
        chosen_day=chosen_day,
        technician=choice,
        therapist_options=_therapist_options(booking, kept, choice),
        kept_names=technician_names(kept),
        time_groups=times,
        prev_url=month_link(add_months(first, -1)),
        next_url=month_link(add_months(first, 1)),
        message=message,
        window_end=date.fromordinal(today.toordinal() + access.advance_days),
        next_window=longer_window(access, windows := plan_windows()),
        windows_text=windows_sentence(windows),
    )


def _request(booking: Booking, day: date, choice: str, kept: tuple[str, ...]):
    """The availability question of the picker: the booked therapist(s) unless ``choice``
    names another or ``any`` (the reschedule service's own question)."""
    return reschedule_availability_request(booking, day, service_technician(choice))


def _therapist_options(
    booking: Booking, kept: tuple[str, ...], choice: str
) -> list[TherapistOption]:
    if booking.service.self_guided or not kept:
        return []
    options = [
        TherapistOption(
            KEEP,
            _("Keep %(names)s") % {"names": technician_names(kept)},
            choice == KEEP,
        )
    ]
    if booking.guests == 1:
        options += [
            TherapistOption(row.slug, row.name, choice == row.slug)
            for row in candidate_technicians(booking.service)
            if row.slug not in kept
        ]
    options.append(
        TherapistOption(ANY_TECHNICIAN, _("Any available therapist"), choice == ANY_TECHNICIAN)
    )
    return options


@dataclass(frozen=True)
class RescheduleReview:
    """The review page: the move as :func:`preview_reschedule` computed it, in the spa's
    time zone, with the policy that will apply at the new time."""

    plan: ReschedulePlan
    old_start: datetime
    old_end: datetime
    new_start: datetime
    new_end: datetime
    old_names: str
    new_names: str
    technician: str
    free_until: datetime
    back_url: str

    @property
    def price_difference(self) -> Decimal:
        return self.plan.price_difference

    @property
    def price_difference_abs(self) -> Decimal:
        return abs(self.plan.price_difference)


def review_of(plan: ReschedulePlan, technician: str, *, access_token: str = "") -> RescheduleReview:
    """Return what the review page shows for ``plan``; ``access_token`` (a booking link's
    ``?access=``) is carried along in the back link."""
    booking = plan.booking
    zone = get_settings().zone
    query = {"date": plan.slot.start.astimezone(zone).date().isoformat()}
    if technician:
        query["technician"] = technician
    if access_token:
        query["access"] = access_token
    return RescheduleReview(
        plan=plan,
        old_start=booking.start.astimezone(zone),
        old_end=booking.end.astimezone(zone),
        new_start=plan.slot.start.astimezone(zone),
        new_end=plan.slot.end.astimezone(zone),
        old_names=technician_names(booked_technician_slugs(booking)),
        new_names=technician_names(plan.technician_slugs),
        technician=technician,
        free_until=policy_for(booking).free_until(plan.slot.start).astimezone(zone),
        back_url=f"{reverse('web:reschedule', args=[booking.reference])}?{urlencode(query)}",
    )
