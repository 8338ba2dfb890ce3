"""My account: bookings (cancel with the policy outcome shown first, reschedule), membership
(join, change, cancel), preferences and notification settings, data export and deletion."""

import json
from datetime import datetime

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coresync.accounts.preferences import NOTIFICATION_CHANNELS, PREFERENCE_FIELDS
from coresync.accounts.selectors import export_personal_data
from coresync.accounts.services import delete_account, update_profile
from coresync.bookings.services import cancel_booking, preview_reschedule, reschedule_booking
from coresync.core.clock import local_date, now
from coresync.core.errors import DomainError, InvalidInput
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import get_customer_access
from coresync.memberships.services import cancel_membership, change_plan, subscribe
from coresync.notifications.selectors import channel_enabled
from coresync.spa.selectors import get_settings
from coresync.web.booking_flow import parse_start
from coresync.web.forms import DeleteAccountForm, PlanChoiceForm, ProfileForm
from coresync.web.reschedule import (
    parse_technician_choice,
    reschedule_options,
    review_of,
    service_technician,
)
from coresync.web.selectors import (
    cancellation_preview,
    customer_booking,
    customer_bookings,
    membership_summary,
)


def _access(user, instant: datetime):
    spa = get_settings()
    today = local_date(instant, spa.zone)
    return get_customer_access(user, today, spa), today


def _booking_or_404(request: HttpRequest, reference: str):
    booking = customer_booking(request.user, reference)
    if booking is None:
        raise Http404("No such booking.")
    return booking


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Upcoming and past bookings, membership status and usage, links to settings."""
    instant = now()
    access, today = _access(request.user, instant)
    upcoming, past = customer_bookings(request.user, instant)
    context = {
        "upcoming": upcoming,
        "past": past,
        "access": access,
        "membership": membership_summary(access, today),
    }
    return render(request, "web/account/overview.html", context)


@login_required
def cancel_booking_view(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: what cancelling now costs under the policy; POST: cancel."""
    booking = _booking_or_404(request, reference)
    instant = now()
    if request.method == "POST":
        try:
            booking = cancel_booking(booking, actor=request.user, now=instant)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Booking %(reference)s is cancelled. Cancellation fee: $%(fee)s.")
                % {"reference": booking.reference, "fee": booking.cancellation_fee_or_zero},
            )
        return redirect("web:account")
    preview = cancellation_preview(booking, instant)
    template = "web/account/_cancel.html" if request.htmx else "web/account/cancel.html"
    return render(request, template, {"preview": preview, "booking": booking})


@login_required
def reschedule_booking_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Move a booking in three steps, nothing changing before the last one:

    1. GET ``?date=&technician=``: the calendar, the therapist choice (kept by default,
       another, or "any") and the free times;
    2. GET with ``start``: the review — old → new time, therapist, price difference, policy;
    3. POST ``start`` + ``technician`` from the review: the move itself.
    """
    booking = _booking_or_404(request, reference)
    instant = now()
    error_message = ""
    params = request.POST if request.method == "POST" else request.GET
    technician = parse_technician_choice(params.get("technician"))
    start = parse_start(params.get("start"))
    if request.method == "POST":
        try:
            if start is None:
                raise InvalidInput(_("Choose a new time."))
            booking = reschedule_booking(
                booking,
                start=start,
                actor=request.user,
                technician=service_technician(technician),
                now=instant,
            )
        except DomainError as error:
            error_message = error.message
        else:
            messages.success(
                request,
                _("Your %(service)s is moved to %(start)s.")
                % {
                    "service": booking.service.name,
                    "start": formats.date_format(
                        booking.start.astimezone(get_settings().zone), "l, F j, g:i A"
                    ),
                },
            )
            return redirect("web:account")
    elif start is not None:
        try:
            plan = preview_reschedule(
                booking,
                start=start,
                actor=request.user,
                technician=service_technician(technician),
                now=instant,
            )
        except DomainError as error:
            error_message = error.message
        else:
            review = review_of(plan, technician)
            return render(
                request,
                "web/account/reschedule_review.html",
                {"booking": booking, "review": review},
            )
    options = reschedule_options(booking, params, request.user, now=instant)
    access, _today = _access(request.user, instant)
    context = {
        "booking": booking,
        "access": access,
        "error_message": error_message,
        **options.__dict__,
    }
    status = 409 if error_message else 200
    return render(request, "web/account/reschedule.html", context, status=status)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Profile, spa preferences, notification channels and marketing consent."""
    user = request.user
    initial = {
        "name": user.name,
        "phone": user.phone,
        "marketing_consent": user.marketing_consent,
        **{
            f"pref_{field_.name}": (user.preferences or {}).get(field_.name, "")
            for field_ in PREFERENCE_FIELDS
        },
        **{
            f"notify_{channel}": channel_enabled(user, channel)
            for channel, _label in NOTIFICATION_CHANNELS
        },
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_profile(
                user,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                marketing_consent=form.cleaned_data["marketing_consent"],
                preferences=form.preferences(),
                notification_preferences=form.notification_preferences(),
            )
        except InvalidInput as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("Your preferences are saved."))
            return redirect("web:preferences")
    return render(request, "web/account/preferences.html", {"form": form})


@login_required
def export_data(request: HttpRequest) -> HttpResponse:
    """Download everything the spa holds on the guest, as JSON (SPEC §11)."""
    body = json.dumps(export_personal_data(request.user), cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="coresync-my-data.json"'
    return response


@login_required
def delete(request: HttpRequest) -> HttpResponse:
    """Delete (anonymize) the account after the password confirms it."""
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.user.check_password(form.cleaned_data["password"]):
            delete_account(request.user)
            logout(request)
            messages.success(request, _("Your account and personal data are deleted."))
            return redirect("web:home")
        form.add_error("password", _("The password is not right."))
    return render(request, "web/account/delete.html", {"form": form})


@require_POST
def membership_join(request: HttpRequest) -> HttpResponse:
    """Join a plan (or move to it); guests sign in or sign up first and come back."""
    choice = PlanChoiceForm(request.POST)
    plan = (
        MembershipPlan.objects.filter(slug=choice.cleaned_data["plan"], is_active=True).first()
        if choice.is_valid()
        else None
    )
    if plan is None:
        raise Http404("No such plan.")
    if not request.user.is_authenticated:
        return redirect(
            f"{reverse('web:signup')}?next={reverse('web:membership')}%23plan-{plan.slug}"
        )
    customer = request.user
    access, _today = _access(customer, now())
    try:
        if access.is_member:
            change_plan(customer, plan)
            text = _("You are now on the %(plan)s plan.")
        else:
            subscribe(customer, plan)
            text = _("Welcome to %(plan)s. Your membership is active; pay at your next visit.")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:membership")
    messages.success(request, text % {"plan": plan.name})
    return redirect("web:account")


@require_POST
@login_required
def membership_cancel(request: HttpRequest) -> HttpResponse:
    """Cancel at the end of the current period."""
    try:
        membership = cancel_membership(request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Your membership ends on %(day)s; its benefits last until then.")
            % {"day": formats.date_format(membership.ends_on, "F j, Y")},
        )
    return redirect("web:account")
