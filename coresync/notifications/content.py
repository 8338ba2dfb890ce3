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
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.policy import policy_for
from coresync.calendars.ics import booking_invite
from coresync.memberships.cards import membership_card_pdf
from coresync.memberships.models import Membership, MembershipStatus
from coresync.notifications.channels import EMAIL, PUSH, SMS, Attachment, Message
from coresync.spa.selectors import get_settings

BOOKING_CONFIRMATION = "booking_confirmation"
BOOKING_RESCHEDULED = "booking_rescheduled"
BOOKING_CANCELLED = "booking_cancelled"
REMINDER_24H = "reminder_24h"
REMINDER_1H = "reminder_1h"
REMINDER_15M = "reminder_15m"
REVIEW_REQUEST = "review_request"
MEMBERSHIP_WELCOME = "membership_welcome"

KINDS = (
    BOOKING_CONFIRMATION,
    BOOKING_RESCHEDULED,
    BOOKING_CANCELLED,
    REMINDER_24H,
    REMINDER_1H,
    REMINDER_15M,
    REVIEW_REQUEST,
    MEMBERSHIP_WELCOME,
)

SUBJECTS = {
    BOOKING_CONFIRMATION: "Confirmed: {service} on {date}",
    BOOKING_RESCHEDULED: "Moved: your {service} is now on {date}",
    BOOKING_CANCELLED: "Cancelled: {service} on {date}",
    REMINDER_24H: "See you soon: {service} on {date}",
    REMINDER_1H: "In one hour: {service} at {time}",
    REVIEW_REQUEST: "How was your {service}?",
    MEMBERSHIP_WELCOME: "Welcome to {spa} – your {plan} membership",
}

SHORT_TEXTS = {
    REMINDER_1H: "{spa}: your {service} starts at {time} (in 1 hour). {address}",
    REMINDER_15M: "{spa}: your {service} starts in 15 minutes, at {time}. See you soon.",
}
"""SMS and push texts, one line each."""


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


def _booking_context(booking: Booking, now: datetime) -> dict[str, Any]:
    zone = get_settings().zone
    start = format_local(booking.start, zone)
    end = format_local(booking.end, zone)
    addons = [addon.addon.name for addon in booking.booking_addons.select_related("addon")]
    context = {
        "booking": booking,
        "reference": booking.reference,
        "service": booking.service.name,
        "duration_minutes": booking.duration_minutes,
        "technician": booking.technician.name if booking.technician_id else "",
        "room": booking.room.name,
        "guests": booking.guests,
        "addons": addons,
        "start_date": start["date"],
        "start_time": start["time"],
        "start": start["datetime"],
        "end_time": end["time"],
        "total": f"{booking.total:.2f}",
        "currency": booking.currency,
        "customer_name": _first_name(booking.customer),
    }
    if booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        free_until = policy_for(booking).free_until(booking.start)
        context["free_cancellation_until"] = (
            format_local(free_until, zone)["datetime"] if free_until > now else ""
        )
    if booking.status == BookingStatus.CANCELLED:
        context["cancellation_fee"] = f"{booking.cancellation_fee_or_zero:.2f}"
    return context


def _first_name(user) -> str:
    name = (getattr(user, "name", "") or "").strip()
    return name.split()[0] if name else "there"


def _booking_applies(kind: str, booking: Booking, payload: dict, now: datetime) -> str:
    """Return why ``kind`` no longer applies to ``booking`` at ``now``, or ``""``."""
    if booking.customer_id is None:
        return "The booking has no customer any more."
    if kind == BOOKING_CANCELLED:
        return "" if booking.status == BookingStatus.CANCELLED else "Not cancelled any more."
    if kind == REVIEW_REQUEST:
        return "" if booking.status == BookingStatus.COMPLETED else "Booking not completed."
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
        content=booking_invite(booking, method),
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
        payload: ``{"kind", "booking_id", "start"}`` or ``{"kind", "membership_id"}``.
        channel: ``email``, ``sms`` or ``push``.
        now: the instant of sending (decides "already started").
        reference: a stable id of this send, becomes the email's Message-ID.

    Returns:
        A :class:`Prepared` with ``message``, or with ``skip_reason`` (and maybe no user).

    Raises:
        ValueError: an unknown kind, or a kind without a text for this channel.
    """
    kind = payload.get("kind", "")
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    if kind == MEMBERSHIP_WELCOME:
        return _prepare_membership(payload, channel, now=now, reference=reference)
    booking = (
        Booking.objects.select_related("customer", "service", "room", "technician")
        .filter(pk=payload.get("booking_id"))
        .first()
    )
    if booking is None:
        return Prepared(kind, None, None, "The booking no longer exists.")
    user = booking.customer
    reason = _booking_applies(kind, booking, payload, now)
    if reason:
        return Prepared(kind, user, None, reason)
    context = {**_spa_context(), **_booking_context(booking, now), "kind": kind}
    attachments = BOOKING_ATTACHMENTS.get(kind, lambda booking: ())(booking)
    return _render(kind, user, channel, context, attachments, reference)


def _prepare_membership(
    payload: dict[str, Any], channel: str, *, now: datetime, reference: str
) -> Prepared:
    membership = (
        Membership.objects.select_related("customer", "plan")
        .filter(pk=payload.get("membership_id"))
        .first()
    )
    if membership is None:
        return Prepared(MEMBERSHIP_WELCOME, None, None, "The membership no longer exists.")
    user = membership.customer
    if membership.status != MembershipStatus.ACTIVE:
        return Prepared(MEMBERSHIP_WELCOME, user, None, f"Membership is {membership.status}.")
    plan = membership.plan
    context = {
        **_spa_context(),
        "kind": MEMBERSHIP_WELCOME,
        "membership": membership,
        "plan": plan.name,
        "plan_benefits": list(plan.benefits or []),
        "advance_days": plan.advance_days,
        "discount_percent": f"{plan.discount_percent.normalize():f}",
        "monthly_price": f"{plan.monthly_price:.2f}",
        "started_on": f"{membership.started_on:%B} {membership.started_on.day}, "
        f"{membership.started_on.year}",
        "customer_name": _first_name(user),
    }
    return _render(
        MEMBERSHIP_WELCOME, user, channel, context, (_membership_card(membership),), reference
    )


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
    }
    if channel in (SMS, PUSH):
        if kind not in SHORT_TEXTS:
            raise ValueError(f"No {channel} text for {kind!r}.")
        text = SHORT_TEXTS[kind].format(**words)
        return Prepared(kind, user, Message(to=to, subject="", text=text, reference=reference))
    subject = SUBJECTS[kind].format(**words)
    context = {**context, "subject": subject}
    message = Message(
        to=to,
        subject=subject,
        text=render_to_string(f"notifications/email/{kind}.txt", context),
        html=render_to_string(f"notifications/email/{kind}.html", context),
        attachments=attachments,
        reference=reference,
    )
    return Prepared(kind, user, message)
