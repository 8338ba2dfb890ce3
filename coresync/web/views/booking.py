"""The booking page (SPEC §4): one page whose steps open one after another.

``GET /book/`` renders the whole page, or only the flow (``#flow``) for htmx requests; every
choice is a GET of the same URL with one more parameter, so the address bar always holds the
choices (reload, back button, sign-in in between). ``POST /book/confirm/`` books.
"""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from coresync.bookings.errors import CustomerBusy
from coresync.bookings.limits import booking_attempt_retry_after
from coresync.bookings.models import BookingStatus
from coresync.checkout.services import BookingChoice, checkout_booking
from coresync.core.clock import now
from coresync.core.errors import DomainError
from coresync.notifications.content import absolute_url
from coresync.payments.online import pay_with_card_on_file, sync_payment
from coresync.scheduling.errors import SlotUnavailable
from coresync.web.booking_flow import ANY_TECHNICIAN, BookingFlow, read_flow
from coresync.web.forms import ConfirmBookingForm
from coresync.web.selectors import booking_row, customer_booking
from coresync.web.throttle import booking_page_retry_after
from coresync.web.views.errors import too_many_requests
from coresync.web.views.payment import booking_payment


def _render_flow(request: HttpRequest, flow: BookingFlow, status: int = 200) -> HttpResponse:
    partial = request.htmx and not request.htmx.history_restore_request
    template = "web/book/_flow.html" if partial else "web/book/page.html"
    context = {"flow": flow, "idempotency_key": uuid.uuid4().hex}
    return render(request, template, context, status=status)


@require_GET
def book(request: HttpRequest) -> HttpResponse:
    """Show the booking page with the choices in the query string checked. Anonymous
    visitors share the API's anonymous availability rate per address (429 past it)."""
    if not request.user.is_authenticated:
        wait = booking_page_retry_after(request)
        if wait:
            return too_many_requests(request, wait)
    return _render_flow(request, read_flow(request.GET, request.user))


@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    """Book the chosen slot for the signed-in guest; on a conflict show fresh options.

    The form carries an idempotency key made when the page was rendered, so a double
    submission books once and shows the same booking.
    """
    flow = read_flow(request.POST, request.user)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('web:login')}?{urlencode({'next': flow.confirm_url})}")
    if not flow.ready:
        # A choice no longer holds (the step says which); nothing was booked.
        return _render_flow(request, flow, status=409)
    form = ConfirmBookingForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            flow.add_message("confirm", f"{form.fields[name].label}: {' '.join(errors)}")
        return _render_flow(request, flow, status=400)
    retry_after = booking_attempt_retry_after(request.user)
    if retry_after is not None:
        minutes = max(1, -(-retry_after // 60))
        flow.add_message(
            "confirm",
            ngettext(
                "You have made many bookings in a short time. Please try again in %(minutes)d"
                " minute.",
                "You have made many bookings in a short time. Please try again in %(minutes)d"
                " minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        response = _render_flow(request, flow, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    try:
        # The one booking step of every channel: with Stripe the booking waits for its
        # payment exactly as an API booking does (coresync.checkout.services).
        result = checkout_booking(
            customer=request.user,
            choice=BookingChoice(
                service=flow.service.slug,
                start=flow.start,
                duration_minutes=flow.duration,
                addon_slugs=[addon.slug for addon in flow.addons],
                guests=flow.guests,
                technician=None
                if flow.is_couple or flow.technician == ANY_TECHNICIAN
                else flow.technician,
                technicians=flow.named_technicians if flow.is_couple else (),
                preferences=flow.preferences,
                notes=form.cleaned_data["notes"],
                guest_name=flow.guest_name,
                gift_card=form.cleaned_data["gift_card"].strip(),
            ),
            idempotency_key=form.cleaned_data["idempotency_key"] or None,
            actor=request.user,
        )
    except SlotUnavailable:
        flow = read_flow(request.POST, request.user)
        if flow.ready:  # the lock was busy rather than the slot taken
            flow.add_message(
                "confirm",
                _("Someone else is booking that time right now. Please try again in a moment."),
            )
        return _render_flow(request, flow, status=409)
    except CustomerBusy as error:
        flow.add_message(
            "confirm",
            _(
                "You already have a booking at this time (%(reference)s). If this one is for"
                " someone else, add their name under “Booking for someone else?” above."
            )
            % {"reference": error.params.get("booking", "")},
        )
        return _render_flow(request, flow, status=error.status)
    except DomainError as error:
        flow.add_message("confirm", error.message)
        return _render_flow(request, flow, status=error.status)
    if result.awaiting_payment:
        return _pay(request, result.booking)
    return redirect("web:book_done", reference=result.booking.reference)


def _pay(request: HttpRequest, booking) -> HttpResponse:
    """After booking with Stripe: one tap with the card on file when asked (and it went
    through), else the payment page (Payment Element, 3-D Secure)."""
    pay_page = reverse("web:book_pay", args=[booking.reference])
    payment = booking_payment(booking)
    if payment is None or request.POST.get("pay") != "card_on_file":
        return redirect(pay_page)
    done = reverse("web:book_done", args=[booking.reference])
    try:
        outcome = pay_with_card_on_file(payment, return_url=absolute_url(done))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(pay_page)
    if outcome.status == "succeeded":
        return redirect(done)
    if outcome.message:
        messages.error(request, outcome.message)
    return redirect(pay_page)


@require_GET
@login_required
def done(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation page of a booking the guest just made."""
    booking = customer_booking(request.user, reference)
    if booking is None:
        raise Http404("No such booking.")
    payment = booking_payment(booking) if booking.status == BookingStatus.PENDING else None
    if payment is not None and request.GET.get("payment_intent"):
        # Back from the payment page: the webhook may still be on its way.
        sync_payment(payment)
        booking = customer_booking(request.user, reference)
        payment = booking_payment(booking) if booking.status == BookingStatus.PENDING else None
    context = {
        "payment_open": payment is not None,
        "booking": booking,
        "row": booking_row(booking, now()),
        "arrival": settings.SPA_WHAT_TO_BRING,
    }
    return render(request, "web/book/done.html", context)
