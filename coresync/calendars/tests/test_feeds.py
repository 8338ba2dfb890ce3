"""Private ICS feeds: tokens, rotation and revocation, and what each feed shows (and hides)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
import vobject
from django.db import IntegrityError, transaction
from icalendar import Calendar

from conftest import local, make_customer
from coresync.accounts.models import Role, User
from coresync.bookings.models import BookingStatus
from coresync.bookings.services import (
    cancel_booking,
    check_in_booking,
    complete_booking,
    create_booking,
    reschedule_booking,
)
from coresync.calendars.errors import FeedRevoked
from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.calendars.selectors import feed_url, live_feed_by_token, webcal_url
from coresync.calendars.services import create_feed, revoke_feed, rotate_feed

pytestmark = pytest.mark.django_db


def book(customer, service, start, **choices):
    return create_booking(
        customer=customer, service=service, start=start, enforce_booking_window=False, **choices
    )


def fetch(client, feed):
    return client.get(f"/calendars/{feed.token}.ics")


def events_of(response) -> dict[str, object]:
    """Parse a feed response (icalendar, validated; vobject, validated); return its VEVENTs
    by UID."""
    calendar = Calendar.from_ical(response.content)
    calendar.validate()
    vobject.readOne(response.content.decode("utf-8"), validate=True)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def uid(booking) -> str:
    return f"booking-{booking.reference}@coresync.example"


@pytest.fixture
def alex(spa):
    user = make_customer("alex@example.com")
    user.name = "Alex Rivera"
    user.save(update_fields=["name"])
    return user


@pytest.fixture
def sam(spa):
    user = make_customer("sam@example.com")
    user.name = "Sam Okafor-Lindqvist"
    user.save(update_fields=["name"])
    return user


# -- services ------------------------------------------------------------------------------


def test_create_feed_issues_an_unguessable_token_once_per_owner(alex):
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex, created_by=alex)
    again = create_feed(kind=FeedKind.CUSTOMER, owner=alex, created_by=alex)

    assert feed.was_created is True and again.was_created is False
    assert again.pk == feed.pk and again.token == feed.token
    assert len(feed.token) == 43
    assert set(feed.token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert (feed.user, feed.technician, feed.room, feed.created_by) == (alex, None, None, alex)
    assert CalendarFeed.objects.count() == 1


def test_tokens_differ_between_owners(spa, alex, sam):
    tokens = {
        create_feed(kind=FeedKind.CUSTOMER, owner=alex).token,
        create_feed(kind=FeedKind.CUSTOMER, owner=sam).token,
        create_feed(kind=FeedKind.TECHNICIAN, owner=spa.ana).token,
        create_feed(kind=FeedKind.ROOM, owner=spa.suite).token,
    }

    assert len(tokens) == 4


def test_create_feed_refuses_an_owner_of_the_wrong_type(spa):
    with pytest.raises(ValueError, match="Technician"):
        create_feed(kind=FeedKind.TECHNICIAN, owner=spa.suite)
    with pytest.raises(ValueError, match="kind"):
        create_feed(kind="spa", owner=spa.suite)
    assert CalendarFeed.objects.count() == 0


def test_database_allows_one_live_feed_per_owner(alex):
    create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeed.objects.create(kind=FeedKind.CUSTOMER, user=alex, token="another-token-12345")


def test_database_refuses_an_owner_that_does_not_match_the_kind(spa):
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeed.objects.create(kind=FeedKind.ROOM, technician=spa.ana, token="x" * 43)


def test_rotate_revokes_the_old_url_and_issues_a_new_one(client, alex, frozen_now):
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    replacement = rotate_feed(feed, actor=alex)

    feed.refresh_from_db()
    assert feed.revoked_at == frozen_now and feed.revoked_by == alex
    assert replacement.token != feed.token and replacement.user == alex
    assert replacement.revoked_at is None
    assert fetch(client, feed).status_code == 404
    assert fetch(client, replacement).status_code == 200
    with pytest.raises(FeedRevoked):
        rotate_feed(feed, actor=alex)
    assert CalendarFeed.objects.live().count() == 1


def test_revoke_is_immediate_and_idempotent(client, alex, frozen_now):
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)
    assert fetch(client, feed).status_code == 200

    revoke_feed(feed, actor=alex)
    with time_machine.travel(frozen_now + timedelta(hours=1), tick=False):
        revoke_feed(feed)

    feed.refresh_from_db()
    assert feed.revoked_at == frozen_now and feed.revoked_by == alex
    assert fetch(client, feed).status_code == 404
    # After a revocation a new feed (new URL) may be created.
    assert create_feed(kind=FeedKind.CUSTOMER, owner=alex).token != feed.token


# -- the public endpoint -------------------------------------------------------------------


def test_feed_answers_text_calendar_with_cache_and_refresh_hints(client, alex, frozen_now):
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    response = fetch(client, feed)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["method"]) == "PUBLISH"
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == "CoreSync Spa bookings"
    assert str(calendar["name"]) == "CoreSync Spa bookings"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.content
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.content
    assert events_of(response) == {}
    # A calendar holds at least one component (RFC 5545 §3.6): an empty feed carries UTC.
    assert b"BEGIN:VTIMEZONE\r\nTZID:UTC\r\n" in response.content


def test_feed_needs_no_login_and_answers_head(client, alex):
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    assert client.head(f"/calendars/{feed.token}.ics").status_code == 200
    assert client.post(f"/calendars/{feed.token}.ics").status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/calendars/" + "A" * 43 + ".ics",
        "/calendars/short.ics",
        "/calendars/" + "A" * 43,
        "/calendars/../admin/.ics",
    ],
)
def test_unknown_tokens_are_404(client, alex, path):
    create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    assert client.get(path).status_code == 404


def test_deactivated_owner_feed_is_404(client, spa, alex):
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)
    room_feed = create_feed(kind=FeedKind.ROOM, owner=spa.suite)
    alex.is_active = False
    alex.save(update_fields=["is_active"])
    spa.suite.is_active = False
    spa.suite.save(update_fields=["is_active"])

    assert fetch(client, feed).status_code == 404
    assert fetch(client, room_feed).status_code == 404
    assert live_feed_by_token(feed.token) is None


def test_customer_feed_lists_own_active_bookings_in_utc_never_others(
    client, spa, alex, sam, frozen_now
):
    confirmed = book(alex, spa.swedish, local(2026, 12, 2, 10, 0), technician=spa.ana)
    fall_back = book(alex, spa.steam, local(2026, 11, 20, 9, 0))
    cancelled = book(alex, spa.swedish, local(2026, 12, 3, 10, 0))
    cancel_booking(cancelled, actor=alex)
    others = book(sam, spa.swedish, local(2026, 12, 2, 10, 0), technician=spa.ben)
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    response = fetch(client, feed)

    events = events_of(response)
    assert set(events) == {uid(confirmed), uid(fall_back)}
    assert uid(others) not in events and uid(cancelled) not in events
    body = response.content.decode()
    assert "Okafor" not in body and "sam@example.com" not in body and "Sam" not in body
    event = events[uid(confirmed)]
    assert event.decoded("dtstart") == confirmed.start == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert event.decoded("dtend") == confirmed.end
    assert event.decoded("dtstamp") == frozen_now
    assert event.decoded("sequence") == 0
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["summary"]) == "Swedish Massage"
    # The guest's calendar maps the street address; the room is an internal name.
    assert str(event["location"]) == "CoreSync Spa, 12 Crosby Street, New York, NY 10013"
    assert str(event["description"]) == f"Therapist: Ana\nReference: {confirmed.reference}"
    assert "organizer" not in event and "attendee" not in event
    assert "DTSTART:20261202T150000Z" in body


def test_feed_window_is_30_days_back_to_365_ahead(client, spa, vip_member, frozen_now):
    with time_machine.travel(datetime(2025, 10, 1, 12, tzinfo=UTC), tick=False):
        too_old = book(vip_member, spa.swedish, local(2026, 10, 30, 10, 0))
        recent = book(vip_member, spa.swedish, local(2026, 11, 2, 10, 0))
    near = book(vip_member, spa.swedish, local(2027, 11, 30, 10, 0))
    too_far = book(vip_member, spa.swedish, local(2027, 12, 3, 10, 0))
    for booking in (too_old, recent):
        check_in_booking(booking, actor=None, now=booking.start)
        complete_booking(booking, actor=None)
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=vip_member)

    events = events_of(fetch(client, feed))

    assert set(events) == {uid(recent), uid(near)}
    assert uid(too_old) not in events and uid(too_far) not in events


def test_expired_payment_hold_drops_out_of_the_feed(client, spa, alex, frozen_now):
    held = create_booking(
        customer=alex, service=spa.swedish, start=local(2026, 12, 2, 10, 0), awaiting_payment=True
    )
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)
    assert held.status == BookingStatus.PENDING
    assert str(events_of(fetch(client, feed))[uid(held)]["status"]) == "TENTATIVE"

    with time_machine.travel(frozen_now + timedelta(minutes=16), tick=False):
        assert events_of(fetch(client, feed)) == {}


def test_reschedule_keeps_uid_and_raises_sequence_in_the_feed(client, spa, vip_member, frozen_now):
    booking = book(vip_member, spa.swedish, local(2026, 12, 10, 10, 0))
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=vip_member)
    before = events_of(fetch(client, feed))[uid(booking)]

    booking = reschedule_booking(booking, start=local(2026, 12, 11, 12, 0), actor=vip_member)

    after = events_of(fetch(client, feed))[uid(booking)]
    assert before.decoded("sequence") == 0 and after.decoded("sequence") == 1
    assert after.decoded("dtstart") == datetime(2026, 12, 11, 17, 0, tzinfo=UTC)


def test_technician_feed_shows_their_bookings_only_with_first_names(
    client, spa, alex, sam, frozen_now
):
    with_ana = book(alex, spa.swedish, local(2026, 12, 2, 10, 0), technician=spa.ana)
    with_ben = book(sam, spa.swedish, local(2026, 12, 2, 10, 0), technician=spa.ben)
    couples = book(sam, spa.couples, local(2026, 12, 3, 10, 0), guests=2)
    steam = book(alex, spa.steam, local(2026, 12, 2, 11, 0))
    ana_feed = create_feed(kind=FeedKind.TECHNICIAN, owner=spa.ana)
    ben_feed = create_feed(kind=FeedKind.TECHNICIAN, owner=spa.ben)

    ana_response, ben_response = fetch(client, ana_feed), fetch(client, ben_feed)

    ana_events, ben_events = events_of(ana_response), events_of(ben_response)
    # The couples booking occupies both therapists (one is on the booking, one on an allocation).
    assert set(ana_events) == {uid(with_ana), uid(couples)}
    assert set(ben_events) == {uid(with_ben), uid(couples)}
    assert uid(steam) not in ana_events
    assert str(ana_events[uid(with_ana)]["summary"]) == "Swedish Massage – Alex"
    assert str(ben_events[uid(with_ben)]["summary"]) == "Swedish Massage – Sam"
    assert str(Calendar.from_ical(ana_response.content)["x-wr-calname"]) == "CoreSync Spa – Ana"
    for response in (ana_response, ben_response):
        body = response.content.decode()
        for secret in ("Rivera", "Okafor", "alex@example.com", "sam@example.com", "mailto:"):
            assert secret not in body


def test_rescheduled_to_another_technician_leaves_the_first_feed(
    client, spa, vip_member, frozen_now
):
    booking = book(vip_member, spa.swedish, local(2026, 12, 10, 10, 0), technician=spa.ana)
    ana_feed = create_feed(kind=FeedKind.TECHNICIAN, owner=spa.ana)
    assert set(events_of(fetch(client, ana_feed))) == {uid(booking)}

    reschedule_booking(
        booking, start=local(2026, 12, 10, 10, 0), technician=spa.ben, actor=vip_member
    )

    assert events_of(fetch(client, ana_feed)) == {}
    ben_feed = create_feed(kind=FeedKind.TECHNICIAN, owner=spa.ben)
    assert set(events_of(fetch(client, ben_feed))) == {uid(booking)}


def test_room_feed_shows_bookings_in_that_room(client, spa, alex, sam, frozen_now):
    steam_a = book(alex, spa.steam, local(2026, 12, 2, 10, 0))
    steam_b = book(sam, spa.steam, local(2026, 12, 2, 10, 0))
    in_suite = book(
        alex, spa.swedish, local(2026, 12, 2, 10, 0), room=spa.suite, guest_name="Jo Okafor"
    )
    feed = create_feed(kind=FeedKind.ROOM, owner=spa.steam_room)

    response = fetch(client, feed)

    events = events_of(response)
    assert set(events) == {uid(steam_a), uid(steam_b)}
    assert uid(in_suite) not in events
    assert "Okafor" not in response.content.decode()
    assert str(Calendar.from_ical(response.content)["x-wr-calname"]) == "CoreSync Spa – Steam Room"


def test_feed_urls_use_the_site_url(alex, settings):
    settings.SITE_URL = "https://spa.example.com/"
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    assert feed_url(feed) == f"https://spa.example.com/calendars/{feed.token}.ics"
    assert webcal_url(feed) == f"webcal://spa.example.com/calendars/{feed.token}.ics"


def test_feed_reads_a_fixed_number_of_queries(
    client, spa, alex, frozen_now, django_assert_max_num_queries
):
    for day in (2, 3, 4):
        book(alex, spa.swedish, local(2026, 12, day, 10, 0))
        book(alex, spa.steam, local(2026, 12, day, 12, 0))
    feed = create_feed(kind=FeedKind.CUSTOMER, owner=alex)

    with django_assert_max_num_queries(4):
        response = fetch(client, feed)

    assert len(events_of(response)) == 6


def test_technician_user_is_not_the_owner_of_a_technician_feed(spa):
    # A technician feed follows the technician, not their login: it keeps working when the
    # login changes hands.
    user = User.objects.create_user(
        "ana@spa.test", "pass-word-123", name="Ana", role=Role.TECHNICIAN
    )
    spa.ana.user = user
    spa.ana.save(update_fields=["user"])

    feed = create_feed(kind=FeedKind.TECHNICIAN, owner=spa.ana)

    assert feed.user is None and feed.owner == spa.ana
