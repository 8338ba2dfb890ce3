"""iCalendar (RFC 5545) documents for bookings: email invites and the events of private feeds.

Every event of a booking carries the same ``UID`` — ``booking-<reference>@<CALENDAR_UID_DOMAIN>``
— in the confirmation invite, in a reschedule, in a cancellation and in every feed, so a calendar
client updates one entry instead of adding another. ``SEQUENCE`` is the booking's
``reschedule_count`` (plus one in a cancellation), so each newer message supersedes the older.
All times are written in UTC (``...Z``): no time zone definition to get wrong, and Google, Apple and
Outlook show them in the reader's own zone.

This module builds documents only; it sends nothing and reads no request.
"""

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneStandard, vCalAddress, vText

from coresync.bookings.models import Booking, BookingStatus
from coresync.core.clock import now as clock_now
from coresync.spa.selectors import get_settings

PRODID = "-//CoreSync//CoreSync Spa Bookings//EN"

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
INVITE_METHODS = (METHOD_REQUEST, METHOD_CANCEL)

AUDIENCE_CUSTOMER = "customer"
AUDIENCE_STAFF = "staff"
AUDIENCES = (AUDIENCE_CUSTOMER, AUDIENCE_STAFF)
"""Who reads an event: the booking's customer (sees technician and reference) or staff through
a technician/room feed (sees the guest's first name only, never an email or a full name)."""

_FEED_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.IN_PROGRESS: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    # Kept, but its technician is away until a manager reassigns it.
    BookingStatus.NEEDS_REASSIGNMENT: "TENTATIVE",
}


def booking_uid(booking: Booking) -> str:
    """Return the stable iCalendar UID of ``booking``: ``booking-CS-2026-000123@<domain>``."""
    return f"booking-{booking.reference}@{settings.CALENDAR_UID_DOMAIN}"


def _utc(instant: datetime) -> datetime:
    """Return the aware ``instant`` in UTC (icalendar then writes the ``Z`` form)."""
    return instant.astimezone(UTC)


def _first_name(user) -> str:
    """Return a customer's first name for staff eyes, or ``"Guest"``."""
    name = (getattr(user, "name", "") or "").strip()
    return name.split()[0] if name else "Guest"


ARRIVAL_NOTE = "Please arrive 15 minutes early to check in and change."
"""The arrival note of invites and booking emails."""

DECLINE_NOTE = (
    "Declining or deleting this invitation in your calendar does not cancel the booking. "
    "To cancel or reschedule, use the link above or call us."
)
"""Calendar apps offer Decline on any invitation; the guest must know it changes nothing."""

ALARM_BEFORE = timedelta(hours=1)
"""The invite's VALARM: one hour before the start (a display alarm; clients that honour
alarms in invitations show it, others ignore it)."""


def _location(booking: Booking, spa_name: str, audience: str = AUDIENCE_CUSTOMER) -> str:
    """Return LOCATION: for guests the spa's name and street address (``SPA_ADDRESS``), which
    Google, Apple and Outlook turn into a map and travel time; for staff the room too."""
    if audience == AUDIENCE_STAFF:
        return f"{spa_name}, {booking.room.name}"
    address = settings.SPA_ADDRESS
    return f"{spa_name}, {address}" if address else spa_name


def _organizer() -> vCalAddress:
    """Return ``ORGANIZER`` as the spa's sending address (``DEFAULT_FROM_EMAIL``)."""
    display_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    if display_name:
        organizer.params["CN"] = vText(display_name)
    return organizer


def _attendee(booking: Booking) -> vCalAddress | None:
    """Return ``ATTENDEE`` for the booking's customer, or ``None`` when it has none."""
    customer = booking.customer
    if customer is None or not customer.email:
        return None
    attendee = vCalAddress(f"mailto:{customer.email}")
    if customer.name:
        attendee.params["CN"] = vText(customer.name)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    # The booking is already made: no RSVP buttons, the guest has accepted.
    attendee.params["PARTSTAT"] = vText("ACCEPTED")
    attendee.params["RSVP"] = vText("FALSE")
    return attendee


def technician_names(booking: Booking) -> list[str]:
    """Return the names of the technicians serving ``booking``: those of its active allocations
    (both therapists of a couples booking), else the booking's technician, else none (a
    self-guided service). Uses prefetched ``allocations__technician`` when present."""
    names = sorted(
        {
            allocation.technician.name
            for allocation in booking.allocations.all()
            if allocation.is_active and allocation.technician is not None
        }
    )
    if not names and booking.technician is not None:
        names = [booking.technician.name]
    return names


def _description(booking: Booking, audience: str) -> str:
    """Return DESCRIPTION: lines ``Label: value`` (the customer's view: therapist(s) and
    reference; staff: guest first name, guest count, technician(s), room, reference)."""
    technicians = technician_names(booking)
    role = "Therapist" if audience == AUDIENCE_CUSTOMER else "Technician"
    technician_line = (
        [f"{role}{'s' if len(technicians) > 1 else ''}: {', '.join(technicians)}"]
        if technicians
        else []
    )
    if audience == AUDIENCE_CUSTOMER:
        lines = technician_line
    else:
        lines = [f"Guest: {_first_name(booking.customer)}"]
        if booking.guests > 1:
            lines.append(f"Guests: {booking.guests}")
        lines += [*technician_line, f"Room: {booking.room.name}"]
    return "\n".join([*lines, f"Reference: {booking.reference}"])


def booking_event(
    booking: Booking,
    *,
    audience: str = AUDIENCE_CUSTOMER,
    now: datetime | None = None,
    spa_name: str | None = None,
) -> Event:
    """Build the ``VEVENT`` of ``booking`` as a feed shows it.

    Args:
        booking: with ``service``, ``room``, ``technician`` and ``customer`` loaded and
            ``allocations__technician`` prefetched when building many.
        audience: ``"customer"`` — SUMMARY is the service, DESCRIPTION names the technician and
            the reference; ``"staff"`` — SUMMARY is ``"<service> – <guest first name>"`` and no
            other personal data of the guest appears.
        now: the ``DTSTAMP`` instant (aware); default the clock.
        spa_name: the spa's name for ``LOCATION``; default from the spa settings (pass it when
            building many events to read the settings once).

    Returns:
        An :class:`icalendar.Event` with UID, DTSTAMP, DTSTART/DTEND (UTC), SEQUENCE (the
        reschedule count), STATUS (TENTATIVE while pending payment, CONFIRMED, or CANCELLED for
        any other status), SUMMARY, LOCATION, DESCRIPTION, CREATED and LAST-MODIFIED. No
        ORGANIZER/ATTENDEE: a published feed is not a meeting invitation.

    Raises:
        ValueError: an unknown ``audience``.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"Unknown audience {audience!r}; expected one of {AUDIENCES}.")
    status = _FEED_STATUS.get(booking.status, "CANCELLED")
    return _event(booking, audience=audience, status=status, now=now, spa_name=spa_name)


def _event(
    booking: Booking, *, audience: str, status: str, now: datetime | None, spa_name: str | None
) -> Event:
    """Build a booking's ``VEVENT`` with the given STATUS; SEQUENCE is the reschedule count,
    plus one when CANCELLED so the cancellation supersedes the last version."""
    now = now or clock_now()
    spa_name = spa_name if spa_name is not None else get_settings().name
    summary = booking.service.name
    if audience == AUDIENCE_STAFF:
        summary = f"{summary} – {_first_name(booking.customer)}"

    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(booking.start))
    event.add("dtend", _utc(booking.end))
    event.add("sequence", booking.reschedule_count + (1 if status == "CANCELLED" else 0))
    event.add("status", status)
    event.add("summary", summary)
    event.add("location", _location(booking, spa_name, audience))
    event.add("description", _description(booking, audience))
    event.add("transp", "OPAQUE")
    if booking.created_at is not None:
        event.add("created", _utc(booking.created_at))
    if booking.updated_at is not None:
        event.add("last-modified", _utc(booking.updated_at))
    return event


def _invite_description(booking: Booking, url: str) -> str:
    """Return an invite's DESCRIPTION: therapist(s), reference, address, phone, the arrival
    note, the booking's link and what Decline does (nothing)."""
    lines = [_description(booking, AUDIENCE_CUSTOMER), ""]
    if settings.SPA_ADDRESS:
        lines.append(f"Address: {settings.SPA_ADDRESS}")
    if settings.SPA_PHONE:
        lines.append(f"Phone: {settings.SPA_PHONE}")
    lines.append(ARRIVAL_NOTE)
    if url:
        lines += ["", f"View, reschedule or cancel: {url}"]
    lines += ["", DECLINE_NOTE]
    return "\n".join(lines)


def _alarm(booking: Booking) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{booking.service.name} in one hour. {ARRIVAL_NOTE}")
    alarm.add("trigger", -ALARM_BEFORE)
    return alarm


def booking_invite(
    booking: Booking,
    method: str = METHOD_REQUEST,
    *,
    now: datetime | None = None,
    url: str = "",
) -> bytes:
    """Return an RFC 5545/5546 invitation for ``booking`` as bytes (CRLF lines, UTF-8).

    Attach it to an email as ``text/calendar; method=<METHOD>; charset=utf-8`` (file name
    ``invite.ics``).

    Args:
        booking: the booking, with ``service``, ``room``, ``technician``, ``customer`` loaded or
            loadable.
        method: ``"REQUEST"`` for a confirmation or a reschedule (same UID, SEQUENCE =
            ``reschedule_count``, STATUS CONFIRMED); ``"CANCEL"`` for a cancellation (SEQUENCE =
            ``reschedule_count + 1`` so it supersedes the last request, STATUS CANCELLED).
        now: the ``DTSTAMP`` instant (aware); default the clock.
        url: the booking's signed page (``URL`` property and a DESCRIPTION line); optional.

    Returns:
        ``VCALENDAR`` with PRODID, VERSION 2.0, CALSCALE GREGORIAN, METHOD and one ``VEVENT``
        carrying UID, DTSTAMP, DTSTART/DTEND in UTC, SEQUENCE, STATUS, SUMMARY (service name),
        LOCATION (spa name and street address), URL, DESCRIPTION (therapist, reference,
        address, phone, arrival note, link, "Decline does not cancel"), a display VALARM one
        hour before (REQUEST only), ORGANIZER (mailto:
        the ``DEFAULT_FROM_EMAIL`` address) and ATTENDEE (the customer's email). A CANCEL keeps
        the ATTENDEE because RFC 5546 §3.2.5 asks for every attendee when the whole event is
        cancelled.

    Raises:
        ValueError: ``method`` is neither REQUEST nor CANCEL.
    """
    method = method.upper()
    if method not in INVITE_METHODS:
        raise ValueError(f"Unknown method {method!r}; expected one of {INVITE_METHODS}.")
    # An invite states what the message means, whatever the booking's status is right now.
    status = "CANCELLED" if method == METHOD_CANCEL else "CONFIRMED"
    event = _event(booking, audience=AUDIENCE_CUSTOMER, status=status, now=now, spa_name=None)
    event["description"] = vText(_invite_description(booking, url))
    if url:
        event.add("url", url)
    if method == METHOD_REQUEST:
        event.add_component(_alarm(booking))
    event.add("organizer", _organizer())
    attendee = _attendee(booking)
    if attendee is not None:
        event.add("attendee", attendee)

    calendar = new_calendar(method=method)
    calendar.add_component(event)
    return calendar.to_ical()


def new_calendar(*, method: str | None = None, name: str | None = None) -> Calendar:
    """Return an empty ``VCALENDAR`` with PRODID, VERSION 2.0, CALSCALE GREGORIAN and, when
    given, METHOD and the display name (``X-WR-CALNAME`` and RFC 7986 ``NAME``)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
    return calendar


def utc_timezone() -> Timezone:
    """Return a minimal ``VTIMEZONE`` for UTC (offset +00:00 since 1970).

    RFC 5545 §3.6 requires at least one component in a ``VCALENDAR``; a feed with no bookings
    carries this one so strict parsers accept it. It changes no time: every time is UTC already.
    """
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(0))
    standard.add("tzoffsetto", timedelta(0))
    standard.add("tzname", "UTC")
    timezone = Timezone()
    timezone.add("tzid", "UTC")
    timezone.add_component(standard)
    return timezone
