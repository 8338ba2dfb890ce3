"""My account: bookings (cancel with the policy outcome shown first, reschedule), membership
(join, change, cancel), preferences and notification settings, data export and deletion."""

import json
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coresync.accounts.preferences import (
    NOTIFICATION_CHANNELS,
    NOTIFICATION_KINDS,
    PREFERENCE_FIELDS,
    saved_preferences,
)
from coresync.accounts.services import update_profile
from coresync.bookings.policy import policy_for_plan
from coresync.bookings.selectors import reassignment_cause
from coresync.bookings.services import cancel_booking, preview_reschedule, reschedule_booking
from coresync.calendars.ics import booking_invite
from coresync.core.clock import local_date, now
from coresync.core.errors import DomainError, InvalidInput
from coresync.giftcards.selectors import customer_packages
from coresync.memberships.models import MembershipPlan, MembershipStatus
from coresync.memberships.selectors import get_customer_access, open_membership
from coresync.memberships.services import add_month, cancel_membership, subscribe
from coresync.notifications.selectors import channel_enabled, kind_enabled
from coresync.payments.memberships import change_membership_plan, join, upgrade_price
from coresync.payments.providers import get_provider
from coresync.payments.receipts import customer_receipt, customer_receipts
from coresync.privacy.selectors import export_personal_data
from coresync.privacy.services import delete_account
from coresync.spa.selectors import get_settings
from coresync.web.access import (
    access_token_of,
    acting_user,
    booking_for_request,
    login_or_access_token,
)
from coresync.web.booking_flow import parse_start
from coresync.web.forms import DeleteAccountForm, PlanChoiceForm, ProfileForm
from coresync.web.reschedule import (
    parse_technician_choice,
    reschedule_options,
    review_of,
    service_technician,
)
from coresync.web.selectors import (
    booking_row,
    cancellation_preview,
    customer_bookings,
    lapsed_membership,
    membership_summary,
)


def _access(user, instant: datetime):
    spa = get_settings()
    today = local_date(instant, spa.zone)
    return get_customer_access(user, today, spa), today


def _after_change(request: HttpRequest, booking) -> HttpResponse:
    """Where a visitor goes after cancelling or moving a booking: My account when signed in
    as its customer, else the booking's page (the access token carried along)."""
    if request.user.is_authenticated and request.user.pk == booking.customer_id:
        return redirect("web:account")
    url = reverse("web:booking_detail", args=[booking.reference])
    token = access_token_of(request)
    return redirect(f"{url}?{urlencode({'access': token})}" if token else url)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Upcoming and past bookings, membership status and usage, links to settings."""
    instant = now()
    access, today = _access(request.user, instant)
    bookings = customer_bookings(request.user, instant)
    context = {
        "upcoming": bookings.upcoming,
        "past": bookings.past,
        "cancelled": bookings.cancelled,
        "access": access,
        "membership": membership_summary(access, today, request.user),
        "lapsed": None if access.is_member else lapsed_membership(request.user, today),
        "pays_online": get_provider().collects_online,
        "receipts": customer_receipts(request.user),
        "packages": customer_packages(request.user),
    }
    return render(request, "web/account/overview.html", context)


@login_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    """One receipt of the guest's (a payment ``P-…`` or a refund ``R-…``): the line items,
    tax and total, as the receipt email says them."""
    found = customer_receipt(request.user, number)
    if found is None:
        raise Http404("No such receipt.")
    return render(request, "web/account/receipt.html", {"receipt": found})


@login_or_access_token
def booking_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One booking: service, add-ons, therapist(s), price lines, policy and what may still be
    done. Opens for its signed-in customer or with the booking's signed ``?access=`` link."""
    booking = booking_for_request(request, reference)
    instant = now()
    context = {
        "booking": booking,
        "row": booking_row(booking, instant),
        "now": instant,
        "access_token": access_token_of(request),
        "reassignment_cause": reassignment_cause(booking),
    }
    return render(request, "web/account/booking_detail.html", context)


@login_or_access_token
def booking_invite_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Download the booking's calendar invite (.ics): the same document as the confirmation
    email's attachment. Same access as the booking's page."""
    booking = booking_for_request(request, reference)
    response = HttpResponse(booking_invite(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
    return response


@login_or_access_token
def cancel_booking_view(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: what cancelling now costs under the policy; POST: cancel. For the booking's
    signed-in customer or a visitor with the booking's access link."""
    booking = booking_for_request(request, reference)
    instant = now()
    if request.method == "POST":
        try:
            booking = cancel_booking(booking, actor=acting_user(request, booking), now=instant)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Booking %(reference)s is cancelled. Cancellation fee: $%(fee)s.")
                % {"reference": booking.reference, "fee": booking.cancellation_fee_or_zero},
            )
        return _after_change(request, booking)
    preview = cancellation_preview(booking, instant)
    template = "web/account/_cancel.html" if request.htmx else "web/account/cancel.html"
    context = {
        "preview": preview,
        "booking": booking,
        "access_token": access_token_of(request),
        "reassignment_cause": reassignment_cause(booking),
    }
    return render(request, template, context)


@login_or_access_token
def reschedule_booking_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Move a booking in three steps, nothing changing before the last one:

    1. GET ``?date=&technician=``: the calendar, the therapist choice (kept by default,
       another, or "any") and the free times;
    2. GET with ``start``: the review — old → new time, therapist, price difference, policy;
    3. POST ``start`` + ``technician`` from the review: the move itself.

    For the booking's signed-in customer or a visitor with the booking's access link.
    """
    booking = booking_for_request(request, reference)
    actor = acting_user(request, booking)
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
                actor=actor,
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
            return _after_change(request, booking)
    elif start is not None:
        try:
            plan = preview_reschedule(
                booking,
                start=start,
                actor=actor,
                technician=service_technician(technician),
                now=instant,
            )
        except DomainError as error:
            error_message = error.message
        else:
            review = review_of(plan, technician, access_token=access_token_of(request))
            return render(
                request,
                "web/account/reschedule_review.html",
                {"booking": booking, "review": review, "access_token": access_token_of(request)},
            )
    options = reschedule_options(
        booking, params, booking.customer, now=instant, access_token=access_token_of(request)
    )
    access, _today = _access(booking.customer, instant)
    context = {
        "booking": booking,
        "access": access,
        "access_token": access_token_of(request),
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


def _plan_from(data) -> MembershipPlan:
    choice = PlanChoiceForm(data)
    plan = (
        MembershipPlan.objects.filter(slug=choice.cleaned_data["plan"], is_active=True).first()
        if choice.is_valid()
        else None
    )
    if plan is None:
        raise Http404("No such plan.")
    return plan


@require_http_methods(["GET", "POST"])
def membership_join(request: HttpRequest) -> HttpResponse:
    """Join a plan (or move to it) in two steps: a review of the price, what changes and when,
    and the terms (GET, or a POST from the plans page); then ``confirm`` commits. Guests sign
    in or sign up first and come back to the review."""
    plan = _plan_from(request.POST if request.method == "POST" else request.GET)
    if not request.user.is_authenticated:
        review = f"{reverse('web:membership_join')}?{urlencode({'plan': plan.slug})}"
        return redirect(f"{reverse('web:signup')}?{urlencode({'next': review})}")
    customer = request.user
    instant = now()
    access, today = _access(customer, instant)
    waiting = open_membership(customer, today)
    if (
        access.plan is not None
        and access.plan.pk == plan.pk
        and not (waiting is not None and waiting.pending_plan_id)
    ):
        messages.info(request, _("You are already on the %(plan)s plan.") % {"plan": plan.name})
        return redirect("web:account")
    online = get_provider().collects_online
    joining = waiting is None or waiting.status == MembershipStatus.PENDING
    if request.method == "POST" and request.POST.get("confirm") == "yes" and online and joining:
        # Joining: a pending membership and its first month paid on the next page.
        try:
            join(customer, plan, now=instant)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("web:membership")
        return redirect("web:membership_pay")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            if waiting is not None:
                membership = change_membership_plan(customer, plan, now=instant)
                if membership.next_plan_id:
                    text = _(
                        "Your move to %(plan)s is booked for the end of this period; your "
                        "benefits stay as they are until then."
                    )
                elif membership.pending_plan_id and online:
                    text = _(
                        "Your upgrade to %(plan)s is being charged to your card on file; it "
                        "applies as soon as the payment goes through."
                    )
                elif membership.pending_plan_id:
                    text = _(
                        "Your upgrade to %(plan)s is reserved. It starts as soon as the "
                        "difference is paid at the spa; until then your plan stays as it is."
                    )
                elif membership.plan_id != plan.pk:
                    messages.error(
                        request,
                        _(
                            "Your card on file was declined, so your plan stays as it is. "
                            "Update your card and try again."
                        ),
                    )
                    return redirect("web:account")
                else:
                    text = _("You are now on the %(plan)s plan.")
            else:
                subscribe(customer, plan, now=instant)
                text = _(
                    "Your %(plan)s membership is reserved. It starts when the first month is "
                    "paid at the spa, at your next visit or by phone."
                )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("web:membership")
        messages.success(request, text % {"plan": plan.name})
        return redirect("web:account")
    upgrade = (
        waiting is not None
        and waiting.status in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
        and plan.monthly_price > waiting.plan.monthly_price
    )
    downgrade = (
        waiting is not None
        and waiting.status in (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
        and plan.monthly_price < waiting.plan.monthly_price
    )
    context = {
        "pays_online": online,
        "upgrade_now": upgrade and online,
        "upgrade_cost": upgrade_price(waiting, plan, today) if upgrade and online else None,
        "downgrade_at_period_end": downgrade,
        "plan": plan,
        "plan_policy": policy_for_plan(plan),
        "access": access,
        "current_policy": policy_for_plan(access.plan),
        "today": today,
        "period_end": add_month(today),
        "membership": access.membership,
        "waiting": waiting,
        "upgrade_waits_for_payment": upgrade and not online,
        "drops_upgrade": waiting is not None
        and waiting.pending_plan is not None
        and plan.pk == waiting.plan_id,
        "starts_when_paid": waiting is None,
        "lapsed": None if access.is_member else lapsed_membership(customer, today),
    }
    return render(request, "web/account/membership_review.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def membership_cancel(request: HttpRequest) -> HttpResponse:
    """Cancel at the end of the current period, after a review of what ends and when."""
    instant = now()
    access, today = _access(request.user, instant)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            membership = cancel_membership(request.user, now=instant)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Your membership ends on %(day)s; its benefits last until then.")
                % {"day": formats.date_format(membership.ends_on, "F j, Y")},
            )
        return redirect("web:account")
    summary = membership_summary(access, today)
    if summary is None or summary.cancelling:
        return redirect("web:account")
    membership = summary.membership
    context = {
        "summary": summary,
        "plan": membership.plan,
        "ends_on": membership.current_period_end or today,
        "guest_days": get_settings().non_member_advance_days,
        "guest_policy": policy_for_plan(None),
        "plan_policy": policy_for_plan(membership.plan),
    }
    return render(request, "web/account/membership_cancel.html", context)
