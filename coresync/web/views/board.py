"""The front desk's day board and booking on behalf (docs/front-desk.md; SPEC §7, §4).

Front desk and managers only (:func:`coresync.web.views.desk.desk_only`: anyone else gets the
sign-in page or a 404). Each button posts to one service of :mod:`coresync.dashboard.services`,
which calls the booking service with its rules and history; a refusal is shown as a message
and nothing changes. Times typed in forms are spa wall-clock times.

The board refreshes itself with htmx every 20 seconds, and on the ``board-changed`` event on
``<body>``: the real-time channel only has to fire that event to refresh it at once.
"""

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coresync.accounts.models import Role, User
from coresync.bookings.models import Booking
from coresync.catalog.models import AddOn, ServiceVariant
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import DomainError
from coresync.dashboard import services as desk
from coresync.dashboard.selectors import BOARD_STEP_MINUTES, day_board, find_customers
from coresync.resources.models import Technician
from coresync.spa.selectors import get_settings
from coresync.web.views.desk import desk_only

VIEWS = ("rooms", "technicians")
ACTION_LABELS = {
    "check_in": _("Check in"),
    "complete": _("Complete"),
    "no_show": _("No-show"),
    "cancel": _("Cancel"),
}


def _day(value: str, today: date) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return today


def _board_url(day: date, view: str) -> str:
    return f"{reverse('web:desk_board')}?{urlencode({'date': day.isoformat(), 'view': view})}"


def _choices(data: Any) -> dict[str, Any]:
    """The service and its options from a desk booking form: ``service`` is a slug or
    ``slug@minutes`` (one option per duration), ``addons`` the ticked add-ons' slugs,
    ``guests`` a whole number (1 when left empty).

    Raises:
        DomainError: a guest count that is not a whole number from 1.
    """
    service, _at, minutes = data.get("service", "").partition("@")
    guests = data.get("guests") or "1"
    if not guests.isdigit() or int(guests) < 1:
        raise DomainError(_("Enter the number of guests as a whole number, 1 or more."))
    return {
        "service": service,
        "duration_minutes": int(minutes) if minutes.isdigit() else None,
        "addon_slugs": tuple(data.getlist("addons")),
        "guests": int(guests),
    }


def _local_start(day_text: str, time_text: str) -> datetime:
    """Return the aware instant of spa-local ``day_text`` ``time_text`` (``HH:MM``)."""
    try:
        day, wall = date.fromisoformat(day_text), time.fromisoformat(time_text)
    except ValueError as error:
        raise DomainError(_("Enter a date and a time.")) from error
    return datetime.combine(day, wall, tzinfo=get_settings().zone)


@desk_only
def board(request: HttpRequest) -> HttpResponse:
    """The day as a grid of rooms (or technicians) × time, each booking a block."""
    now, zone = clock_now(), get_settings().zone
    today = local_date(now, zone)
    day = _day(request.GET.get("date", ""), today)
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "rooms"
    the_board = day_board(day, now)
    context = {
        "board": the_board,
        "columns": the_board.rooms if view == "rooms" else the_board.technicians,
        "view": view,
        "day": day,
        "today": today,
        "action_labels": ACTION_LABELS,
        "board_url": _board_url(day, view),
        "other_view_url": _board_url(day, "technicians" if view == "rooms" else "rooms"),
        "previous_url": _board_url(date.fromordinal(day.toordinal() - 1), view),
        "next_url": _board_url(date.fromordinal(day.toordinal() + 1), view),
        "technicians": Technician.objects.filter(is_active=True).order_by("name"),
        "row_range": range(1, the_board.rows + 1),
        # Each grid row's spa-local start, for dragging a block to a new time (desk.js): the
        # server says it, so a DST day needs no time-zone arithmetic in the browser.
        "row_times": ",".join(
            (the_board.starts + timedelta(minutes=BOARD_STEP_MINUTES * index))
            .astimezone(zone)
            .strftime("%H:%M")
            for index in range(the_board.rows)
        ),
    }
    return render(request, "web/desk/board.html", context)


@require_POST
@desk_only
def board_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Check in, complete, mark a no-show, cancel or move one booking from the board."""
    booking = Booking.objects.filter(reference=reference).first()
    if booking is None or action not in (*ACTION_LABELS, "move"):
        raise Http404
    back = request.POST.get("back", "")
    if not back.startswith(reverse("web:desk_board")):
        back = reverse("web:desk_board")
    try:
        if action == "move":
            start = _local_start(request.POST.get("date", ""), request.POST.get("time", ""))
            booking = desk.move_booking(
                booking,
                start=start,
                actor=request.user,
                technician=request.POST.get("technician") or None,
            )
        else:
            booking = desk.run_desk_action(
                booking, action, actor=request.user, reason=request.POST.get("reason", "")
            )
    except DomainError as error:
        messages.error(request, f"{reference}: {error.message}")
    else:
        guest = booking.guest_name or (booking.customer.name if booking.customer else "")
        text = _("%(reference)s, %(guest)s: %(status)s.") % {
            "reference": reference,
            "guest": guest,
            "status": booking.get_status_display(),
        }
        if action == "move":
            moved = {
                "reference": reference,
                "guest": guest,
                "time": booking.start.astimezone(get_settings().zone)
                .strftime("%I:%M %p")
                .lstrip("0"),
            }
            if booking.technician:
                moved["name"] = booking.technician.name
                text = _("%(reference)s, %(guest)s: moved to %(time)s with %(name)s.") % moved
            else:
                text = _("%(reference)s, %(guest)s: moved to %(time)s.") % moved
        if booking.cancellation_fee:
            text += " " + _("Fee %(fee)s.") % {"fee": f"${booking.cancellation_fee}"}
        messages.success(request, text)
    return redirect(back)


@desk_only
def book(request: HttpRequest) -> HttpResponse:
    """Find or add a customer, then book on their behalf at a chosen time or as a walk-in at
    the next free start today."""
    zone = get_settings().zone
    today = local_date(clock_now(), zone)
    query = request.GET.get("q", "") or request.POST.get("q", "")
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    customer = (
        User.objects.filter(pk=customer_id, role=Role.CUSTOMER).first()
        if customer_id and customer_id.isdigit()
        else None
    )
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "add_customer":
                customer = desk.add_customer(
                    actor=request.user,
                    name=request.POST.get("name", ""),
                    email=request.POST.get("email", ""),
                    phone=request.POST.get("phone", ""),
                )
                messages.success(request, _("Customer added."))
                return redirect(f"{reverse('web:desk_book')}?customer={customer.pk}")
            if customer is None:
                raise DomainError(_("Choose a customer first."))
            choices = _choices(request.POST)
            if step == "walk_in":
                booking = desk.book_walk_in(actor=request.user, customer=customer, **choices)
            else:
                booking = desk.book_for_customer(
                    actor=request.user,
                    customer=customer,
                    **choices,
                    start=_local_start(request.POST.get("date", ""), request.POST.get("time", "")),
                    technician=request.POST.get("technician") or None,
                    guest_name=request.POST.get("guest_name", ""),
                    notes=request.POST.get("notes", ""),
                )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            local = booking.start.astimezone(zone)
            messages.success(
                request,
                _("%(reference)s booked for %(name)s at %(time)s.")
                % {
                    "reference": booking.reference,
                    "name": customer.name,
                    "time": local.strftime("%I:%M %p").lstrip("0"),
                },
            )
            return redirect(_board_url(local.date(), "rooms"))
    context = {
        "query": query,
        "results": find_customers(query) if query and customer is None else [],
        "customer": customer,
        "variants": ServiceVariant.objects.filter(service__is_active=True)
        .select_related("service")
        .order_by("service__name", "minutes"),
        "addons": AddOn.objects.filter(is_active=True).order_by("name"),
        "technicians": Technician.objects.filter(is_active=True).order_by("name"),
        "today": today,
    }
    return render(request, "web/desk/book.html", context)
