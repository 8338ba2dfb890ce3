"""What each notification kind says, and whether it still applies when it is sent.

An outbox payload names a ``kind`` and the object it is about (``booking_id`` + the ``start``
it was written for, or ``membership_id``). :func:`prepare` re-reads that object at send time
and returns either the rendered :class:`~coresync.notifications.channels.Message` for one
channel, or the reason it no longer applies (booking cancelled, moved, already started…).

Emails are rendered from ``notifications/email/<kind>.html`` and ``.txt`` (branded base
templates ``base.html``/``base.txt``); SMS and push texts are one line each, below.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from coresync.accounts.models import User
from coresync.accounts.preferences import labelled_preferences
from coresync.bookings.access import ACCESS_QUERY_PARAMETER, booking_access_token
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.policy import policy_for
from coresync.calendars.ics import booking_invite, technician_names
from coresync.core.money import percent_of, quantize
from coresync.memberships.cards import member_number, membership_card_pdf
from coresync.memberships.models import Membership, MembershipStatus
from coresync.notifications.channels import EMAIL, PUSH, SMS, Attachment, Message
from coresync.notifications.selectors import REMINDERS, REVIEW_REQUESTS
from coresync.notifications.sms import sms_text
from coresync.notifications.unsubscribe import unsubscribe_url
from coresync.spa.selectors import get_settings

BOOKING_CONFIRMATION = "booking_confirmation"
BOOKING_RESCHEDULED = "booking_rescheduled"
BOOKING_CANCELLED = "booking_cancelled"
REMINDER_24H = "reminder_24h"
REMINDER_1H = "reminder_1h"
REMINDER_15M = "reminder_15m"
REVIEW_REQUEST = "review_request"
MEMBERSHIP_WELCOME = "membership_welcome"
MEMBERSHIP_CHANGED = "membership_changed"
MEMBERSHIP_PRICE_CHANGED = "membership_price_changed"
BOOKING_NEEDS_REASSIGNMENT = "booking_needs_reassignment"
REASSIGNMENT_NEEDED = "reassignment_needed"
STAFF_BOOKING_KINDS = (REASSIGNMENT_NEEDED,)
"""Booking messages to a member of staff (``recipient_id`` in the payload), not to the
booking's customer."""
REASSIGNMENT_KINDS = (BOOKING_NEEDS_REASSIGNMENT, REASSIGNMENT_NEEDED)
MEMBERSHIP_PAYMENT_FAILED = "membership_payment_failed"
MEMBERSHIP_EXPIRED = "membership_expired"
MEMBERSHIP_KINDS = (
    MEMBERSHIP_WELCOME,
    MEMBERSHIP_CHANGED,
    MEMBERSHIP_PRICE_CHANGED,
    MEMBERSHIP_PAYMENT_FAILED,
    MEMBERSHIP_EXPIRED,
)
PAYMENT_RECEIPT = "payment_receipt"
REFUND_RECEIPT = "refund_receipt"
RECEIPT_KINDS = (PAYMENT_RECEIPT, REFUND_RECEIPT)
GIFT_CARD_DELIVERY = "gift_card_delivery"

KINDS = (
    BOOKING_CONFIRMATION,
    BOOKING_RESCHEDULED,
    BOOKING_CANCELLED,
    REMINDER_24H,
    REMINDER_1H,
    REMINDER_15M,
    REVIEW_REQUEST,
    MEMBERSHIP_WELCOME,
    MEMBERSHIP_CHANGED,
    MEMBERSHIP_PRICE_CHANGED,
    BOOKING_NEEDS_REASSIGNMENT,
    REASSIGNMENT_NEEDED,
    MEMBERSHIP_PAYMENT_FAILED,
    MEMBERSHIP_EXPIRED,
    PAYMENT_RECEIPT,
    REFUND_RECEIPT,
    GIFT_CARD_DELIVERY,
)

MEMBERSHIP_STATUSES_OF_KIND = {
    MEMBERSHIP_PAYMENT_FAILED: (MembershipStatus.PAST_DUE,),
    MEMBERSHIP_EXPIRED: (MembershipStatus.EXPIRED,),
}
"""The statuses in which a membership notice still applies (the others: active only)."""

OPT_OUT_KIND = {
    REMINDER_24H: REMINDERS,
    REMINDER_1H: REMINDERS,
    REMINDER_15M: REMINDERS,
    REVIEW_REQUEST: REVIEW_REQUESTS,
}
"""The per-kind opt-out (``User.notification_preferences``) each message kind obeys; a kind
not listed is transactional (confirmation, change, cancellation, membership notices) and is
sent whenever its channel is on."""

NON_TRANSACTIONAL_KINDS = frozenset({REVIEW_REQUEST})
"""Kinds that are not about something the guest asked for: they carry an unsubscribe link and
the RFC 8058 one-click ``List-Unsubscribe`` headers. (Offers would be here too.)"""

SUBJECTS = {
    BOOKING_CONFIRMATION: "Confirmed: {service} on {date}",
    BOOKING_RESCHEDULED: "Moved: your {service} is now on {date}",
    BOOKING_CANCELLED: "Cancelled: {service} on {date}",
    REMINDER_24H: "See you soon: {service} on {date}",
    REMINDER_1H: "In one hour: {service} at {time}",
    REVIEW_REQUEST: "How was your {service}?",
    MEMBERSHIP_WELCOME: "Welcome to {spa} – your {plan} membership",
    MEMBERSHIP_CHANGED: "Your {spa} membership is now {plan}",
    MEMBERSHIP_PRICE_CHANGED: "A change to your {plan} membership price",
    BOOKING_NEEDS_REASSIGNMENT: "Your {service} on {date}: {unavailable} is unavailable",
    REASSIGNMENT_NEEDED: "To reassign: {service} on {date} at {time}",
    MEMBERSHIP_PAYMENT_FAILED: "Action needed: your {plan} membership payment did not go through",
    MEMBERSHIP_EXPIRED: "Your {plan} membership has ended",
    PAYMENT_RECEIPT: "Your {spa} receipt {receipt}",
    REFUND_RECEIPT: "Your {spa} refund receipt {receipt}",
    GIFT_CARD_DELIVERY: "A {spa} gift card for you, from {sender}",
}

SHORT_TEXTS = {
    REMINDER_1H: "{spa}: {service} at {time}, in 1 hour. Please arrive 15 min early. {address}",
    REMINDER_15M: "{spa}: time to check in - your {service} begins at {time}. "
    "We are ready to welcome you.",
}
"""SMS and push texts, one line each. The 15-minute push is the "please come in now" of the
"arrive 15 minutes early" the other reminders ask for, never "starts in 15 minutes". SMS texts
are made GSM-7 and get the opt-out line (:func:`coresync.notifications.sms.sms_text`)."""


@dataclass(frozen=True)
class Prepared:
    """The outcome of :func:`prepare`: a message to send to ``user``, or ``skip_reason``."""

    kind: str
    user: Any
    message: Message | None
    skip_reason: str = ""


def format_local(instant: datetime, zone) -> dict[str, str]:
    """Return display strings of aware ``instant`` in the spa's ``zone``: ``date``
    ("Wednesday, December 2, 2026"), ``time`` ("10:00 AM EST"), ``datetime`` (both)."""
    local = instant.astimezone(zone)
    hour = local.hour % 12 or 12
    day = f"{local:%A, %B} {local.day}, {local.year}"
    time = f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
    return {"date": day, "time": time, "datetime": f"{day} at {time}"}


def format_money(amount: Decimal | str) -> str:
    """Return ``amount`` (USD) for people: ``"$150.00"``, ``"−$15.00"`` for a discount."""
    value = Decimal(str(amount))
    return f"−${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def absolute_url(path: str) -> str:
    """Return ``path`` (``/account/…``) under ``SITE_URL``, the site's public base URL."""
    return settings.SITE_URL.rstrip("/") + path


def booking_url(booking: Booking) -> str:
    """Return the signed link to ``booking``'s page (view, reschedule, cancel with the policy
    shown), valid without a password for that booking only
    (:func:`coresync.bookings.access.booking_access_token`)."""
    path = reverse("web:booking_detail", args=[booking.reference])
    return absolute_url(f"{path}?{ACCESS_QUERY_PARAMETER}={booking_access_token(booking)}")


def _date(day) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _spa_context() -> dict[str, Any]:
    spa_settings = get_settings()
    return {
        "spa_name": spa_settings.name,
        "spa_address": settings.SPA_ADDRESS,
        "spa_phone": settings.SPA_PHONE,
        "spa_directions": settings.SPA_DIRECTIONS,
        "spa_parking": settings.SPA_PARKING,
        "spa_what_to_bring": settings.SPA_WHAT_TO_BRING,
        "spa_map_url": settings.SPA_MAP_URL,
        "site_url": settings.SITE_URL,
        "review_url": settings.REVIEW_URL,
    }


ContextBuilder = Callable[[dict[str, Any]], tuple[Any, dict[str, Any] | None, str]]
_context_builders: dict[str, ContextBuilder] = {}


def register_context_builder(kinds: tuple[str, ...], builder: ContextBuilder) -> None:
    """Let a higher app (payments: receipts; gift cards: their delivery) say what the emails
    of ``kinds`` contain. ``builder(payload)`` returns ``(user, context, skip_reason)``: the
    recipient (a user, or an object with ``email`` and ``name``), the template context (or
    ``None`` with the reason the email no longer applies)."""
    for kind in kinds:
        _context_builders[kind] = builder


PaymentSummary = Callable[[Booking], dict[str, str]]
_payment_summary: list[PaymentSummary] = []


def register_payment_summary(summary: PaymentSummary) -> None:
    """Let the payments app say how a booking is paid (it depends on notifications, not the
    reverse). ``summary(booking)`` returns ``{"status": "paid" | "deposit" | "pay_at_spa",
    "text": "Paid online: $150.00", "fees": "charged to the card on file …"}``."""
    _payment_summary[:] = [summary]


def payment_summary(booking: Booking) -> dict[str, str]:
    """Return how ``booking`` is paid (:func:`register_payment_summary`); without a payments
    app, everything is paid at the spa."""
    if _payment_summary:
        return _payment_summary[0](booking)
    return {
        "status": "pay_at_spa",
        "text": f"Pay at the spa: {format_money(booking.total)}",
        "fees": "payable at the spa",
    }


def price_lines(booking: Booking) -> dict[str, Any]:
    """Return the stored quote of ``booking`` for display: ``lines`` (label, amount) as the
    quote shows them (service, member discount or tier price, peak/room modifiers, add-ons),
    ``subtotal``, ``tax``, ``total``, and ``member_saving`` (what membership saved, or "")."""
    stored = booking.price_lines or []
    summary = {line["code"]: line["amount"] for line in stored}
    lines = [
        {"label": line["label"], "amount": format_money(line["amount"])}
        for line in stored
        if line["code"] not in ("subtotal", "tax", "total")
    ]
    saving = -sum(
        (
            Decimal(line["amount"])
            for line in stored
            if line["code"] in ("tier_discount", "tier_price") and Decimal(line["amount"]) < 0
        ),
        Decimal("0"),
    )
    tax_rate = get_settings().tax_rate
    return {
        "price_lines": lines,
        "subtotal": format_money(summary.get("subtotal", booking.subtotal)),
        "tax": format_money(summary.get("tax", booking.tax)),
        # The rate only when it is the one the booking was taxed at (the spa may change it).
        "tax_label": f"Tax ({(tax_rate * 100).normalize():f}%)"
        if tax_rate and quantize(booking.subtotal * tax_rate) == booking.tax
        else "Tax",
        "total_display": format_money(booking.total),
        "member_saving": format_money(saving) if saving > 0 else "",
    }


def duration_window(booking: Booking, addons) -> str:
    """Return the service time in words: ``"60 min + Hot Stones 15 min"`` (the service's
    duration, then each add-on that adds minutes)."""
    parts = [f"{booking.duration_minutes} min"]
    parts += [
        f"{item.addon.name} {item.extra_minutes} min" for item in addons if item.extra_minutes
    ]
    return " + ".join(parts)


def preference_lines(preferences: dict) -> list[str]:
    """Return the booking's spa preferences as ``"Pressure: Firm"`` lines (vocabulary of
    :mod:`coresync.accounts.preferences`)."""
    return [f"{label}: {value}" for label, value in labelled_preferences(preferences)]


def fee_policy(booking: Booking, now: datetime, zone) -> dict[str, str]:
    """Return the booking's cancellation terms in words (SPEC §4): the free-cancellation
    deadline, the late-cancellation and no-show fees (percent and amount), how a fee is
    collected."""
    policy = policy_for(booking)
    free_until = policy.free_until(booking.start)
    late = percent_of(booking.total, policy.late_fee_percent)
    no_show = policy.no_show_fee(booking)
    hours = policy.free_until_hours
    late_percent = f"{policy.late_fee_percent.normalize():f}"
    no_show_percent = f"{policy.no_show_fee_percent.normalize():f}"
    collected = payment_summary(booking)["fees"]
    if late > 0:
        late_text = (
            f"Cancelling within {hours} hours of the start costs {late_percent}% of the total "
            f"({format_money(late)})."
        )
    else:
        late_text = "Cancelling later carries no fee."
    no_show_text = (
        f"Missing the appointment without cancelling costs {no_show_percent}% of the total "
        f"({format_money(no_show)})."
        if no_show > 0
        else ""
    )
    return {
        "free_cancellation_until": (
            format_local(free_until, zone)["datetime"] if free_until > now else ""
        ),
        "free_hours": str(hours),
        "late_fee_text": late_text,
        "no_show_fee_text": no_show_text,
        "fees_collected": f"Any fee is {collected}." if (late > 0 or no_show > 0) else "",
    }


def _booking_context(booking: Booking, now: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    zone = get_settings().zone
    start = format_local(booking.start, zone)
    end = format_local(booking.end, zone)
    addons = list(booking.booking_addons.select_related("addon"))
    technicians = technician_names(booking)
    payment = payment_summary(booking)
    context = {
        "booking": booking,
        "reference": booking.reference,
        "service": booking.service.name,
        "duration_minutes": booking.duration_minutes,
        "duration_window": duration_window(booking, addons),
        "technician": " and ".join(technicians),
        "technicians": technicians,
        "guests": booking.guests,
        "guest_name": getattr(booking, "guest_name", "") or "",
        "addons": [item.addon.name for item in addons],
        "start_date": start["date"],
        "start_time": start["time"],
        "start": start["datetime"],
        "end_time": end["time"],
        "total": f"{booking.total:.2f}",
        "currency": booking.currency,
        "customer_name": _first_name(booking.customer),
        "preference_lines": preference_lines(booking.preferences),
        "notes": booking.notes,
        "payment_status": payment["status"],
        "payment_text": payment["text"],
        "booking_url": booking_url(booking),
        **price_lines(booking),
    }
    if booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        context.update(fee_policy(booking, now, zone))
    if booking.status == BookingStatus.CANCELLED:
        context.update(_cancellation_context(booking, zone))
    if payload.get("from_start"):
        context.update(_reschedule_context(booking, payload, zone, technicians))
    return context


def _cancellation_context(booking: Booking, zone) -> dict[str, Any]:
    """Who cancelled and what it costs: the guest ("as you asked": the customer, or staff with
    no reason, i.e. on the guest's behalf) or the spa (staff giving a reason: apology, the
    reason, priority rebooking); a fee with its policy and how it is collected."""
    # Staff cancel either for the guest (who phoned: no reason) or for the spa (a reason the
    # guest is told): only the latter is "we are sorry — the spa had to cancel".
    by_spa = (
        booking.cancelled_by_id is not None
        and booking.cancelled_by_id != booking.customer_id
        and bool(booking.cancellation_reason.strip())
    )
    fee = booking.cancellation_fee_or_zero
    context: dict[str, Any] = {
        "cancelled_by_spa": by_spa,
        "cancellation_reason": booking.cancellation_reason,
        "cancellation_fee": f"{fee:.2f}",
        "cancellation_fee_display": format_money(fee),
        "fee_waived": booking.fee_waived,
    }
    if fee > 0:
        policy = policy_for(booking)
        context["fee_policy_text"] = (
            f"Our cancellation policy: cancelling within {policy.free_until_hours} hours of the "
            f"start costs {policy.late_fee_percent.normalize():f}% of the booking "
            f"({format_money(booking.total)})."
        )
        context["fee_collected"] = f"The fee is {payment_summary(booking)['fees']}."
    return context


def _reschedule_context(
    booking: Booking, payload: dict[str, Any], zone, technicians: list[str]
) -> dict[str, Any]:
    previous = format_local(datetime.fromisoformat(payload["from_start"]), zone)
    old_technicians = list(payload.get("from_technicians") or [])
    return {
        "old_start": previous["datetime"],
        "old_technician": " and ".join(old_technicians),
        "technician_changed": bool(old_technicians) and old_technicians != technicians,
    }


def _reassignment_context(booking: Booking, payload: dict[str, Any], user) -> dict[str, Any]:
    """Who is away or which room is closed (names from the payload) and, for staff, their own
    name and the page that lists the bookings to reassign with the technicians free then."""
    room_only = bool(payload.get("closed")) and not payload.get("absent")
    return {
        "absent_technicians": " and ".join(payload.get("absent") or []) or "your therapist",
        "closed_rooms": " and ".join(payload.get("closed") or []),
        "room_only": room_only,
        "unavailable": "your room" if room_only else "your therapist",
        "recipient_name": _first_name(user),
        "reassign_url": absolute_url(reverse("web:staff_reassign")),
    }


def _first_name(user) -> str:
    name = (getattr(user, "name", "") or "").strip()
    return name.split()[0] if name else "there"


def _booking_applies(kind: str, booking: Booking, payload: dict, now: datetime) -> str:
    """Return why ``kind`` no longer applies to ``booking`` at ``now``, or ``""``."""
    if kind in REASSIGNMENT_KINDS:
        if kind not in STAFF_BOOKING_KINDS and booking.customer_id is None:
            return "The booking has no customer any more."
        if booking.status != BookingStatus.NEEDS_REASSIGNMENT:
            return f"Booking is {booking.status}: nothing to reassign any more."
        if now >= booking.start:
            return "Booking has already started."
        return ""
    if booking.customer_id is None:
        return "The booking has no customer any more."
    if kind == BOOKING_CANCELLED:
        return "" if booking.status == BookingStatus.CANCELLED else "Not cancelled any more."
    if kind == REVIEW_REQUEST:
        if booking.status != BookingStatus.COMPLETED:
            return "Booking not completed."
        if booking.checked_in_at is None:
            return "The guest was never checked in."
        zone = get_settings().zone
        if now.astimezone(zone).date() != booking.end.astimezone(zone).date():
            return "The visit was not today; no 'thank you for visiting today' now."
        return ""
    if booking.status != BookingStatus.CONFIRMED:
        return f"Booking is {booking.status}."
    written_for = payload.get("start")
    if written_for and datetime.fromisoformat(written_for) != booking.start:
        return f"Booking moved from {written_for} to {booking.start.isoformat()}."
    if now >= booking.start:
        return "Booking has already started."
    return ""


def _invite(booking: Booking, method: str) -> Attachment:
    return Attachment(
        filename="invite.ics" if method == "REQUEST" else "cancel.ics",
        content=booking_invite(booking, method, url=booking_url(booking)),
        mimetype="text/calendar",
        method=method,
    )


def _membership_card(membership: Membership) -> Attachment:
    return Attachment(
        filename="coresync-membership-card.pdf",
        content=membership_card_pdf(membership),
        mimetype="application/pdf",
    )


BOOKING_ATTACHMENTS: dict[str, Callable[[Booking], tuple[Attachment, ...]]] = {
    BOOKING_CONFIRMATION: lambda booking: (_invite(booking, "REQUEST"),),
    BOOKING_RESCHEDULED: lambda booking: (_invite(booking, "REQUEST"),),
    BOOKING_CANCELLED: lambda booking: (_invite(booking, "CANCEL"),),
}


def recipient(user, channel: str) -> str:
    """Return ``user``'s address on ``channel``: email, phone (SMS) or user id (push)."""
    if user is None:
        return ""
    if channel == EMAIL:
        return user.email
    if channel == SMS:
        return user.phone
    return str(user.pk)


def prepare(payload: dict[str, Any], channel: str, *, now: datetime, reference: str) -> Prepared:
    """Re-read what ``payload`` is about and render its ``kind`` for ``channel``.

    Args:
        payload: ``{"kind", "booking_id", "start"}`` (a reschedule adds ``from_start`` and
            ``from_technicians``) or ``{"kind", "membership_id"}`` (a price change adds
            ``old_price``).
        channel: ``email``, ``sms`` or ``push``.
        now: the instant of sending (decides "already started").
        reference: a stable, globally unique id of this send, becomes the email's Message-ID.

    Returns:
        A :class:`Prepared` with ``message``, or with ``skip_reason`` (and maybe no user).

    Raises:
        ValueError: an unknown kind, or a kind without a text for this channel.
    """
    kind = payload.get("kind", "")
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    if kind in MEMBERSHIP_KINDS:
        return _prepare_membership(kind, payload, channel, now=now, reference=reference)
    if kind in _context_builders:
        user, extra, reason = _context_builders[kind](payload)
        if extra is None:
            return Prepared(kind, user, None, reason)
        context = {**_spa_context(), "kind": kind, "customer_name": _first_name(user), **extra}
        return _render(kind, user, channel, context, (), reference)
    if kind not in (
        *BOOKING_ATTACHMENTS,
        *REASSIGNMENT_KINDS,
        REMINDER_24H,
        REMINDER_1H,
        REMINDER_15M,
        REVIEW_REQUEST,
    ):
        raise ValueError(f"No content registered for {kind!r}.")
    booking = (
        Booking.objects.select_related("customer", "service", "room", "technician", "membership")
        .prefetch_related("allocations__technician")
        .filter(pk=payload.get("booking_id"))
        .first()
    )
    if booking is None:
        return Prepared(kind, None, None, "The booking no longer exists.")
    user = booking.customer
    if kind in STAFF_BOOKING_KINDS:
        user = User.objects.filter(pk=payload.get("recipient_id"), is_active=True).first()
        if user is None:
            return Prepared(kind, None, None, "The member of staff is no longer active.")
    reason = _booking_applies(kind, booking, payload, now)
    if reason:
        return Prepared(kind, user, None, reason)
    context = {**_spa_context(), **_booking_context(booking, now, payload), "kind": kind}
    if kind in REASSIGNMENT_KINDS:
        context.update(_reassignment_context(booking, payload, user))
    attachments = BOOKING_ATTACHMENTS.get(kind, lambda booking: ())(booking)
    return _render(kind, user, channel, context, attachments, reference)


def _prepare_membership(
    kind: str, payload: dict[str, Any], channel: str, *, now: datetime, reference: str
) -> Prepared:
    membership = (
        Membership.objects.select_related("customer", "plan")
        .filter(pk=payload.get("membership_id"))
        .first()
    )
    if membership is None:
        return Prepared(kind, None, None, "The membership no longer exists.")
    user = membership.customer
    if membership.status not in MEMBERSHIP_STATUSES_OF_KIND.get(kind, (MembershipStatus.ACTIVE,)):
        return Prepared(kind, user, None, f"Membership is {membership.status}.")
    plan = membership.plan
    earlier = Membership.objects.filter(
        customer_id=membership.customer_id, started_on__lt=membership.started_on
    ).exclude(pk=membership.pk)
    first_started = min(
        [membership.started_on, *earlier.values_list("started_on", flat=True)], default=None
    )
    benefits = [
        f"Book up to {plan.advance_days} days ahead",
        *(
            [f"{plan.discount_percent.normalize():f}% off services"]
            if plan.discount_percent
            else []
        ),
        *(
            [f"{plan.included_credits} included treatment(s) each month"]
            if plan.included_credits
            else []
        ),
        *(plan.benefits or []),
    ]
    context = {
        **_spa_context(),
        "kind": kind,
        "membership": membership,
        "plan": plan.name,
        "plan_benefits": _unique(benefits),
        "monthly_price": f"{plan.monthly_price:.2f}",
        "monthly_price_display": format_money(plan.monthly_price),
        "old_price_display": format_money(payload["old_price"]) if payload.get("old_price") else "",
        "started_on": _date(membership.started_on),
        "member_since": _date(first_started) if first_started else "",
        "returning": earlier.exists(),
        "next_charge_date": _date(membership.current_period_end)
        if membership.current_period_end
        else "",
        "ends_on": _date(membership.ends_on) if membership.ends_on else "",
        "cancel_url": absolute_url(reverse("web:membership_cancel")),
        "member_number": member_number(membership),
        "customer_name": _first_name(user),
        **_renewal_context(payload),
    }
    attachments = (_membership_card(membership),) if kind == MEMBERSHIP_WELCOME else ()
    return _render(kind, user, channel, context, attachments, reference)


def _renewal_context(payload: dict[str, Any]) -> dict[str, Any]:
    """The facts of a declined renewal for its notices: the amount, the attempt, when the
    next try is, and where to update the card."""
    from coresync.memberships.models import MembershipRenewal

    renewal = MembershipRenewal.objects.filter(pk=payload.get("renewal_id")).first()
    if renewal is None:
        return {}
    retry = renewal.next_attempt_at
    return {
        "renewal_amount": format_money(renewal.amount),
        "renewal_period_start": _date(renewal.period_start),
        "renewal_attempt": payload.get("attempt", renewal.attempts),
        "renewal_retry_on": format_local(retry, get_settings().zone)["date"] if retry else "",
        "renewal_reason": renewal.last_error,
        "update_card_url": absolute_url(reverse("web:card")),
    }


def _unique(lines: list[str]) -> list[str]:
    """Return ``lines`` without repeats (case and spacing ignored), in order."""
    seen: set[str] = set()
    unique = []
    for line in lines:
        key = " ".join(str(line).lower().split())
        if key and key not in seen:
            seen.add(key)
            unique.append(line)
    return unique


def _render(
    kind: str,
    user,
    channel: str,
    context: dict[str, Any],
    attachments: tuple[Attachment, ...],
    reference: str,
) -> Prepared:
    to = recipient(user, channel)
    if not to:
        return Prepared(kind, user, None, f"No {channel} address for this customer.")
    words = {
        "spa": context["spa_name"],
        "service": context.get("service", ""),
        "date": context.get("start_date", ""),
        "time": context.get("start_time", ""),
        "plan": context.get("plan", ""),
        "address": context["spa_address"],
        "receipt": context.get("receipt_number", ""),
        "sender": context.get("sender_name", ""),
        "unavailable": context.get("unavailable", "your therapist"),
    }
    if channel in (SMS, PUSH):
        if kind not in SHORT_TEXTS:
            raise ValueError(f"No {channel} text for {kind!r}.")
        text = SHORT_TEXTS[kind].format(**words)
        if channel == SMS:
            text = sms_text(text)
        return Prepared(kind, user, Message(to=to, subject="", text=text, reference=reference))
    subject = SUBJECTS[kind].format(**words)
    headers: dict[str, str] = {}
    if kind in NON_TRANSACTIONAL_KINDS:
        link = unsubscribe_url(user, OPT_OUT_KIND[kind])
        context = {**context, "unsubscribe_url": link}
        # RFC 8058: an HTTPS URI that a POST with this body unsubscribes, no login needed.
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    context = {**context, "subject": subject}
    message = Message(
        to=to,
        subject=subject,
        text=render_to_string(f"notifications/email/{kind}.txt", context),
        html=render_to_string(f"notifications/email/{kind}.html", context),
        attachments=attachments,
        reference=reference,
        headers=headers,
    )
    return Prepared(kind, user, message)
