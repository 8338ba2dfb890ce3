"""The staff portal (docs/staff.md): a technician's day and week, clock, hours and time off;
a manager's approvals, reassignments and payroll.

Technicians see bookings only as :class:`coresync.staff.selectors.StaffBooking` (the guest's
first name, preferences and notes; never contact details). Every form posts to one service
and comes back with a message; a refusal (``DomainError``) is shown, nothing half-done.
Times typed in forms are spa wall-clock times.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import cancel_booking
from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.calendars.selectors import feed_url, webcal_url
from coresync.calendars.services import create_feed
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import DomainError, InvalidInput
from coresync.resources.models import Technician
from coresync.spa.selectors import get_settings
from coresync.staff.exports import CONTENT_TYPES, filename, payroll_file
from coresync.staff.models import (
    TIME_OFF_KINDS,
    TimeEntry,
    TimeEntryStatus,
    TimeOffRequest,
    TimeOffStatus,
)
from coresync.staff.periods import next_period, period_containing, period_for_day, previous_period
from coresync.staff.selectors import (
    entries_in,
    entry_hours,
    is_manager,
    open_entry,
    payroll_report,
    reassignment_queue,
    technician_bookings,
    technician_of,
)
from coresync.staff.services import (
    add_time_entry,
    approve_entry,
    approve_time_off,
    cancel_time_off,
    clock_in,
    clock_out,
    close_pay_period,
    decline_time_off,
    edit_entry,
    end_break,
    reassign_booking,
    reject_entry,
    request_time_off,
    set_pay_rate,
    start_break,
)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/staff/forbidden.html", {"message": message}, status=403)


def technician_page(view: Callable) -> Callable:
    """Signed-in technicians only (a manager without a technician profile goes to the
    manager's pages); the view gets ``technician``."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        technician = technician_of(request.user)
        if technician is None:
            if is_manager(request.user):
                return redirect("web:staff_manage")
            return _forbidden(request, "These pages are for the spa's technicians.")
        return view(request, technician, *args, **kwargs)

    return wrapped


def manager_page(view: Callable) -> Callable:
    """Signed-in managers only."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not is_manager(request.user):
            return _forbidden(request, "These pages are for the spa's managers.")
        return view(request, *args, **kwargs)

    return wrapped


def _zone():
    return get_settings().zone


def _day(request: HttpRequest, today: date) -> date:
    """Return ``?date=YYYY-MM-DD`` (today when absent or malformed)."""
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the form's ``next`` (a path of this site) or ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _with_date(name: str, day: date, *args) -> str:
    return f"{reverse(name, args=args)}?{urlencode({'date': day.isoformat()})}"


def _local(value: str, field: str) -> datetime:
    """Read a ``datetime-local`` value (``2026-12-01T09:00``) as spa time; a time that
    occurs twice (fall back) is its first occurrence.

    Raises:
        InvalidInput: naming ``field``.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"Give a date and time for {field.replace('_', ' ')}.", fields={field: "Required."}
        ) from None
    if parsed.tzinfo is not None:
        raise InvalidInput("Give a spa time without an offset.", fields={field: "No offset."})
    return parsed.replace(tzinfo=_zone())


def _run(request: HttpRequest, action: Callable, success: str) -> bool:
    """Call ``action()``; show ``success`` or the refusal's message. Return whether it
    succeeded."""
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


# -- technicians -----------------------------------------------------------------------------


WAITING_STATUSES = (TimeEntryStatus.PENDING, TimeEntryStatus.OPEN)


def _totals(entries, now: datetime) -> dict[str, Decimal]:
    """Return the ``approved`` hours and those still ``waiting`` (pending or running)."""
    return {
        "approved": sum(
            (entry_hours(row) for row in entries if row.status == TimeEntryStatus.APPROVED),
            Decimal("0.00"),
        ),
        "waiting": sum(
            (entry_hours(row, until=now) for row in entries if row.status in WAITING_STATUSES),
            Decimal("0.00"),
        ),
    }


def _clock_context(technician: Technician, now: datetime) -> dict:
    entry = open_entry(technician)
    period = period_containing(now, _zone())
    entries = list(entries_in(period, [technician.pk]))
    return {
        "open_entry": entry,
        "on_break": bool(entry and any(pause.ended_at is None for pause in entry.breaks.all())),
        "worked_now": entry_hours(entry, until=now) if entry else None,
        "period": period,
        **_totals(entries, now),
    }


@technician_page
def today(request: HttpRequest, technician: Technician) -> HttpResponse:
    """One day of the technician's bookings (``?date=``, today by default) and the clock."""
    now = clock_now()
    current = local_date(now, _zone())
    day = _day(request, current)
    context = {
        "technician": technician,
        "day": day,
        "is_today": day == current,
        "bookings": technician_bookings(technician, day, day),
        "previous_url": _with_date("web:staff_today", day - timedelta(days=1)),
        "next_url": _with_date("web:staff_today", day + timedelta(days=1)),
        "today_url": reverse("web:staff_today"),
        "week_url": _with_date("web:staff_week", day),
        "sheet_url": _with_date("web:staff_day_sheet", day),
        "section": "today",
        **_clock_context(technician, now),
    }
    return render(request, "web/staff/today.html", context)


@technician_page
def week(request: HttpRequest, technician: Technician) -> HttpResponse:
    """Monday to Sunday around ``?date=``, and the private calendar feed."""
    now = clock_now()
    zone = _zone()
    current = local_date(now, zone)
    day = _day(request, current)
    monday = day - timedelta(days=day.weekday())
    bookings = technician_bookings(technician, monday, monday + timedelta(days=6))
    days = []
    for offset in range(7):
        each = monday + timedelta(days=offset)
        days.append(
            {
                "date": each,
                "is_today": each == current,
                "url": _with_date("web:staff_today", each),
                "bookings": [row for row in bookings if local_date(row.start, zone) == each],
            }
        )
    feed = CalendarFeed.objects.live().filter(kind=FeedKind.TECHNICIAN, technician=technician)
    feed = feed.first()
    context = {
        "technician": technician,
        "days": days,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_url": _with_date("web:staff_week", monday - timedelta(days=7)),
        "next_url": _with_date("web:staff_week", monday + timedelta(days=7)),
        "feed_url": feed_url(feed) if feed else "",
        "webcal_url": webcal_url(feed) if feed else "",
        "section": "week",
    }
    return render(request, "web/staff/week.html", context)


@technician_page
def day_sheet(request: HttpRequest, technician: Technician) -> HttpResponse:
    """The day printed on one page: time, service, duration, add-ons, room, guest's first
    name, preferences and notes."""
    day = _day(request, local_date(clock_now(), _zone()))
    context = {
        "technician": technician,
        "day": day,
        "bookings": technician_bookings(technician, day, day),
        "back_url": _with_date("web:staff_today", day),
    }
    return render(request, "web/staff/day_sheet.html", context)


CLOCK_ACTIONS = {
    "in": (clock_in, "Clocked in."),
    "out": (clock_out, "Clocked out. Your entry waits for a manager's approval."),
    "break-start": (start_break, "Break started."),
    "break-end": (end_break, "Welcome back: break ended."),
}


@require_POST
@technician_page
def clock(request: HttpRequest, technician: Technician) -> HttpResponse:
    """Clock in or out, start or end a break (``action``)."""
    chosen = CLOCK_ACTIONS.get(request.POST.get("action", ""))
    if chosen is None:
        messages.error(request, "Unknown clock action.")
    else:
        action, success = chosen
        _run(request, lambda: action(technician, actor=request.user), success)
    return _back(request, reverse("web:staff_today"))


@technician_page
def hours(request: HttpRequest, technician: Technician) -> HttpResponse:
    """The technician's entries in a pay period (``?date=``) and the form for time worked
    without clocking (a reason is asked)."""
    now = clock_now()
    zone = _zone()
    day = _day(request, local_date(now, zone))
    period = period_for_day(day, zone)
    if request.method == "POST":

        def record():
            reason = request.POST.get("note", "").strip()
            if not reason:
                raise InvalidInput(
                    "Say why the time was not clocked.", fields={"note": "Required."}
                )
            add_time_entry(
                technician,
                started_at=_local(request.POST.get("started_at", ""), "started_at"),
                ended_at=_local(request.POST.get("ended_at", ""), "ended_at"),
                note=reason,
                actor=request.user,
            )

        if _run(request, record, "Hours recorded; they wait for a manager's approval."):
            return redirect(_with_date("web:staff_hours", day))
    entries = sorted(entries_in(period, [technician.pk]), key=lambda row: row.started_at)
    rows = [{"entry": row, "hours": entry_hours(row, until=now)} for row in entries]
    context = {
        "technician": technician,
        "period": period,
        "rows": rows,
        **_totals(entries, now),
        "previous_url": _with_date("web:staff_hours", previous_period(period, zone).inner_day),
        "next_url": _with_date("web:staff_hours", next_period(period, zone).inner_day),
        "form": request.POST if request.method == "POST" else {},
        "section": "hours",
    }
    return render(request, "web/staff/hours.html", context)


@technician_page
def time_off(request: HttpRequest, technician: Technician) -> HttpResponse:
    """The technician's time-off requests and the form to ask for a day, a range or part of
    a day."""
    if request.method == "POST":
        part_day = request.POST.get("length") == "part"
        values = {
            "kind": request.POST.get("kind", ""),
            "date": request.POST.get("date", ""),
            "end_date": (request.POST.get("end_date") or None) if not part_day else None,
            "start": (request.POST.get("start") or None) if part_day else None,
            "end": (request.POST.get("end") or None) if part_day else None,
            "reason": request.POST.get("reason", ""),
        }
        if _run(
            request,
            lambda: request_time_off(technician, values, actor=request.user),
            "Request sent; a manager will approve or decline it.",
        ):
            return redirect("web:staff_time_off")
    context = {
        "technician": technician,
        "requests": TimeOffRequest.objects.filter(technician=technician).order_by("-date", "-pk")[
            :50
        ],
        "kinds": [(kind.value, kind.label) for kind in TIME_OFF_KINDS],
        "form": request.POST if request.method == "POST" else {},
        "section": "time_off",
    }
    return render(request, "web/staff/time_off.html", context)


@require_POST
@technician_page
def time_off_cancel(request: HttpRequest, technician: Technician, pk: int) -> HttpResponse:
    """Withdraw one of the technician's pending requests."""
    request_row = get_object_or_404(TimeOffRequest, pk=pk, technician=technician)
    _run(request, lambda: cancel_time_off(request_row, actor=request.user), "Request withdrawn.")
    return redirect("web:staff_time_off")


@require_POST
@technician_page
def calendar_feed(request: HttpRequest, technician: Technician) -> HttpResponse:
    """Create (or show again) the technician's private ICS feed."""
    create_feed(kind=FeedKind.TECHNICIAN, owner=technician, created_by=request.user)
    messages.success(request, "Your private calendar link is below: keep it to yourself.")
    return redirect(f"{reverse('web:staff_week')}#calendar")


# -- managers --------------------------------------------------------------------------------


@manager_page
def manage(request: HttpRequest) -> HttpResponse:
    """What waits for a manager: entries to approve, time off to decide, bookings to
    reassign, and the pay period."""
    now = clock_now()
    pending = (
        TimeEntry.objects.filter(status=TimeEntryStatus.PENDING)
        .select_related("technician")
        .prefetch_related("breaks")
        .order_by("started_at", "pk")
    )
    context = {
        "entries": [{"entry": row, "hours": entry_hours(row)} for row in pending[:100]],
        "clocked_in": TimeEntry.objects.filter(status=TimeEntryStatus.OPEN)
        .select_related("technician")
        .order_by("started_at"),
        "time_off": TimeOffRequest.objects.filter(status=TimeOffStatus.PENDING)
        .select_related("technician")
        .order_by("date", "pk"),
        "to_reassign": Booking.objects.filter(
            status=BookingStatus.NEEDS_REASSIGNMENT, start__gt=now
        ).count(),
        "period": period_containing(now, _zone()),
        "section": "manage",
    }
    return render(request, "web/staff/manage.html", context)


@require_POST
@manager_page
def decide_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject one entry (``decision``)."""
    entry = get_object_or_404(TimeEntry, pk=pk)
    note = request.POST.get("note", "")
    if request.POST.get("decision") == "approve":
        _run(request, lambda: approve_entry(entry, actor=request.user, note=note), "Approved.")
    elif request.POST.get("decision") == "reject":
        _run(request, lambda: reject_entry(entry, actor=request.user, note=note), "Rejected.")
    else:
        messages.error(request, "Choose approve or reject.")
    return _back(request, reverse("web:staff_manage"))


@manager_page
def edit_entry_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an entry's start and end (spa time), with a reason; its history below."""
    entry = get_object_or_404(
        TimeEntry.objects.select_related("technician").prefetch_related("breaks"), pk=pk
    )
    if request.method == "POST":

        def save():
            edit_entry(
                entry,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                started_at=_local(request.POST.get("started_at", ""), "started_at"),
                ended_at=_local(request.POST.get("ended_at", ""), "ended_at")
                if request.POST.get("ended_at")
                else None,
                note=request.POST.get("note"),
            )

        if _run(request, save, "Entry corrected; the change is in its history."):
            return redirect("web:staff_manage")
    zone = _zone()
    context = {
        "entry": entry,
        "hours": entry_hours(entry, until=clock_now()),
        "started_local": entry.started_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "ended_local": entry.ended_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        if entry.ended_at
        else "",
        "history": entry.history.select_related("actor").order_by("created_at", "pk"),
        "form": request.POST if request.method == "POST" else {},
        "section": "manage",
    }
    return render(request, "web/staff/edit_entry.html", context)


@require_POST
@manager_page
def decide_time_off(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (creating the exception) or decline a time-off request."""
    row = get_object_or_404(TimeOffRequest, pk=pk)
    note = request.POST.get("note", "")
    decision = request.POST.get("decision")
    if decision == "approve":

        def approve():
            approve_time_off(row, actor=request.user, note=note)
            flagged = Booking.objects.filter(
                status=BookingStatus.NEEDS_REASSIGNMENT, technician=row.technician
            ).count()
            if flagged:
                messages.warning(
                    request,
                    f"{row.technician.name} has {flagged} booking(s) to reassign.",
                )

        _run(request, approve, "Time off approved.")
    elif decision == "decline":
        _run(
            request,
            lambda: decline_time_off(row, actor=request.user, note=note),
            "Time off declined.",
        )
    else:
        messages.error(request, "Choose approve or decline.")
    return redirect("web:staff_manage")


@manager_page
def reassign(request: HttpRequest) -> HttpResponse:
    """Bookings whose technician is away, with who is free at each start: reassign or
    cancel (free of charge)."""
    if request.method == "POST":
        booking = Booking.objects.filter(reference=request.POST.get("reference", "")).first()
        if booking is None:
            raise Http404("No such booking.")
        if request.POST.get("decision") == "cancel":
            if booking.status != BookingStatus.NEEDS_REASSIGNMENT:
                messages.error(request, "This booking no longer waits for a technician.")
            else:
                _run(
                    request,
                    lambda: cancel_booking(
                        booking, actor=request.user, reason="Your therapist is unavailable."
                    ),
                    f"{booking.reference} cancelled, free of charge; the guest is told.",
                )
        else:
            slug = request.POST.get("technician", "")
            _run(
                request,
                lambda: reassign_booking(booking, technician=slug, actor=request.user),
                f"{booking.reference} moved; the guest is told.",
            )
        return redirect("web:staff_reassign")
    context = {"rows": reassignment_queue(clock_now()), "section": "reassign"}
    return render(request, "web/staff/reassign.html", context)


@manager_page
def payroll(request: HttpRequest) -> HttpResponse:
    """The pay period of ``?date=``: totals per technician, downloads, closing, rates."""
    now = clock_now()
    zone = _zone()
    day = _day(request, local_date(now, zone))
    period = period_for_day(day, zone)
    if request.method == "POST":
        if request.POST.get("action") == "close":
            _run(
                request,
                lambda: close_pay_period(period, actor=request.user),
                "Pay period closed: its totals are frozen and the export is on its way to "
                "the managers.",
            )
        elif request.POST.get("action") == "rate":

            def set_rate():
                technician = Technician.objects.filter(
                    slug=request.POST.get("technician", "")
                ).first()
                if technician is None:
                    raise InvalidInput("Choose a technician.", fields={"technician": "Required."})
                try:
                    effective = date.fromisoformat(request.POST.get("effective_from", ""))
                except ValueError:
                    raise InvalidInput(
                        "Give the day the rate starts.", fields={"effective_from": "Required."}
                    ) from None
                set_pay_rate(
                    technician,
                    hourly_rate=request.POST.get("hourly_rate", ""),
                    effective_from=effective,
                    actor=request.user,
                )

            _run(request, set_rate, "Rate saved.")
        return redirect(_with_date("web:staff_payroll", period.inner_day))
    report = payroll_report(period)
    context = {
        "report": report,
        "period": period,
        "ended": now >= period.ends_at,
        "previous_url": _with_date("web:staff_payroll", previous_period(period, zone).inner_day),
        "next_url": _with_date("web:staff_payroll", next_period(period, zone).inner_day),
        "csv_url": _with_date("web:staff_payroll_export", period.inner_day, "csv"),
        "xlsx_url": _with_date("web:staff_payroll_export", period.inner_day, "xlsx"),
        "technicians": Technician.objects.filter(is_active=True).order_by("name"),
        "today": local_date(now, zone),
        "section": "payroll",
    }
    return render(request, "web/staff/payroll.html", context)


@manager_page
def payroll_export(request: HttpRequest, extension: str) -> HttpResponse:
    """Download the period of ``?date=`` as CSV or XLSX."""
    spa = get_settings()
    day = _day(request, local_date(clock_now(), spa.zone))
    report = payroll_report(period_for_day(day, spa.zone))
    content = payroll_file(report, extension, spa_name=spa.name, zone=spa.zone)
    response = HttpResponse(content, content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="{filename(report, extension)}"'
    return response
