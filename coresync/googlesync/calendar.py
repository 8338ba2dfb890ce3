"""Google Calendar two-way sync: push bookings to technicians' calendars, pull their other
events as busy time, flag our events edited in Google.

Push: a booking change enqueues ``googlesync.push_booking`` in the booking's transaction
(:mod:`coresync.googlesync.subscribers`); the handler writes the booking's current state —
an event per booked technician with a linked calendar, under an id derived from the booking
and the technician (a retry after a lost answer meets Google's 409 and replaces the event;
never a duplicate) — and deletes the events of technicians no longer on it or of a
cancelled booking.

Pull (:func:`pull_calendar`, every ``GOOGLE_CALENDAR_POLL_MINUTES``, or at once when a push
channel rings): incremental with Google's sync token; a 410 starts a full sync, after which
busy blocks of events no longer there are removed. An event of ours whose times differ from
what we pushed, or that was deleted, is flagged on its :class:`BookingEvent` for the desk.
"""

import base64
import hashlib
import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from coresync.bookings.models import ACTIVE_STATUSES, Booking
from coresync.core.clock import now as clock_now
from coresync.googlesync.errors import FullSyncRequired, GoogleError
from coresync.googlesync.models import BookingEvent, CalendarLink, EventFlag
from coresync.googlesync.providers import get_calendar_provider
from coresync.notifications.outbox import PermanentError, enqueue
from coresync.resources.models import ExternalBusyBlock, Technician
from coresync.spa.selectors import get_settings

logger = logging.getLogger(__name__)

TOPIC_PUSH_BOOKING = "googlesync.push_booking"
TOPIC_PULL_CALENDAR = "googlesync.pull_calendar"
SOURCE = "google"
FULL_SYNC_PAST = timedelta(days=1)
"""A full sync reads events from this long ago on (older ones cannot block a slot)."""


def event_id_for(booking: Booking, technician: Technician) -> str:
    """Return the Google event id of ``booking`` in ``technician``'s calendar: base32hex
    (``0-9a-v``, as Google requires) of a hash of both, stable across retries and moves."""
    digest = hashlib.sha256(f"coresync:{booking.reference}:{technician.slug}".encode()).digest()
    return base64.b32hexencode(digest[:20]).decode().lower().rstrip("=")


def event_body(booking: Booking) -> dict[str, Any]:
    """Return the Event resource of ``booking``: the service, the guest's first name only
    (SPEC: a technician never sees a guest's surname, email or phone), the room."""
    first_name = (booking.guest_name or booking.customer.get_short_name() or "Guest").split()[0]
    return {
        "summary": f"{booking.service.name} — {first_name}",
        "description": f"CoreSync booking {booking.reference}, room {booking.room.name}.",
        "start": {"dateTime": booking.start.isoformat()},
        "end": {"dateTime": booking.end.isoformat()},
        "extendedProperties": {"private": {"coresync_booking": booking.reference}},
        "transparency": "opaque",
    }


def enqueue_push(booking: Booking) -> None:
    """Queue the push of ``booking``'s current state (inside its transaction). Nothing is
    queued offline (``GOOGLE_PROVIDER=offline``: no query in the booking's transaction) or
    when no technician has a linked calendar."""
    if settings.GOOGLE_PROVIDER == "offline":
        return
    if not CalendarLink.objects.filter(is_active=True).exists():
        return
    enqueue(TOPIC_PUSH_BOOKING, {"booking": booking.pk})


def push_booking(booking_id: int) -> int:
    """Write ``booking``'s state to its technicians' calendars; return the calls made.

    Raises:
        PermanentError: Google refused a write for good (shown on the outbox row).
        GoogleError: transient; the outbox retries.
    """
    booking = (
        Booking.objects.select_related("service", "room", "customer").filter(pk=booking_id).first()
    )
    if booking is None:
        return 0
    provider = get_calendar_provider()
    wanted: dict[int, CalendarLink] = {}
    if booking.status in ACTIVE_STATUSES:
        technician_ids = set(
            booking.allocations.filter(is_active=True, technician__isnull=False).values_list(
                "technician_id", flat=True
            )
        ) or ({booking.technician_id} if booking.technician_id else set())
        for link in CalendarLink.objects.filter(
            technician_id__in=technician_ids, is_active=True
        ).select_related("technician"):
            wanted[link.pk] = link
    calls = 0
    pushed = set(
        BookingEvent.objects.filter(booking=booking, is_deleted=False).values_list(
            "link_id", "event_id"
        )
    )
    try:
        for link in wanted.values():
            event_id = event_id_for(booking, link.technician)
            known = (link.pk, event_id) in pushed
            provider.upsert_event(link, event_id, event_body(booking), known=known)
            BookingEvent.objects.update_or_create(
                link=link,
                event_id=event_id,
                defaults={
                    "booking": booking,
                    "pushed_start": booking.start,
                    "pushed_end": booking.end,
                    "is_deleted": False,
                },
            )
            calls += 1
        stale = BookingEvent.objects.filter(booking=booking, is_deleted=False).exclude(
            link_id__in=list(wanted)
        )
        for event in stale.select_related("link"):
            provider.delete_event(event.link, event.event_id)
            BookingEvent.objects.filter(pk=event.pk).update(is_deleted=True)
            calls += 1
    except GoogleError as error:
        if error.permanent:
            raise PermanentError(str(error)) from error
        raise
    return calls


def _instant(value: dict[str, Any], zone, *, end: bool) -> datetime | None:
    if value.get("dateTime"):
        return parse_datetime(value["dateTime"])
    if value.get("date"):  # an all-day event: whole spa-local days, the end date exclusive
        day = parse_date(value["date"])
        return datetime.combine(day, time(0), tzinfo=zone)
    return None


def _is_busy(event: dict[str, Any]) -> bool:
    return event.get("status") != "cancelled" and event.get("transparency") != "transparent"


def _apply_ours(link: CalendarLink, ours: BookingEvent, event: dict[str, Any], now) -> None:
    zone = get_settings().zone
    if ours.is_deleted:
        return
    if event.get("status") == "cancelled":
        flag, details = EventFlag.DELETED, {}
    else:
        start = _instant(event.get("start", {}), zone, end=False)
        end = _instant(event.get("end", {}), zone, end=True)
        if start == ours.pushed_start and end == ours.pushed_end:
            return  # our own write coming back
        flag = EventFlag.CHANGED
        details = {
            "start": start.isoformat() if start else "",
            "end": end.isoformat() if end else "",
        }
    if ours.flag != flag or ours.flag_details != details:
        BookingEvent.objects.filter(pk=ours.pk).update(
            flag=flag, flag_details=details, flagged_at=now
        )


def _apply_external(link: CalendarLink, event: dict[str, Any]) -> None:
    zone = get_settings().zone
    start = _instant(event.get("start", {}), zone, end=False)
    end = _instant(event.get("end", {}), zone, end=True)
    if not _is_busy(event) or start is None or end is None or end <= start:
        ExternalBusyBlock.objects.filter(
            technician_id=link.technician_id, source=SOURCE, external_id=event["id"]
        ).delete()
        return
    block = ExternalBusyBlock.objects.filter(
        technician_id=link.technician_id, source=SOURCE, external_id=event["id"]
    ).first()
    if block is None:
        ExternalBusyBlock.objects.create(
            technician_id=link.technician_id,
            source=SOURCE,
            external_id=event["id"],
            starts_at=start,
            ends_at=end,
            summary=(event.get("summary") or "")[:200],
        )
    elif (block.starts_at, block.ends_at) != (start, end):
        block.starts_at, block.ends_at = start, end
        block.save(update_fields=["starts_at", "ends_at", "updated_at"])


def pull_calendar(link: CalendarLink, *, now: datetime | None = None) -> int:
    """Read what changed in ``link``'s calendar and apply it; return the events read.

    1. Incremental list with the stored sync token (a full list from yesterday on when
       there is none).
    2. A 410 (token expired): forget the token and list in full.
    3. Each event: ours (an id we pushed, or our private property) → flagged if moved or
       deleted in Google; anyone else's → a busy block written, moved or removed.
    4. After a full list, busy blocks whose events were not in it are removed.
    5. Save the next sync token. Writes are one short transaction after the calls.

    Raises:
        GoogleError: Google could not be read (transient or permanent; nothing applied).
    """
    now = now or clock_now()
    provider = get_calendar_provider()
    time_min = (now - FULL_SYNC_PAST).astimezone(UTC).isoformat()
    full = not link.sync_token
    try:
        page = provider.list_events(link, link.sync_token, time_min)
    except FullSyncRequired:
        logger.info("Google sync token of %s expired: full sync", link)
        full = True
        page = provider.list_events(link, "", time_min)
    with transaction.atomic():
        ours = {event.event_id: event for event in BookingEvent.objects.filter(link=link)}
        for event in page.events:
            mine = ours.get(event["id"])
            private = event.get("extendedProperties", {}).get("private", {})
            if mine is not None:
                _apply_ours(link, mine, event, now)
            elif not private.get("coresync_booking"):
                _apply_external(link, event)
        if full:
            seen = [event["id"] for event in page.events if _is_busy(event)]
            for block in ExternalBusyBlock.objects.filter(
                technician_id=link.technician_id, source=SOURCE
            ).exclude(external_id__in=seen):
                block.delete()  # one by one: each bumps the availability cache
        CalendarLink.objects.filter(pk=link.pk).update(
            sync_token=page.next_sync_token, last_pulled_at=now, last_error=""
        )
    link.sync_token = page.next_sync_token
    return len(page.events)


def pull_all(now: datetime | None = None) -> int:
    """Pull every active linked calendar (the polling job); one failing calendar does not
    stop the others (its error is kept on the link). Return the events read."""
    total = 0
    for link in CalendarLink.objects.filter(is_active=True).select_related("technician"):
        try:
            total += pull_calendar(link, now=now)
        except GoogleError as error:
            logger.warning("Google calendar of %s could not be read: %s", link.technician, error)
            CalendarLink.objects.filter(pk=link.pk).update(last_error=str(error)[:2000])
    return total


def enqueue_pull(link: CalendarLink) -> None:
    """Queue a pull of ``link`` (a push notification said it changed); several
    notifications before it runs make one pull."""
    with transaction.atomic():
        enqueue(
            TOPIC_PULL_CALENDAR,
            {"link": link.pk},
            dedupe_key=f"google:pull:{link.pk}:{clock_now():%Y%m%d%H%M}",
        )


def flagged_events():
    """Return our events changed or deleted in Google, for the desk, newest first."""
    return (
        BookingEvent.objects.exclude(flag="")
        .select_related("booking__service", "link__technician")
        .order_by("-flagged_at")
    )


def dismiss_flag(event: BookingEvent) -> None:
    """Clear the desk's flag on ``event`` and push the booking again (CoreSync wins)."""
    with transaction.atomic():
        BookingEvent.objects.filter(pk=event.pk).update(flag="", flag_details={}, flagged_at=None)
        enqueue(TOPIC_PUSH_BOOKING, {"booking": event.booking_id})
