"""Email over a real SMTP server (aiosmtpd on a loopback port started by the test): the
confirmation arrives with a parseable invite, and a mail server outage loses nothing and
sends nothing twice."""

from datetime import timedelta

import pytest
from icalendar import Calendar

from conftest import local
from coresync.bookings.services import create_booking
from coresync.notifications.models import DeliveryStatus, EmailLog, OutboxMessage, OutboxStatus
from coresync.notifications.outbox import dispatch_due

pytestmark = pytest.mark.django_db


def book(customer, start):
    return create_booking(customer=customer, service="swedish", start=start)


def test_the_confirmation_arrives_over_smtp_with_a_parseable_invite(
    spa, customer, frozen_now, smtp_server
):
    server = smtp_server()
    booking = book(customer, local(2026, 12, 2, 10))

    assert dispatch_due(frozen_now) == 1

    [received] = server.inbox.messages
    assert received["To"] == "guest@example.com"
    assert received["Subject"] == "Confirmed: Swedish Massage on Wednesday, December 2, 2026"
    types = [part.get_content_type() for part in received.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",  # in the alternative: Outlook's meeting request
        "text/calendar",  # and attached as invite.ics
    ]
    [invite_part] = [part for part in received.walk() if part.get_filename() == "invite.ics"]
    assert invite_part.get_param("method") == "REQUEST"
    assert invite_part.get_filename() == "invite.ics"
    calendar = Calendar.from_ical(invite_part.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"booking-{booking.reference}@coresync.example"
    assert event.decoded("DTSTART") == local(2026, 12, 2, 10)
    assert event.decoded("DTEND") == local(2026, 12, 2, 11)


@pytest.mark.drill  # fault drill "SMTP down" (docs/fault-drills.md)
def test_a_mail_server_outage_delays_mail_but_loses_and_duplicates_nothing(
    spa, customer, premium_member, frozen_now, smtp_server
):
    server = smtp_server(start=False)  # the mail server is down
    book(customer, local(2026, 12, 2, 10))
    book(premium_member, local(2026, 12, 2, 13))

    assert dispatch_due(frozen_now) == 2

    rows = OutboxMessage.objects.filter(dedupe_key__endswith=":confirmation")
    assert set(rows.values_list("status", "attempts")) == {(OutboxStatus.FAILED, 1)}
    assert EmailLog.objects.filter(status=DeliveryStatus.FAILED).count() == 2
    assert "ConnectionRefusedError" in rows.first().last_error

    # Still down at the first retry: a second failure, a longer wait.
    first_retry = max(rows.values_list("available_at", flat=True))
    assert dispatch_due(first_retry) == 2
    assert set(rows.values_list("status", "attempts")) == {(OutboxStatus.FAILED, 2)}

    server.start()  # back up
    second_retry = max(rows.values_list("available_at", flat=True))
    assert first_retry <= frozen_now + timedelta(seconds=30) <= second_retry  # backing off
    assert dispatch_due(second_retry) == 2
    assert dispatch_due(second_retry + timedelta(minutes=30)) == 0  # before any reminder

    assert server.inbox.count() == 2
    assert sorted(message["To"] for message in server.inbox.messages) == [
        "guest@example.com",
        "premium@example.com",
    ]
    assert set(rows.values_list("status", "attempts")) == {(OutboxStatus.DONE, 3)}
    assert EmailLog.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert EmailLog.objects.filter(status=DeliveryStatus.FAILED).count() == 4
