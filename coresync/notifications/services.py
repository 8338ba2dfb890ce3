"""Notification state changes: what to send when a booking or membership changes, and the
periodic jobs (reminder and review safety nets, auto-completing past bookings).

Everything here only writes outbox rows (:func:`coresync.notifications.outbox.enqueue`) in the
caller's transaction; sending is the dispatcher's job, after commit.

Dedupe keys (one outbox row per key; a reschedule supersedes by key prefix):

- ``booking:<id>:confirmation``, ``booking:<id>:cancellation``, ``booking:<id>:review``
- ``booking:<id>:rescheduled:<reschedule_count>``
- ``booking:<id>:reminder:<kind>:<channel>:<start UTC ISO-8601>``
- ``membership:<id>:welcome``
- ``booking:<id>:needs_reassignment:<n>`` (the customer) and
  ``booking:<id>:needs_reassignment:<n>:manager:<user id>`` (each manager), ``n`` counting
  the times the booking was flagged
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import transaction

from coresync.bookings import events
from coresync.bookings.errors import InvalidTransition
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import complete_booking
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.memberships import events as membership_events
from coresync.notifications.channels import EMAIL, PUSH, SMS
from coresync.notifications.content import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMATION,
    BOOKING_NEEDS_REASSIGNMENT,
    BOOKING_RESCHEDULED,
    MEMBERSHIP_CHANGED,
    MEMBERSHIP_PRICE_CHANGED,
    MEMBERSHIP_WELCOME,
    REASSIGNMENT_NEEDED,
    REMINDER_1H,
    REMINDER_15M,
    REMINDER_24H,
    REVIEW_REQUEST,
)
from coresync.notifications.delivery import TOPIC_BY_CHANNEL, TOPIC_EMAIL
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import Outgoing, cancel_pending, enqueue, enqueue_many
from coresync.notifications.selectors import channel_enabled
from coresync.spa.selectors import get_settings

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
"""A review request goes this long after the end of the service (SPEC §6)..."""

REVIEW_REQUEST_LATEST = time(21, 0)
"""...but on the day of the visit and not after this spa-local time: "thank you for visiting
today" must be true, and nobody wants a spa email late at night. A visit whose completion is
recorded after that gets no review request."""

REVIEW_REQUEST_MAX_AGE = timedelta(days=1)
"""The safety net looks back this far for completed visits without a review request row."""

_suppressed: ContextVar[bool] = ContextVar("coresync_notifications_suppressed", default=False)


@contextmanager
def suppress_notifications() -> Iterator[None]:
    """Write no notification rows inside this block (bookings and memberships created by a
    spa-file import without ``--notify``). Other outbox topics (payments…) are unaffected."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def notifications_suppressed() -> bool:
    """Tell whether :func:`suppress_notifications` is active."""
    return _suppressed.get()


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
    - completed: supersede the reminders, review request 2 hours after the end, on the day,
      only when the guest was checked in (:func:`review_request_due_at`);
    - needs_reassignment (the technician was given time off over it): tell the customer
      (kept, free to cancel) and every manager (to reassign). Reminders stay: they are
      skipped at send time while the booking is not confirmed.

    Writes nothing inside :func:`suppress_notifications`.
    """
    if notifications_suppressed():
        return
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
                {
                    **_booking_payload(BOOKING_RESCHEDULED, booking),
                    **_previous_version(booking, data),
                },
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
    elif action == "booking.needs_reassignment":
        enqueue_many(_reassignment_messages(booking, data))
    elif action in ("booking.in_progress", "booking.no_show", "booking.expired"):
        cancel_pending(reminder_key_prefix(booking))
    elif action == "booking.completed":
        cancel_pending(reminder_key_prefix(booking))
        _enqueue_review_request(booking, now)


def _reassignment_messages(booking: Booking, data: dict[str, Any]) -> list[Outgoing]:
    """Return the outbox rows of a booking just flagged ``needs_reassignment``: one email to
    its customer and one to each active manager, keyed by how often it was flagged."""
    from coresync.accounts.models import Role, User
    from coresync.resources.models import Room, Technician

    count = booking.history.filter(action="booking.needs_reassignment").count()
    slugs = data.get("absent_technicians") or []
    names = dict(Technician.objects.filter(slug__in=slugs).values_list("slug", "name"))
    payload = {"absent": [names.get(slug, slug) for slug in slugs]}
    rooms = data.get("closed_rooms") or []
    if rooms:
        room_names = dict(Room.objects.filter(slug__in=rooms).values_list("slug", "name"))
        payload["closed"] = [room_names.get(slug, slug) for slug in rooms]
    key = f"booking:{booking.pk}:needs_reassignment:{count}"
    rows = []
    if booking.customer_id is not None:
        rows.append(
            Outgoing(
                TOPIC_EMAIL,
                {**_booking_payload(BOOKING_NEEDS_REASSIGNMENT, booking), **payload},
                dedupe_key=key,
            )
        )
    managers = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk")
    for manager_id in managers.values_list("pk", flat=True):
        rows.append(
            Outgoing(
                TOPIC_EMAIL,
                {
                    **_booking_payload(REASSIGNMENT_NEEDED, booking),
                    **payload,
                    "recipient_id": manager_id,
                },
                dedupe_key=f"{key}:manager:{manager_id}",
            )
        )
    return rows


def _previous_version(booking: Booking, data: dict[str, Any]) -> dict[str, Any]:
    """Return ``from_start`` and ``from_technicians`` (names) of a booking just rescheduled:
    the start from the event's data, the therapists from the history entry before it (the
    creation or the previous reschedule records the technicians' slugs)."""
    from coresync.resources.models import Technician

    previous = {"from_start": (data.get("from") or {}).get("start", "")}
    entries = list(
        booking.history.filter(action__in=["booking.created", "booking.rescheduled"])
        .order_by("-created_at", "-pk")
        .values_list("data", flat=True)[:2]
    )
    if len(entries) == 2 and isinstance(entries[1], dict):
        slugs = entries[1].get("technicians") or []
        names = dict(Technician.objects.filter(slug__in=slugs).values_list("slug", "name"))
        previous["from_technicians"] = sorted(names.get(slug, slug) for slug in slugs)
    return previous


def review_request_due_at(booking: Booking, now: datetime) -> datetime | None:
    """Return when ``booking``'s review request goes, or ``None`` if it gets none.

    Only a visit that happened and finished gets one: completed, with a check-in recorded (an
    unmarked no-show auto-completed by :func:`autocomplete_past_bookings` has none). It goes
    :data:`REVIEW_REQUEST_DELAY` after the end, at the latest :data:`REVIEW_REQUEST_LATEST`
    spa-local time of the day the visit ended; a completion recorded after that, or on a later
    day, gets none (the email says "thank you for visiting today").
    """
    if booking.customer_id is None or booking.checked_in_at is None:
        return None
    zone = get_settings().zone
    visit_day = local_date(booking.end, zone)
    if local_date(now, zone) != visit_day:
        return None
    latest = datetime.combine(visit_day, REVIEW_REQUEST_LATEST, tzinfo=zone)
    if now > latest:
        return None
    return max(min(booking.end + REVIEW_REQUEST_DELAY, latest), now)


def _enqueue_review_request(booking: Booking, now: datetime) -> OutboxMessage | None:
    due_at = review_request_due_at(booking, now)
    if due_at is None:
        return None
    return enqueue(
        TOPIC_EMAIL,
        _booking_payload(REVIEW_REQUEST, booking),
        dedupe_key=f"booking:{booking.pk}:review",
        available_at=due_at,
    )


def register() -> None:
    """Subscribe :func:`on_booking_event` to booking changes and
    :func:`on_membership_event` to membership changes (idempotent)."""
    events.subscribe(on_booking_event)
    membership_events.subscribe(on_membership_event)


def on_membership_event(subject, action: str, data: dict[str, Any]) -> None:
    """Write the outbox rows of a membership change (:mod:`coresync.memberships.events`), in
    the transaction of the change."""
    if action == "membership.started":
        send_membership_welcome(subject)
    elif action == "membership.plan_changed":
        send_membership_changed(subject, now=data.get("at"))
    elif action == "plan.price_changed":
        send_membership_price_changed(subject, data["old_price"])


def send_membership_welcome(membership) -> OutboxMessage | None:
    """Enqueue the welcome email with the PDF membership card of a new ``membership`` (once
    per membership), in the caller's transaction; return the outbox row (``None`` inside
    :func:`suppress_notifications`). It states the price, the next charge date, the automatic
    renewal and how to cancel online (New York GBL §527-a acknowledgment).

    Raises:
        OutboxUsageError: called outside a transaction.
    """
    if notifications_suppressed():
        return None
    return enqueue(
        TOPIC_EMAIL,
        {"kind": MEMBERSHIP_WELCOME, "membership_id": membership.pk},
        dedupe_key=f"membership:{membership.pk}:welcome",
    )


def send_membership_changed(membership, *, now: datetime | None = None) -> OutboxMessage | None:
    """Enqueue the notice of a plan change of ``membership`` (new plan, price, next charge,
    automatic renewal, how to cancel: GBL §527-a), in the caller's transaction."""
    if notifications_suppressed():
        return None
    stamp = _utc_iso(now or clock_now())
    return enqueue(
        TOPIC_EMAIL,
        {"kind": MEMBERSHIP_CHANGED, "membership_id": membership.pk, "plan_id": membership.plan_id},
        dedupe_key=f"membership:{membership.pk}:changed:{membership.plan_id}:{stamp}",
    )


def send_membership_price_changed(plan, old_price, *, now: datetime | None = None) -> int:
    """Enqueue a price-change notice (old and new monthly price, from the next charge, how to
    cancel before it: GBL §527-a "material change") to every active member of ``plan`` whose
    membership is not already ending; in the caller's transaction. Return how many."""
    from coresync.memberships.models import Membership, MembershipStatus

    if notifications_suppressed():
        return 0
    stamp = _utc_iso(now or clock_now())
    members = Membership.objects.filter(
        plan=plan, status=MembershipStatus.ACTIVE, ends_on__isnull=True
    ).values_list("pk", flat=True)
    rows = [
        Outgoing(
            TOPIC_EMAIL,
            {
                "kind": MEMBERSHIP_PRICE_CHANGED,
                "membership_id": membership_id,
                "old_price": f"{old_price:.2f}",
            },
            dedupe_key=f"membership:{membership_id}:price:{plan.monthly_price}:{stamp}",
        )
        for membership_id in members
    ]
    return len(enqueue_many(rows))


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
    """Make sure every checked-in visit completed today has its review request row (written
    by the subscriber on completion; this catches the rest, under the same rule:
    :func:`review_request_due_at`). Return how many were written."""
    now = now or clock_now()
    bookings = list(
        Booking.objects.filter(
            status=BookingStatus.COMPLETED,
            end__gte=now - REVIEW_REQUEST_MAX_AGE,
            customer__isnull=False,
            checked_in_at__isnull=False,
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
