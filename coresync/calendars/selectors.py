"""Reads for calendar feeds: which feeds a user may see, a feed by its token, the bookings a
feed lists and the feed document itself (SPEC §6)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from icalendar import vDuration

from coresync.accounts.models import User
from coresync.bookings.models import Booking, BookingStatus
from coresync.calendars.ics import (
    AUDIENCE_CUSTOMER,
    AUDIENCE_STAFF,
    booking_event,
    new_calendar,
    utc_timezone,
)
from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.scheduling.models import Allocation
from coresync.spa.selectors import get_settings

FEED_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.IN_PROGRESS,
    BookingStatus.COMPLETED,
    BookingStatus.NEEDS_REASSIGNMENT,
)
"""Statuses a feed lists; cancelled, no-show, rescheduled and expired bookings drop out (a
subscribed calendar deletes an event that is no longer in the feed)."""

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)
"""A feed lists bookings ending at most 30 days ago and starting at most 365 days ahead
(elapsed time from now)."""

TOKEN_PATTERN = r"[A-Za-z0-9_-]{20,64}"
"""What a token looks like in a URL (``secrets.token_urlsafe`` alphabet)."""


def feeds_visible_to(user: User) -> QuerySet[CalendarFeed]:
    """Return the live feeds ``user`` may see and manage.

    - Everyone: their own customer feed.
    - A technician with a technician profile: that technician's feed.
    - A manager: every technician and room feed (never another customer's feed: its URL is
      that customer's secret).
    """
    feeds = CalendarFeed.objects.live().select_related("technician", "room")
    visible = Q(kind=FeedKind.CUSTOMER, user=user)
    if user.is_manager:
        visible |= Q(kind__in=[FeedKind.TECHNICIAN, FeedKind.ROOM])
    else:
        technician = getattr(user, "technician", None)
        if technician is not None:
            visible |= Q(kind=FeedKind.TECHNICIAN, technician=technician)
    return feeds.filter(visible)


def live_feed_by_token(token: str) -> CalendarFeed | None:
    """Return the live feed whose token is ``token``, or ``None``.

    ``None`` also when the owner is gone from service: a deactivated user, technician or room.
    """
    feed = (
        CalendarFeed.objects.live()
        .select_related("user", "technician", "room")
        .filter(token=token)
        .first()
    )
    if feed is None or not feed.owner.is_active:
        return None
    return feed


def feed_url(feed: CalendarFeed) -> str:
    """Return the absolute ``https://…/calendars/<token>.ics`` URL of ``feed`` (``SITE_URL``)."""
    path = reverse("calendar-feed", kwargs={"token": feed.token})
    return settings.SITE_URL.rstrip("/") + path


def webcal_url(feed: CalendarFeed) -> str:
    """Return the ``webcal://`` form of :func:`feed_url` (opens Apple/Outlook subscription)."""
    return "webcal://" + feed_url(feed).split("://", 1)[1]


def feed_bookings(feed: CalendarFeed, now: datetime) -> QuerySet[Booking]:
    """Return the bookings ``feed`` lists at instant ``now``, by start.

    Customer feed: the customer's bookings. Technician feed: bookings on which the technician
    is the booking's technician or holds an active allocation (the second therapist of a
    couples booking). Room feed: bookings in the room. Only :data:`FEED_STATUSES`, ending after
    ``now - 30 days`` and starting before ``now + 365 days``; a pending booking whose payment
    hold has run out is left out.
    """
    bookings = Booking.objects.select_related("service", "room", "technician", "customer")
    bookings = bookings.prefetch_related(
        Prefetch("allocations", Allocation.objects.select_related("technician"))
    ).filter(
        status__in=FEED_STATUSES,
        end__gt=now - FEED_PAST,
        start__lt=now + FEED_FUTURE,
    )
    bookings = bookings.exclude(status=BookingStatus.PENDING, hold_expires_at__lte=now)
    if feed.kind == FeedKind.CUSTOMER:
        bookings = bookings.filter(customer_id=feed.user_id)
    elif feed.kind == FeedKind.TECHNICIAN:
        allocated = Allocation.objects.filter(technician_id=feed.technician_id, is_active=True)
        bookings = bookings.filter(
            Q(technician_id=feed.technician_id) | Q(pk__in=allocated.values("booking_id"))
        )
    else:
        bookings = bookings.filter(room_id=feed.room_id)
    return bookings.order_by("start", "pk")


def feed_name(feed: CalendarFeed, spa_name: str) -> str:
    """Return the calendar's display name (``X-WR-CALNAME``)."""
    if feed.kind == FeedKind.CUSTOMER:
        return f"{spa_name} bookings"
    return f"{spa_name} – {feed.owner.name}"


def feed_ics(feed: CalendarFeed, now: datetime) -> bytes:
    """Return the feed document: a ``VCALENDAR`` (METHOD PUBLISH) with one ``VEVENT`` per
    booking of :func:`feed_bookings`, times in UTC, DTSTAMP = ``now``.

    Calendar properties: PRODID, VERSION, CALSCALE, METHOD, NAME/X-WR-CALNAME (see
    :func:`feed_name`), X-WR-CALDESC, REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL (Outlook)
    set to ``CALENDAR_FEED_REFRESH_MINUTES``. A customer feed describes the customer's own
    bookings; technician and room feeds name each guest by first name only. A feed with no
    booking carries a UTC ``VTIMEZONE`` (:func:`~coresync.calendars.ics.utc_timezone`) because a
    calendar must hold at least one component.
    """
    spa_name = get_settings().name
    calendar = new_calendar(method="PUBLISH", name=feed_name(feed, spa_name))
    calendar.add("x-wr-caldesc", f"Bookings at {spa_name}; private link, do not share.")
    refresh = timedelta(minutes=settings.CALENDAR_FEED_REFRESH_MINUTES)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh).to_ical().decode())
    audience = AUDIENCE_CUSTOMER if feed.kind == FeedKind.CUSTOMER else AUDIENCE_STAFF
    for booking in feed_bookings(feed, now):
        calendar.add_component(
            booking_event(booking, audience=audience, now=now, spa_name=spa_name)
        )
    if not calendar.subcomponents:
        calendar.add_component(utc_timezone())
    return calendar.to_ical()
