"""Notification state changes: what to send when a booking or membership changes, and the
periodic jobs (reminder and review safety nets, auto-completing past bookings).

Everything here only writes outbox rows (:func:`coresync.notifications.outbox.enqueue`) in the
caller's transaction; sending is the dispatcher's job, after commit.

Dedupe keys (one outbox row per key; a reschedule supersedes by key prefix):

- ``booking:<id>:confirmation``, ``booking:<id>:cancellation``, ``booking:<id>:review``
- ``booking:<id>:rescheduled:<reschedule_count>``
- ``booking:<id>:reminder:<kind>:<channel>:<start UTC ISO-8601>``
- ``membership:<id>:welcome``
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from coresync.bookings import events
from coresync.bookings.errors import InvalidTransition
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import complete_booking
from coresync.core.clock import now as clock_now
from coresync.notifications.channels import EMAIL, PUSH, SMS
from coresync.notifications.content import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMATION,
    BOOKING_RESCHEDULED,
    MEMBERSHIP_WELCOME,
    REMINDER_1H,
    REMINDER_15M,
    REMINDER_24H,
    REVIEW_REQUEST,
)
from coresync.notifications.delivery import TOPIC_BY_CHANNEL, TOPIC_EMAIL
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import Outgoing, cancel_pending, enqueue, enqueue_many
from coresync.notifications.selectors import channel_enabled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    """A reminder ``before`` the start (elapsed time), on each of ``channels``."""

    kind: str
    before: timedelta
    channels: tuple[str, ...]


REMINDERS = (
    Reminder(REMINDER_24H, timedelta(hours=24), (EMAIL,)),
    Reminder(REMINDER_1H, timedelta(hours=1), (EMAIL, PUSH, SMS)),
    Reminder(REMINDER_15M, timedelta(minutes=15), (PUSH,)),
)
"""SPEC §6: 24 h (email), 1 h (email + push, and SMS for those who turned it on), 15 min
(push)."""

REVIEW_REQUEST_DELAY = timedelta(hours=2)
"""A review request goes this long after the end of the service (SPEC §6)."""

REVIEW_REQUEST_MAX_AGE = timedelta(days=7)
"""No review request for a booking that ended longer ago than this."""

AUTOCOMPLETE_AFTER = timedelta(hours=1)
"""A confirmed or in-progress booking is completed automatically this long after its end."""


def _utc_iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def _booking_payload(kind: str, booking: Booking) -> dict[str, Any]:
    return {"kind": kind, "booking_id": booking.pk, "start": _utc_iso(booking.start)}


def reminder_key_prefix(booking: Booking) -> str:
    """Return the dedupe-key prefix of all of ``booking``'s reminders."""
    return f"booking:{booking.pk}:reminder:"


def reminder_key(booking: Booking, kind: str, channel: str) -> str:
    """Return the dedupe key of one reminder of ``booking`` at its current start."""
    return f"{reminder_key_prefix(booking)}{kind}:{channel}:{_utc_iso(booking.start)}"


def _planned_reminders(booking: Booking, now: datetime) -> list[tuple[str, str, str, datetime]]:
    """Return ``(dedupe_key, channel, kind, due_at)`` of every reminder ``booking`` should
    still get: due in the future (a reminder whose moment has passed is not sent late), on
    the channels its customer may receive (SMS only when turned on)."""
    planned = []
    for reminder in REMINDERS:
        due_at = booking.start - reminder.before
        if due_at <= now:
            continue
        for channel in reminder.channels:
            if channel == SMS and not channel_enabled(booking.customer, SMS):
                continue
            planned.append(
                (reminder_key(booking, reminder.kind, channel), channel, reminder.kind, due_at)
            )
    return planned


def reminder_messages(booking: Booking, now: datetime) -> list[Outgoing]:
    """Return the outbox rows of confirmed ``booking``'s reminders at its current start."""
    if booking.customer_id is None:
        return []
    return [
        Outgoing(
            TOPIC_BY_CHANNEL[channel],
            _booking_payload(kind, booking),
            dedupe_key=key,
            available_at=due_at,
        )
        for key, channel, kind, due_at in _planned_reminders(booking, now)
    ]


def schedule_reminders(booking: Booking, now: datetime) -> int:
    """Enqueue the reminders of confirmed ``booking`` at its current start (in the caller's
    transaction); return how many rows were written or revived."""
    return len(enqueue_many(reminder_messages(booking, now)))


def on_booking_event(booking: Booking, action: str, data: dict[str, Any]) -> None:
    """Booking subscriber (registered in ``NotificationsConfig.ready``): write the outbox rows
    of ``action`` inside the booking change's transaction.

    - created (as confirmed) / confirmed: confirmation email with the invite, reminders;
    - rescheduled: supersede the old reminders, updated invite, reminders at the new start;
    - cancelled: supersede the reminders, cancellation email with the CANCEL invite;
    - in_progress / no_show / expired: supersede the reminders;
    - completed: supersede the reminders, review request 2 hours after the end.
    """
    now = clock_now()
    if action in ("booking.created", "booking.confirmed"):
        if booking.status == BookingStatus.CONFIRMED:
            confirmation = Outgoing(
                TOPIC_EMAIL,
                _booking_payload(BOOKING_CONFIRMATION, booking),
                dedupe_key=f"booking:{booking.pk}:confirmation",
            )
            enqueue_many([confirmation, *reminder_messages(booking, now)])
    elif action == "booking.rescheduled":
        cancel_pending(reminder_key_prefix(booking))
        cancel_pending(f"booking:{booking.pk}:rescheduled:")
        if booking.status == BookingStatus.CONFIRMED:
            enqueue(
                TOPIC_EMAIL,
                _booking_payload(BOOKING_RESCHEDULED, booking),
                dedupe_key=f"booking:{booking.pk}:rescheduled:{booking.reschedule_count}",
            )
            schedule_reminders(booking, now)
    elif action == "booking.cancelled":
        cancel_pending(reminder_key_prefix(booking))
        enqueue(
            TOPIC_EMAIL,
            _booking_payload(BOOKING_CANCELLED, booking),
            dedupe_key=f"booking:{booking.pk}:cancellation",
        )
    elif action in ("booking.in_progress", "booking.no_show", "booking.expired"):
        cancel_pending(reminder_key_prefix(booking))
    elif action == "booking.completed":
        cancel_pending(reminder_key_prefix(booking))
        _enqueue_review_request(booking, now)


def _enqueue_review_request(booking: Booking, now: datetime) -> OutboxMessage | None:
    if booking.customer_id is None or now - booking.end > REVIEW_REQUEST_MAX_AGE:
        return None
    return enqueue(
        TOPIC_EMAIL,
        _booking_payload(REVIEW_REQUEST, booking),
        dedupe_key=f"booking:{booking.pk}:review",
        available_at=max(booking.end + REVIEW_REQUEST_DELAY, now),
    )


def register() -> None:
    """Subscribe :func:`on_booking_event` to booking changes (idempotent)."""
    events.subscribe(on_booking_event)


def send_membership_welcome(membership) -> OutboxMessage:
    """Enqueue the welcome email with the PDF membership card of a new ``membership`` (once
    per membership), in the caller's transaction; return the outbox row.

    Raises:
        OutboxUsageError: called outside a transaction.
    """
    return enqueue(
        TOPIC_EMAIL,
        {"kind": MEMBERSHIP_WELCOME, "membership_id": membership.pk},
        dedupe_key=f"membership:{membership.pk}:welcome",
    )


def schedule_due_reminders(now: datetime | None = None) -> int:
    """Make sure every confirmed booking starting within the next 24 hours has its reminder
    rows (the subscriber writes them; this catches bookings written without it, e.g. by a
    data migration). Only reminders still in the future are written. Return how many."""
    now = now or clock_now()
    horizon = now + max(reminder.before for reminder in REMINDERS) + timedelta(minutes=5)
    bookings = list(
        Booking.objects.select_related("customer").filter(
            status=BookingStatus.CONFIRMED,
            start__gt=now,
            start__lte=horizon,
            customer__isnull=False,
        )
    )
    planned = {booking.pk: _planned_reminders(booking, now) for booking in bookings}
    keys = [key for rows in planned.values() for key, *_ in rows]
    existing = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    written = 0
    for booking in bookings:
        missing = [row for row in planned[booking.pk] if row[0] not in existing]
        if not missing:
            continue
        with transaction.atomic():
            for key, channel, kind, due_at in missing:
                enqueue(
                    TOPIC_BY_CHANNEL[channel],
                    _booking_payload(kind, booking),
                    dedupe_key=key,
                    available_at=due_at,
                )
                written += 1
    if written:
        logger.warning("Wrote %s missing reminder rows.", written)
    return written


def schedule_review_requests(now: datetime | None = None) -> int:
    """Make sure every booking completed in the last 7 days has its review request row
    (written by the subscriber on completion; this catches the rest). Return how many were
    written."""
    now = now or clock_now()
    bookings = list(
        Booking.objects.filter(
            status=BookingStatus.COMPLETED,
            end__gte=now - REVIEW_REQUEST_MAX_AGE,
            customer__isnull=False,
        )
    )
    keys = {booking.pk: f"booking:{booking.pk}:review" for booking in bookings}
    existing = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    written = 0
    for booking in bookings:
        if keys[booking.pk] in existing:
            continue
        with transaction.atomic():
            if _enqueue_review_request(booking, now) is not None:
                written += 1
    return written


def autocomplete_past_bookings(now: datetime | None = None) -> int:
    """Complete every checked-in (in-progress) booking that ended more than an hour ago
    (through :func:`coresync.bookings.services.complete_booking`, so history, events and the
    review request follow); return how many. A booking changed meanwhile is left alone.

    A confirmed booking that was never checked in is not completed: only a checked-in
    booking can be (issue 18 item 5); the desk marks it a no-show or checks the guest in."""
    now = now or clock_now()
    due = Booking.objects.filter(
        status=BookingStatus.IN_PROGRESS,
        end__lte=now - AUTOCOMPLETE_AFTER,
    ).order_by("end", "pk")
    completed = 0
    for booking in due:
        try:
            complete_booking(booking, actor=None, now=now)
        except InvalidTransition:
            logger.info("Booking %s changed before auto-completion.", booking.reference)
            continue
        completed += 1
    return completed
