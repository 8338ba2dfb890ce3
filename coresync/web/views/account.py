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

from coresync.accounts.preferences import (
    NOTIFICATION_CHANNELS,
    NOTIFICATION_KINDS,
    PREFERENCE_FIELDS,
    saved_preferences,
)
from coresync.accounts.selectors import export_personal_data
from coresync.accounts.services import delete_account, update_profile
from coresync.bookings.services import cancel_booking, reschedule_booking
from coresync.core.clock import local_date, now
from coresync.core.errors import DomainError, InvalidInput
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import get_customer_access, open_membership
from coresync.memberships.services import cancel_membership, change_plan, subscribe
from coresync.notifications.selectors import channel_enabled, kind_enabled
from coresync.spa.selectors import get_settings
from coresync.web.booking_flow import parse_start, reschedule_options
from coresync.web.forms import DeleteAccountForm, PlanChoiceForm, ProfileForm
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
        "membership": membership_summary(access, today, request.user),
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
    """Pick a new day (GET ``?date=``) and time (POST ``start``) for a booking."""
    booking = _booking_or_404(request, reference)
    instant = now()
    error_message = ""
    if request.method == "POST":
        start = parse_start(request.POST.get("start"))
        try:
            if start is None:
                raise InvalidInput(_("Choose a new time."))
            booking = reschedule_booking(booking, start=start, actor=request.user, now=instant)
        except DomainError as error:
            error_message = error.message
        else:
            messages.success(
                request,
                _("Booking %(reference)s now starts %(start)s.")
                % {
                    "reference": booking.reference,
                    "start": formats.date_format(
                        booking.start.astimezone(get_settings().zone), "l, F j, g:i A"
                    ),
                },
            )
            return redirect("web:account")
    params = request.POST if request.method == "POST" else request.GET
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


def booking_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """Placeholder so booking messages can link here (``web:booking_detail``); the booking
    page itself is built on another branch and replaces this at merge."""
    return redirect("web:account")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Profile, spa preferences, notification channels and marketing consent."""
    user = request.user
    initial = {
        "name": user.name,
        "phone": user.phone,
        "marketing_consent": user.marketing_consent,
        **{
            f"pref_{field_.name}": saved_preferences(user).get(field_.name, "")
            for field_ in PREFERENCE_FIELDS
        },
        **{
            f"notify_{channel}": channel_enabled(user, channel)
            for channel, _label in NOTIFICATION_CHANNELS
        },
        **{f"notify_{kind}": kind_enabled(user, kind) for kind, _label in NOTIFICATION_KINDS},
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
    _access_now, today = _access(customer, now())
    try:
        if open_membership(customer, today) is not None:
            membership = change_plan(customer, plan)
            if membership.pending_plan_id:
                text = _(
                    "Your upgrade to %(plan)s is reserved. It starts as soon as the "
                    "difference is paid at the spa; until then your plan stays as it is."
                )
            else:
                text = _("You are now on the %(plan)s plan.")
        else:
            membership = subscribe(customer, plan)
            text = _(
                "Your %(plan)s membership is reserved. It starts when the first month is "
                "paid at the spa, at your next visit or by phone."
            )
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
