"""Booking invites (RFC 5545/5546): parsed back by two parsers, every field checked exactly;
the same UID through a reschedule and a cancellation; UTC times on both DST days of 2026."""

from datetime import UTC, datetime, timedelta

import pytest
import vobject
from icalendar import Calendar

from conftest import add_hours, local
from coresync.bookings.services import cancel_booking, reschedule_booking
from coresync.calendars.ics import (
    AUDIENCE_STAFF,
    PRODID,
    booking_event,
    booking_invite,
    booking_uid,
)
from coresync.resources.models import Weekday
from factories import BookingFactory

pytestmark = pytest.mark.django_db


def book(customer, service, start, **choices):
    """Book outside the booking window (calendar files of any day)."""
    return BookingFactory(
        customer=customer, service=service, start=start, enforce_booking_window=False, **choices
    )


def parse(document: bytes):
    """Parse ``document`` with icalendar (and validate it); return (calendar, its one VEVENT)."""
    calendar = Calendar.from_ical(document)
    calendar.validate()
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    assert calendar.errors == [] and events[0].errors == []
    return calendar, events[0]


def strict_parse(document: bytes):
    """Parse ``document`` with vobject, validating every component; return the VEVENT."""
    calendar = vobject.readOne(document.decode("utf-8"), validate=True)
    return calendar.vevent


def test_request_invite_has_every_field_exactly(spa, customer, frozen_now):
    customer.name = "Alex Rivera"
    customer.save(update_fields=["name"])
    booking = book(customer, spa.swedish, local(2026, 12, 2, 10, 0), technician=spa.ana)

    document = booking_invite(booking)

    calendar, event = parse(document)
    assert document.startswith(b"BEGIN:VCALENDAR\r\n")
    assert document.endswith(b"END:VCALENDAR\r\n")
    assert str(calendar["prodid"]) == PRODID == "-//CoreSync//CoreSync Spa Bookings//EN"
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["method"]) == "REQUEST"
    assert str(calendar["calscale"]) == "GREGORIAN"
    assert str(event["uid"]) == f"booking-{booking.reference}@coresync.example"
    assert event.decoded("dtstamp") == frozen_now.astimezone(UTC)
    assert event.decoded("dtstart") == booking.start == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert event.decoded("dtend") == booking.end == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert b"DTSTART:20261202T150000Z\r\n" in document
    assert b"DTEND:20261202T160000Z\r\n" in document
    assert b"DTSTAMP:20261201T130000Z\r\n" in document
    assert b"VTIMEZONE" not in document
    assert event.decoded("sequence") == 0
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["summary"]) == "Swedish Massage"
    assert str(event["location"]) == "CoreSync Spa, 12 Crosby Street, New York, NY 10013"
    assert str(event["description"]) == (
        f"Therapist: Ana\nReference: {booking.reference}\n\n"
        "Address: 12 Crosby Street, New York, NY 10013\nPhone: +1 212 555 0142\n"
        "Please arrive 15 minutes early to check in and change.\n\n"
        "Declining or deleting this invitation in your calendar does not cancel the booking. "
        "To cancel or reschedule, use the link above or call us."
    )
    [alarm] = event.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY"
    assert alarm.decoded("trigger") == -timedelta(hours=1)
    assert "url" not in event  # no link given
    organizer = event["organizer"]
    assert str(organizer) == "mailto:hello@coresync.example"
    assert organizer.params["CN"] == "CoreSync Spa"
    attendee = event["attendee"]
    assert str(attendee) == "mailto:guest@example.com"
    assert attendee.params["CN"] == "Alex Rivera"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"


def test_invite_passes_a_second_strict_parser(spa, customer, frozen_now):
    booking = book(customer, spa.swedish, local(2026, 12, 2, 10, 0))

    for method in ("REQUEST", "CANCEL"):
        event = strict_parse(booking_invite(booking, method))

        assert event.uid.value == booking_uid(booking)
        assert event.dtstart.value == booking.start
        assert event.dtstart.value.utcoffset() == timedelta(0)
        assert event.dtend.value == booking.end
        assert event.sequence.value == ("0" if method == "REQUEST" else "1")


def test_uid_stays_and_sequence_grows_through_reschedules_and_cancel(spa, vip_member, frozen_now):
    booking = book(vip_member, spa.swedish, local(2026, 12, 10, 10, 0))
    _, first = parse(booking_invite(booking))

    booking = reschedule_booking(booking, start=local(2026, 12, 11, 11, 0), actor=vip_member)
    _, second = parse(booking_invite(booking))
    booking = reschedule_booking(booking, start=local(2026, 12, 12, 9, 0), actor=vip_member)
    _, third = parse(booking_invite(booking))
    booking = cancel_booking(booking, actor=vip_member)
    calendar, cancelled = parse(booking_invite(booking, "CANCEL"))

    uids = {str(event["uid"]) for event in (first, second, third, cancelled)}
    assert uids == {f"booking-{booking.reference}@coresync.example"}
    sequences = [event.decoded("sequence") for event in (first, second, third, cancelled)]
    assert sequences == [0, 1, 2, 3]
    assert second.decoded("dtstart") == datetime(2026, 12, 11, 16, 0, tzinfo=UTC)
    assert third.decoded("dtstart") == datetime(2026, 12, 12, 14, 0, tzinfo=UTC)
    assert str(calendar["method"]) == "CANCEL"
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled.decoded("dtstart") == booking.start
    assert str(cancelled["attendee"]) == "mailto:vip@example.com"


def test_method_is_checked_and_case_insensitive(spa, customer, frozen_now):
    booking = book(customer, spa.swedish, local(2026, 12, 2, 10, 0))

    calendar, _ = parse(booking_invite(booking, "cancel"))

    assert str(calendar["method"]) == "CANCEL"
    with pytest.raises(ValueError, match="PUBLISH"):
        booking_invite(booking, "PUBLISH")


def test_uid_domain_and_organizer_come_from_settings(spa, customer, frozen_now, settings):
    settings.CALENDAR_UID_DOMAIN = "bookings.spa.test"
    settings.DEFAULT_FROM_EMAIL = "reservations@spa.test"
    booking = book(customer, spa.swedish, local(2026, 12, 2, 10, 0))

    _, event = parse(booking_invite(booking))

    assert str(event["uid"]) == f"booking-{booking.reference}@bookings.spa.test"
    assert str(event["organizer"]) == "mailto:reservations@spa.test"
    assert "CN" not in event["organizer"].params


def test_self_guided_booking_has_no_technician_line(spa, customer, frozen_now):
    booking = book(customer, spa.steam, local(2026, 12, 2, 10, 0))

    _, event = parse(booking_invite(booking))

    assert str(event["description"]).startswith(f"Reference: {booking.reference}\n\nAddress:")
    assert "Therapist" not in str(event["description"])
    assert str(event["location"]) == "CoreSync Spa, 12 Crosby Street, New York, NY 10013"


def test_fall_back_day_second_one_thirty_is_written_in_utc(spa, customer, frozen_now):
    # Sunday 2026-11-01: New York shows 01:30 twice; the second time (EST, -05:00) is 06:30Z.
    add_hours(spa.ana, "00:00", "04:00", weekdays=[Weekday.SUN])
    add_hours(spa.suite, "00:00", "04:00", weekdays=[Weekday.SUN])
    start = local(2026, 11, 1, 1, 30, fold=1)
    booking = book(customer, spa.swedish, start, technician=spa.ana, room=spa.suite)

    document = booking_invite(booking)

    _, event = parse(document)
    assert booking.start == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert event.decoded("dtstart") == booking.start
    assert event.decoded("dtend") == datetime(2026, 11, 1, 7, 30, tzinfo=UTC)
    assert b"DTSTART:20261101T063000Z\r\n" in document
    assert strict_parse(document).dtstart.value == booking.start


def test_spring_forward_day_is_written_in_utc(spa, customer, frozen_now):
    # Sunday 2026-03-08: 02:00-03:00 does not exist; 03:00 EDT is 07:00Z, 10:00 EDT is 14:00Z.
    add_hours(spa.ben, "03:00", "05:00", weekdays=[Weekday.SUN])
    add_hours(spa.suite, "03:00", "05:00", weekdays=[Weekday.SUN])
    early = book(customer, spa.swedish, local(2026, 3, 8, 3, 0), technician=spa.ben)
    later = book(customer, spa.swedish, local(2026, 3, 8, 10, 0), technician=spa.ana)

    early_document, later_document = booking_invite(early), booking_invite(later)

    assert parse(early_document)[1].decoded("dtstart") == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert parse(later_document)[1].decoded("dtstart") == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    assert b"DTSTART:20260308T070000Z\r\n" in early_document
    assert b"DTEND:20260308T080000Z\r\n" in early_document
    assert b"DTSTART:20260308T140000Z\r\n" in later_document


def test_staff_event_names_the_guest_by_first_name_only(spa, customer, frozen_now):
    customer.name = "Alex Rivera"
    customer.save(update_fields=["name"])
    booking = book(customer, spa.couples, local(2026, 12, 2, 10, 0), guests=2)

    event = booking_event(booking, audience=AUDIENCE_STAFF)

    text = event.to_ical().decode()
    assert str(event["summary"]) == "Couples Massage – Alex"
    assert "Rivera" not in text and "guest@example.com" not in text
    assert "ORGANIZER" not in text and "ATTENDEE" not in text
    assert str(event["description"]) == (
        "Guest: Alex\nGuests: 2\nTechnicians: Ana, Ben\nRoom: Couples Suite\n"
        f"Reference: {booking.reference}"
    )


def test_couples_invite_names_both_technicians(spa, customer, frozen_now):
    booking = book(customer, spa.couples, local(2026, 12, 2, 10, 0), guests=2)

    _, event = parse(booking_invite(booking))

    assert str(event["description"]).startswith(
        f"Therapists: Ana, Ben\nReference: {booking.reference}\n"
    )


def test_unknown_audience_is_refused(spa, customer, frozen_now):
    booking = book(customer, spa.swedish, local(2026, 12, 2, 10, 0))

    with pytest.raises(ValueError, match="audience"):
        booking_event(booking, audience="public")


def test_invite_carries_the_booking_link_as_url_and_in_the_description(spa, customer, frozen_now):
    booking = book(customer, spa.swedish, local(2026, 12, 2, 10, 0))
    link = f"https://spa.example/account/bookings/{booking.reference}/?access=abc"

    request = booking_invite(booking, url=link)
    cancel = booking_invite(booking, "CANCEL", url=link)

    _, event = parse(request)
    assert str(event["url"]) == link
    assert f"View, reschedule or cancel: {link}" in str(event["description"])
    assert strict_parse(request).url.value == link
    _, cancelled = parse(cancel)
    assert cancelled.walk("VALARM") == []  # no alarm for an event that is gone
