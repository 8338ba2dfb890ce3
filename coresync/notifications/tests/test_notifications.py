"""What is sent when a booking or membership changes, when, and to whom (SPEC §6), with
Django's in-memory mail backend (``mail.outbox``)."""

import os
import re
import smtplib
import subprocess
import sys
import threading
from datetime import timedelta
from io import StringIO

import pytest
import requests
import time_machine
from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from icalendar import Calendar

from conftest import local
from coresync.bookings.services import (
    cancel_booking,
    check_in_booking,
    complete_booking,
    confirm_booking,
    reschedule_booking,
)
from coresync.memberships.services import subscribe
from coresync.notifications import jobs
from coresync.notifications.channels import EMAIL, PUSH, SMS, EmailChannel, Message
from coresync.notifications.models import (
    DeliveryStatus,
    EmailLog,
    NotificationLog,
    OutboxMessage,
    OutboxStatus,
)
from coresync.notifications.outbox import PermanentError, dispatch_due
from coresync.notifications.selectors import channel_enabled
from coresync.notifications.services import autocomplete_past_bookings, schedule_due_reminders
from factories import BookingFactory

pytestmark = pytest.mark.django_db

START = local(2026, 12, 2, 10)  # Wednesday 10:00 New York, the day after the frozen "now"


def deliver(now) -> int:
    """Run every outbox row due at ``now``; return how many ran."""
    total = 0
    while count := dispatch_due(now):
        total += count
    return total


def mime_parts(email) -> dict[str, list]:
    """Return the parts of a sent email by content type (``text/calendar`` → bytes…)."""
    parts: dict[str, list] = {}
    for part in email.message().walk():
        if part.is_multipart():
            continue
        parts.setdefault(part.get_content_type(), []).append(part)
    return parts


def invite_of(email) -> Calendar:
    """Return the invite of ``email``: the same document in the ``multipart/alternative``
    (Outlook's meeting request) and as the ``.ics`` attachment."""
    inline, attached = mime_parts(email)["text/calendar"]
    assert inline.get_filename() is None and attached.get_filename() in ("invite.ics", "cancel.ics")
    assert inline.get_payload(decode=True) == attached.get_payload(decode=True)
    return Calendar.from_ical(attached.get_payload(decode=True))


def reminder_rows(booking):
    return OutboxMessage.objects.filter(dedupe_key__startswith=f"booking:{booking.pk}:reminder:")


# -- confirmation ------------------------------------------------------------------------


def test_a_confirmed_booking_sends_a_branded_confirmation_with_a_request_invite(
    spa, customer, frozen_now
):
    booking = BookingFactory(customer=customer, start=START, technician="ana")

    assert deliver(frozen_now) == 1

    [email] = mail.outbox
    assert email.to == ["guest@example.com"]
    assert email.subject == "Confirmed: Swedish Massage on Wednesday, December 2, 2026"
    row = OutboxMessage.objects.get(dedupe_key__endswith=":confirmation")
    assert re.fullmatch(
        rf"<outbox-{row.pk}-email\.[0-9a-f]{{20}}@coresync\.example>",
        email.extra_headers["Message-ID"],
    )
    assert "Wednesday, December 2, 2026 at 10:00 AM EST – 11:00 AM EST" in email.body
    assert "Your therapist: Ana" in email.body
    assert "PARKING" in email.body and "WHAT TO BRING" in email.body
    assert f"Reference: {booking.reference}" in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert "Your booking is confirmed" in html and "#c9a45c" in html
    invite = invite_of(email)
    assert invite["METHOD"] == "REQUEST"
    [event] = invite.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.reference}@coresync.example"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == START
    assert list(EmailLog.objects.values_list("kind", "to", "status", "error")) == [
        ("booking_confirmation", "guest@example.com", DeliveryStatus.SENT, "")
    ]


def test_a_booking_awaiting_payment_sends_nothing_until_confirmed(spa, customer, frozen_now):
    booking = BookingFactory(customer=customer, start=START, awaiting_payment=True)
    assert OutboxMessage.objects.count() == 0

    confirm_booking(booking)

    assert OutboxMessage.objects.filter(dedupe_key__endswith=":confirmation").count() == 1
    assert reminder_rows(booking).count() == 4


def test_the_customers_name_is_escaped_in_the_html_part(spa, customer, frozen_now):
    customer.name = "<script>alert(1)</script> Eve"
    customer.save(update_fields=["name"])
    BookingFactory(customer=customer, start=START)

    deliver(frozen_now)

    [(html, _)] = mail.outbox[0].alternatives
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- reminders ---------------------------------------------------------------------------


def test_each_reminder_goes_once_at_its_time_on_its_channels(spa, customer, frozen_now):
    BookingFactory(customer=customer, start=START)
    deliver(frozen_now)
    mail.outbox.clear()

    assert deliver(local(2026, 12, 1, 10)) == 1  # 24 hours before
    assert deliver(local(2026, 12, 1, 10)) == 0
    [reminder] = mail.outbox
    assert reminder.subject == "See you soon: Swedish Massage on Wednesday, December 2, 2026"
    assert "Two blocks from Spring St" in reminder.body  # directions
    assert "Garage at 55 Howard Street" in reminder.body  # parking
    assert "robes, slippers" in reminder.body  # what to bring

    assert deliver(local(2026, 12, 2, 9)) == 2  # 1 hour before: email + push
    assert deliver(local(2026, 12, 2, 9, 45)) == 1  # 15 minutes before: push

    assert [email.subject for email in mail.outbox] == [
        "See you soon: Swedish Massage on Wednesday, December 2, 2026",
        "In one hour: Swedish Massage at 10:00 AM EST",
    ]
    assert list(
        NotificationLog.objects.order_by("pk").values_list("channel", "kind", "to", "status")
    ) == [
        (PUSH, "reminder_1h", str(customer.pk), DeliveryStatus.SENT),
        (PUSH, "reminder_15m", str(customer.pk), DeliveryStatus.SENT),
    ]
    assert NotificationLog.objects.get(kind="reminder_15m").body == (
        "CoreSync Spa: time to check in - your Swedish Massage begins at 10:00 AM EST. "
        "We are ready to welcome you."
    )


def test_reminders_already_past_when_booking_are_not_written(spa, customer, frozen_now):
    booking = BookingFactory(
        customer=customer, start=local(2026, 12, 1, 10, 30), enforce_booking_window=False
    )

    assert sorted(reminder_rows(booking).values_list("payload__kind", "topic")) == [
        ("reminder_15m", "notifications.push"),
        ("reminder_1h", "notifications.email"),
        ("reminder_1h", "notifications.push"),
    ]


def test_a_reschedule_supersedes_the_reminders_and_sends_an_updated_invite(
    spa, customer, frozen_now
):
    booking = BookingFactory(customer=customer, start=local(2026, 12, 3, 10))
    deliver(frozen_now)
    old_reminders = list(reminder_rows(booking).values_list("pk", flat=True))

    reschedule_booking(booking, start=local(2026, 12, 3, 14), actor=customer)

    statuses = set(
        OutboxMessage.objects.filter(pk__in=old_reminders).values_list("status", flat=True)
    )
    assert statuses == {OutboxStatus.CANCELLED}
    new_reminders = reminder_rows(booking).exclude(pk__in=old_reminders)
    assert sorted(new_reminders.values_list("payload__kind", "available_at")) == [
        ("reminder_15m", local(2026, 12, 3, 13, 45)),
        ("reminder_1h", local(2026, 12, 3, 13)),
        ("reminder_1h", local(2026, 12, 3, 13)),
        ("reminder_24h", local(2026, 12, 2, 14)),
    ]
    mail.outbox.clear()
    deliver(frozen_now)
    [email] = mail.outbox
    assert email.subject == "Moved: your Swedish Massage is now on Thursday, December 3, 2026"
    [event] = invite_of(email).walk("VEVENT")
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == local(2026, 12, 3, 14)

    # At the old reminder time nothing goes; at the new one, the new reminder does.
    mail.outbox.clear()
    assert deliver(local(2026, 12, 2, 10)) == 0
    assert deliver(local(2026, 12, 2, 14)) == 1
    assert "2:00 PM EST" in mail.outbox[0].body


def test_a_reminder_written_for_an_old_start_is_skipped_not_sent(spa, customer, frozen_now):
    booking = BookingFactory(customer=customer, start=local(2026, 12, 3, 10))
    deliver(frozen_now)
    mail.outbox.clear()
    row = reminder_rows(booking).get(payload__kind="reminder_24h")
    # The row was already claimed by a worker when the booking moved (so not cancelled).
    OutboxMessage.objects.filter(pk=row.pk).update(
        payload={**row.payload, "start": "2026-12-03T19:00:00+00:00"}
    )

    deliver(row.available_at)

    assert mail.outbox == []
    log = EmailLog.objects.get(outbox_message=row)
    assert (log.status, log.error) == (
        DeliveryStatus.SKIPPED,
        "Booking moved from 2026-12-03T19:00:00+00:00 to 2026-12-03T15:00:00+00:00.",
    )
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.DONE


def test_checking_in_cancels_the_reminders_still_waiting(spa, customer, frozen_now):
    booking = BookingFactory(
        customer=customer, start=local(2026, 12, 1, 10, 30), enforce_booking_window=False
    )

    check_in_booking(booking, actor=customer, now=local(2026, 12, 1, 10, 25))

    assert set(reminder_rows(booking).values_list("status", flat=True)) == {OutboxStatus.CANCELLED}


def test_the_safety_net_writes_only_missing_future_reminders(spa, customer, frozen_now):
    booking = BookingFactory(customer=customer, start=local(2026, 12, 1, 15))
    reminder_rows(booking).delete()

    assert schedule_due_reminders(frozen_now) == 3
    assert schedule_due_reminders(frozen_now) == 0
    assert sorted(reminder_rows(booking).values_list("payload__kind", flat=True)) == [
        "reminder_15m",
        "reminder_1h",
        "reminder_1h",
    ]


# -- cancellation ------------------------------------------------------------------------


def test_a_cancellation_sends_a_cancel_invite_and_drops_the_reminders(spa, customer, frozen_now):
    booking = BookingFactory(customer=customer, start=local(2026, 12, 3, 10))
    deliver(frozen_now)
    mail.outbox.clear()

    cancel_booking(booking, actor=customer)
    deliver(frozen_now)

    [email] = mail.outbox
    assert email.subject == "Cancelled: Swedish Massage on Thursday, December 3, 2026"
    assert "No cancellation fee applies: nothing is charged." in email.body
    invite = invite_of(email)
    assert invite["METHOD"] == "CANCEL"
    [event] = invite.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.reference}@coresync.example"
    assert set(reminder_rows(booking).values_list("status", flat=True)) == {OutboxStatus.CANCELLED}
    assert deliver(local(2026, 12, 3, 9, 45)) == 0


def test_a_confirmation_still_queued_for_a_cancelled_booking_is_skipped(spa, customer, frozen_now):
    booking = BookingFactory(customer=customer, start=local(2026, 12, 3, 10))
    cancel_booking(booking, actor=customer)

    deliver(frozen_now)

    assert [email.subject for email in mail.outbox] == [
        "Cancelled: Swedish Massage on Thursday, December 3, 2026"
    ]
    assert sorted(EmailLog.objects.values_list("kind", "status", "error")) == [
        ("booking_cancelled", DeliveryStatus.SENT, ""),
        ("booking_confirmation", DeliveryStatus.SKIPPED, "Booking is cancelled."),
    ]


# -- opt-out and channels ----------------------------------------------------------------


def test_an_email_opt_out_is_logged_and_push_still_goes(spa, customer, frozen_now):
    customer.notification_preferences = {"email": False}
    customer.save(update_fields=["notification_preferences"])
    BookingFactory(customer=customer, start=START)

    deliver(local(2026, 12, 2, 9))

    assert mail.outbox == []
    assert sorted(EmailLog.objects.values_list("kind", "status")) == [
        ("booking_confirmation", DeliveryStatus.SKIPPED_OPT_OUT),
        ("reminder_1h", DeliveryStatus.SKIPPED_OPT_OUT),
        ("reminder_24h", DeliveryStatus.SKIPPED_OPT_OUT),
    ]
    assert list(NotificationLog.objects.values_list("kind", "status")) == [
        ("reminder_1h", DeliveryStatus.SENT)
    ]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {
        OutboxStatus.DONE,
        OutboxStatus.PENDING,  # the 15-minute push, not due yet
    }


def test_sms_goes_only_to_customers_who_turned_it_on(spa, customer, frozen_now):
    customer.notification_preferences = {"sms": True}
    customer.phone = "+12125550199"
    customer.save(update_fields=["notification_preferences", "phone"])
    booking = BookingFactory(customer=customer, start=START)

    deliver(local(2026, 12, 2, 9))

    [sms] = NotificationLog.objects.filter(channel=SMS)
    assert (sms.to, sms.kind, sms.status, sms.provider) == (
        "+12125550199",
        "reminder_1h",
        DeliveryStatus.SENT,
        "log-only",
    )
    assert sms.body == (
        "CoreSync Spa: Swedish Massage at 10:00 AM EST, in 1 hour. Please arrive 15 min early. "
        "12 Crosby Street, New York, NY 10013 Reply STOP to opt out."
    )
    assert reminder_rows(booking).filter(topic="notifications.sms").count() == 1


def test_no_sms_row_for_customers_who_did_not_turn_it_on(spa, customer, frozen_now):
    booking = BookingFactory(customer=customer, start=START)

    assert reminder_rows(booking).filter(topic="notifications.sms").count() == 0


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        ({}, {EMAIL: True, PUSH: True, SMS: False}),
        ({"email": False, "sms": True}, {EMAIL: False, PUSH: True, SMS: True}),
        ({"email": "no", "push": 0}, {EMAIL: True, PUSH: True, SMS: False}),
    ],
)
def test_channel_preferences_default_to_transactional_email_and_push(
    customer, preferences, expected
):
    customer.notification_preferences = preferences

    assert {channel: channel_enabled(customer, channel) for channel in expected} == expected


# -- after the visit, memberships --------------------------------------------------------


def test_completion_sends_a_review_request_two_hours_after_the_end(
    spa, customer, frozen_now, settings
):
    settings.REVIEW_URL = "https://g.page/r/test-review"
    booking = BookingFactory(
        customer=customer, start=local(2026, 12, 1, 10, 30), enforce_booking_window=False
    )
    check_in_booking(booking, actor=None, now=local(2026, 12, 1, 10, 25))
    complete_booking(booking, actor=None, now=local(2026, 12, 1, 11, 30))
    [review] = OutboxMessage.objects.filter(payload__kind="review_request")
    assert review.available_at == local(2026, 12, 1, 13, 30)
    mail.outbox.clear()

    assert deliver(local(2026, 12, 1, 13, 29)) == 1  # the confirmation only
    mail.outbox.clear()
    assert deliver(local(2026, 12, 1, 13, 30)) == 1

    [email] = mail.outbox
    assert email.subject == "How was your Swedish Massage?"
    assert "https://g.page/r/test-review" in email.body
    assert 'href="https://g.page/r/test-review"' in email.alternatives[0][0]


def test_autocomplete_completes_checked_in_bookings_ended_over_an_hour_ago(
    spa, customer, frozen_now
):
    ended = BookingFactory(
        customer=customer, start=local(2026, 12, 1, 9), enforce_booking_window=False
    )
    check_in_booking(ended, actor=None, now=local(2026, 12, 1, 8, 55))
    cancelled = BookingFactory(
        customer=customer,
        start=local(2026, 12, 1, 9, 30),
        enforce_booking_window=False,
        guest_name="Jo",
    )
    cancel_booking(cancelled, actor=customer, now=local(2026, 12, 1, 8, 30))
    never_checked_in = BookingFactory(
        customer=customer, start=local(2026, 12, 1, 10, 30), enforce_booking_window=False
    )
    later = BookingFactory(
        customer=customer,
        start=local(2026, 12, 1, 11, 15),
        enforce_booking_window=False,
        guest_name="Kim",
    )
    check_in_booking(later, actor=None, now=local(2026, 12, 1, 11, 10))

    assert autocomplete_past_bookings(local(2026, 12, 1, 12, 30)) == 1

    for booking in (ended, cancelled, never_checked_in, later):
        booking.refresh_from_db()
    assert (ended.status, cancelled.status, never_checked_in.status, later.status) == (
        "completed",
        "cancelled",
        "confirmed",
        "in_progress",
    )
    assert OutboxMessage.objects.filter(dedupe_key=f"booking:{ended.pk}:review").exists()
    assert not OutboxMessage.objects.filter(
        dedupe_key=f"booking:{never_checked_in.pk}:review"
    ).exists()


def test_a_new_membership_sends_a_welcome_with_the_pdf_card(spa, customer, frozen_now):
    membership = subscribe(customer, spa.plans["premium"], paid=True)

    deliver(frozen_now)

    [email] = mail.outbox
    assert email.subject == "Welcome to CoreSync Spa – your Premium membership"
    assert "Your Premium membership is active since December 1, 2026." in email.body
    [(filename, content, mimetype)] = email.attachments
    assert (filename, mimetype) == ("coresync-membership-card.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    assert EmailLog.objects.get().kind == "membership_welcome"
    assert OutboxMessage.objects.get().dedupe_key == f"membership:{membership.pk}:welcome"


# -- delivery: idempotency and failures --------------------------------------------------


def test_a_message_run_again_after_being_sent_is_not_sent_twice(spa, customer, frozen_now):
    BookingFactory(customer=customer, start=START)
    deliver(frozen_now)
    row = OutboxMessage.objects.get(dedupe_key__endswith=":confirmation")
    # The worker sent the email but died before marking the row done.
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)

    assert deliver(frozen_now) == 1

    assert len(mail.outbox) == 1
    assert EmailLog.objects.count() == 1
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.DONE


class FailingBackend(BaseEmailBackend):
    """An email backend that raises ``FailingBackend.error``."""

    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        raise type(self).error


@pytest.fixture
def failing_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    yield FailingBackend
    FailingBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_transient_send_error_is_logged_and_retried(spa, customer, frozen_now, failing_backend):
    BookingFactory(customer=customer, start=START)

    deliver(frozen_now)

    row = OutboxMessage.objects.get(dedupe_key__endswith=":confirmation")
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert list(EmailLog.objects.values_list("status", "error")) == [
        (DeliveryStatus.FAILED, "SMTPServerDisconnected: Connection unexpectedly closed")
    ]


def test_a_refused_recipient_is_permanent(spa, customer, frozen_now, failing_backend):
    failing_backend.error = smtplib.SMTPRecipientsRefused(
        {"guest@example.com": (550, b"No such user")}
    )
    BookingFactory(customer=customer, start=START)

    deliver(frozen_now)

    row = OutboxMessage.objects.get(dedupe_key__endswith=":confirmation")
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, 1)
    assert row.last_error.startswith("PermanentError: Recipient refused")


@pytest.mark.parametrize(
    ("status_code", "permanent"), [(400, True), (422, True), (429, False), (503, False)]
)
def test_an_esp_4xx_is_permanent_and_5xx_or_429_is_retried(
    settings, failing_backend, status_code, permanent
):
    response = requests.Response()
    response.status_code, response.reason, response._content = status_code, "No", b"{}"
    failing_backend.error = AnymailAPIError(
        "ESP said no", status_code=status_code, response=response
    )
    message = Message(to="guest@example.com", subject="Hi", text="Hello")

    with pytest.raises(PermanentError if permanent else AnymailAPIError):
        EmailChannel().send(message)


def test_dispatch_outbox_command_runs_due_rows_once(spa, customer, frozen_now):
    BookingFactory(customer=customer, start=START)
    output = StringIO()

    call_command("dispatch_outbox", "--once", stdout=output)

    assert output.getvalue() == "Dispatched 1 outbox message(s).\n"
    assert len(mail.outbox) == 1


def test_the_in_process_loop_dispatches_and_runs_the_periodic_jobs(spa, customer, frozen_now):
    BookingFactory(customer=customer, start=START)
    ended = BookingFactory(
        customer=customer, start=local(2026, 11, 30, 10), enforce_booking_window=False
    )
    check_in_booking(ended, actor=None, now=local(2026, 11, 30, 9, 50))
    stop = threading.Event()
    safety = threading.Timer(10, stop.set)  # never hang the suite
    reported: list[tuple[str, int]] = []

    def report(name: str, count: int) -> None:
        reported.append((name, count))
        stop.set()

    safety.start()
    try:
        jobs.run_forever(interval=0.01, stop=stop, report=report)
    finally:
        safety.cancel()

    assert ("outbox-dispatch", 2) in reported  # both confirmations ran
    assert ("autocomplete-past-bookings", 1) in reported
    ended.refresh_from_db()
    assert ended.status == "completed"
    assert len(mail.outbox) == 1  # a confirmation for a past booking is not sent late
    # checked in (as the loop needs to complete it), so no longer confirmed
    assert EmailLog.objects.get(status=DeliveryStatus.SKIPPED).error == ("Booking is in_progress.")


def test_the_beat_schedule_names_every_periodic_task():
    from coresync.assistant import tasks as assistant_tasks
    from coresync.celery import app
    from coresync.notifications import tasks
    from coresync.staff import tasks as staff_tasks  # a worker finds it by autodiscovery

    app.loader.import_default_modules()  # what a worker does at start: each app's tasks.py
    schedule = app.conf.beat_schedule
    assert assistant_tasks.purge_old_conversations.name == "assistant.purge_conversations"

    tasks_by_job = {name: entry["task"] for name, entry in schedule.items()}
    assert (
        tasks_by_job.items()
        >= {
            "outbox-dispatch": "notifications.dispatch_outbox",
            "due-reminders": "notifications.send_due_reminders",
            "expire-holds": "notifications.expire_holds",
            "membership-renewals": "payments.renew_memberships",
            "review-requests": "notifications.send_review_requests",
            "outbox-retry-failed": "notifications.retry_failed",
            "autocomplete-past-bookings": "notifications.autocomplete_past_bookings",
            "outbox-cleanup": "notifications.cleanup_outbox",
            "payroll-close": "staff.close_pay_periods",
            "assistant-purge-conversations": "assistant.purge_conversations",
        }.items()
    )
    assert schedule["outbox-dispatch"]["schedule"] == 30.0
    assert schedule["due-reminders"]["schedule"] == 60.0
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    assert tasks.dispatch_outbox.name == "notifications.dispatch_outbox"
    assert staff_tasks.close_pay_periods.name == "staff.close_pay_periods"


def test_the_expire_holds_task_expires_a_hold_that_ran_out(spa, customer, frozen_now):
    from coresync.notifications import tasks

    booking = BookingFactory(customer=customer, start=START, awaiting_payment=True)

    with time_machine.travel(frozen_now + timedelta(minutes=15), tick=False):
        assert tasks.expire_holds.run() == 1

    booking.refresh_from_db()
    assert booking.status == "expired"


def settings_in_subprocess(environment: dict[str, str], expression: str):
    """Import the settings module in a fresh interpreter with ``environment``; return the
    completed process (stdout: ``expression``'s value)."""
    return subprocess.run(
        [sys.executable, "-c", f"import coresync.settings as s; print({expression})"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_anymail_esp_selects_the_backend_and_its_settings(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("secret-token\n")

    result = settings_in_subprocess(
        {
            "ANYMAIL_ESP": "postmark",
            "ANYMAIL_POSTMARK_SERVER_TOKEN_FILE": str(token_file),
            "ANYMAIL_MAILGUN_API_KEY": "not-for-postmark",
        },
        "s.EMAIL_BACKEND, s.ANYMAIL",
    )

    assert result.stdout.strip() == (
        "anymail.backends.postmark.EmailBackend {'POSTMARK_SERVER_TOKEN': 'secret-token'}"
    )


def test_an_unknown_anymail_esp_stops_start_up():
    result = settings_in_subprocess({"ANYMAIL_ESP": "carrier.pigeon"}, "s.EMAIL_BACKEND")

    assert result.returncode == 1
    assert 'ANYMAIL_ESP "carrier.pigeon" is not an Anymail ESP.' in result.stderr
