"""What guests read: every message is produced through the outbox and read back — over a real
SMTP server (aiosmtpd) for the MIME structure and headers, from Django's outbox for the rest —
and checked for its link, its lines, its legal text and its headers (issue: guest messages)."""

import re
import subprocess
import sys
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client
from icalendar import Calendar

from conftest import local, make_customer
from coresync.bookings.access import booking_from_access_token
from coresync.bookings.services import (
    cancel_booking,
    check_in_booking,
    complete_booking,
    create_booking,
    mark_no_show,
    reschedule_booking,
)
from coresync.memberships.models import Membership, MembershipStatus
from coresync.memberships.services import (
    activate_membership,
    change_plan,
    subscribe,
    update_plan,
)
from coresync.notifications.models import DeliveryStatus, EmailLog, OutboxMessage
from coresync.notifications.outbox import dispatch_due
from coresync.notifications.selectors import kind_enabled
from coresync.notifications.services import autocomplete_past_bookings

pytestmark = pytest.mark.django_db

START = local(2026, 12, 2, 10)  # the day after the frozen "now"


def deliver(now) -> int:
    total = 0
    while count := dispatch_due(now):
        total += count
    return total


def html_of(email) -> str:
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


def text_only(html: str) -> str:
    """The HTML part's visible text, whitespace collapsed (for phrase checks)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&amp;", "&").split())


def booking_link(body: str, reference: str) -> str:
    [link] = set(
        re.findall(rf"http://testserver\.example/account/bookings/{reference}/\?access=\S+", body)
    )
    return link


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver.example"


# -- 1, 2: the confirmation -----------------------------------------------------------------


def test_confirmation_over_smtp_has_link_lines_payment_fees_preferences_and_headers(
    spa, premium_member, frozen_now, smtp_server
):
    server = smtp_server()
    premium_member.name = "Alex Rivera"
    premium_member.save(update_fields=["name"])
    booking = create_booking(
        customer=premium_member,
        service="swedish",
        start=START,
        technician="ana",
        addon_slugs=["hot-stones"],
        preferences={"pressure": "firm", "music": "jazz"},
        notes="Left shoulder is sore",
    )

    assert deliver(frozen_now) == 1

    [received] = server.inbox.messages
    assert [part.get_content_type() for part in received.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "text/calendar",
    ]
    # Plumbing: a unique Message-ID on the sending domain, a Reply-To the desk reads.
    assert re.fullmatch(
        r"<outbox-\d+-email\.[0-9a-f]{20}@coresync\.example>", received["Message-ID"]
    )
    assert received["Reply-To"] == "CoreSync Spa front desk <desk@coresync.example>"
    assert "List-Unsubscribe" not in received  # a confirmation is transactional
    body = received.get_body(("plain",)).get_content()
    for line in (
        "Swedish Massage, 60 min: $100.00",
        "Premium discount (40%): −$40.00",
        "Hot Stones: $35.00",
        "Subtotal: $95.00",
        "Tax (8.875%): $8.43",
        "Total: $103.43",
        "Your membership saved you $40.00.",
        "Pay at the spa: $103.43.",
        "60 min + Hot Stones 15 min",
        "Your therapist: Ana",
        "Pressure: Firm",
        "Music: Soft jazz",
        "Your note: Left shoulder is sore",
        "You can cancel or reschedule free of charge until Tuesday, December 1, 2026 at "
        "10:00 AM EST (24 hours before).",
        "Cancelling within 24 hours of the start costs 50% of the total ($51.72).",
        "Missing the appointment without cancelling costs 100% of the total ($103.43).",
        "Any fee is payable at the spa.",
        "Please arrive 15 minutes early",
    ):
        assert line in body, line
    assert "Suite A" not in body  # internal room names stay internal
    link = booking_link(body, booking.reference)
    token = parse_qs(urlsplit(link).query)["access"][0]
    assert booking_from_access_token(token, reference=booking.reference) == booking
    html = received.get_body(("html",)).get_content()
    assert f'href="{link.replace("&", "&amp;")}"' in html
    assert "View, reschedule or cancel" in html
    # The invite: inline (Outlook's meeting request) and attached; map-able, with the link.
    inline, attached = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert inline.get_param("method") == attached.get_param("method") == "REQUEST"
    assert attached.get_filename() == "invite.ics" and inline.get_filename() is None
    [event] = Calendar.from_ical(attached.get_payload(decode=True)).walk("VEVENT")
    assert str(event["location"]) == "CoreSync Spa, 12 Crosby Street, New York, NY 10013"
    assert str(event["url"]) == link
    description = str(event["description"])
    for line in (
        "Therapist: Ana",
        "Address: 12 Crosby Street, New York, NY 10013",
        "Phone: +1 212 555 0142",
        "Please arrive 15 minutes early",
        f"View, reschedule or cancel: {link}",
        "does not cancel the booking",
    ):
        assert line in description, line
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(hours=1)


def test_a_couples_confirmation_names_both_therapists_and_both_guests(spa, customer, frozen_now):
    create_booking(customer=customer, service="couples", start=START, guests=2)

    deliver(frozen_now)

    [email] = mail.outbox
    assert "Your therapists: Ana and Ben" in email.body
    assert "2 guests" in email.body
    assert "Room premium (+10%)" in email.body  # what the room means to the guest: its price
    assert "Couples Suite" not in email.body


def test_a_card_on_file_says_fees_are_charged_to_it(spa, customer, frozen_now, settings):
    from coresync.notifications.content import payment_summary
    from coresync.payments.models import PaymentCustomer

    booking = create_booking(customer=customer, service="swedish", start=START)
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_example"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_example"
    PaymentCustomer.objects.create(
        user=customer, provider_customer_id="cus_1", default_payment_method_id="pm_1"
    )

    assert payment_summary(booking)["fees"] == "charged to the card on file"


# -- 3: reschedule and cancellations --------------------------------------------------------


def test_a_reschedule_shows_old_and_new_time_and_flags_a_new_therapist(spa, customer, frozen_now):
    booking = create_booking(customer=customer, service="swedish", start=START, technician="ana")
    deliver(frozen_now)
    mail.outbox.clear()

    reschedule_booking(booking, start=local(2026, 12, 2, 14), technician="ben", actor=customer)
    deliver(frozen_now)

    [email] = mail.outbox
    assert "Was: Wednesday, December 2, 2026 at 10:00 AM EST" in email.body
    assert "Now: Wednesday, December 2, 2026 at 2:00 PM EST" in email.body
    assert "Please note: your therapist is now Ben (instead of Ana)." in email.body
    booking_link(email.body, booking.reference)
    assert "line-through" in html_of(email)


def test_a_reschedule_with_the_same_therapist_flags_nothing(spa, customer, frozen_now):
    booking = create_booking(customer=customer, service="swedish", start=START, technician="ana")
    reschedule_booking(booking, start=local(2026, 12, 2, 14), technician="ana", actor=customer)

    deliver(frozen_now)

    moved = next(email for email in mail.outbox if email.subject.startswith("Moved"))
    assert "Was: Wednesday, December 2, 2026 at 10:00 AM EST" in moved.body
    assert "your therapist is now" not in moved.body


def test_a_guest_cancellation_says_as_you_asked(spa, customer, frozen_now):
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 3, 10))
    cancel_booking(booking, actor=customer)

    deliver(frozen_now)

    email = mail.outbox[-1]
    assert "as you asked, we have cancelled" in email.body
    assert "No cancellation fee applies: nothing is charged." in email.body
    assert "Total" not in email.body and "Total" not in html_of(email)
    assert "priority" not in email.body


def test_a_spa_cancellation_apologises_gives_the_reason_and_priority_rebooking(
    spa, customer, manager, frozen_now
):
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 3, 10))
    cancel_booking(booking, actor=manager, reason="a burst pipe in the treatment wing")

    deliver(frozen_now)

    email = mail.outbox[-1]
    assert email.subject == "Cancelled: Swedish Massage on Thursday, December 3, 2026"
    assert (
        "we are sorry — the spa had to cancel the appointment below: "
        "a burst pipe in the treatment wing."
    ) in email.body
    assert "You have priority to rebook" in email.body
    assert "as you asked" not in email.body


def test_a_desk_cancellation_without_a_reason_is_on_the_guests_behalf(
    spa, customer, manager, frozen_now
):
    booking = create_booking(customer=customer, service="swedish", start=local(2026, 12, 3, 10))
    cancel_booking(booking, actor=manager)  # the guest phoned

    deliver(frozen_now)

    assert "as you asked, we have cancelled" in mail.outbox[-1].body
    assert "the spa had to cancel" not in mail.outbox[-1].body


def test_a_late_cancellation_states_the_fee_policy_and_collection_without_a_total(
    spa, customer, frozen_now
):
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 1, 15),
        enforce_booking_window=False,
    )
    cancel_booking(booking, actor=customer)

    deliver(frozen_now)

    email = mail.outbox[-1]
    assert "A late-cancellation fee of $54.44 applies." in email.body
    assert (
        "Our cancellation policy: cancelling within 24 hours of the start costs 50% of the "
        "booking ($108.88)."
    ) in email.body
    assert "The fee is payable at the spa." in email.body
    assert "Total" not in email.body and "Total" not in html_of(email)


# -- 4: review requests, unsubscribe, per-kind opt-outs --------------------------------------


VISIT_START = local(2026, 12, 1, 10, 30)


def visit(customer, start=VISIT_START):
    booking = create_booking(
        customer=customer, service="swedish", start=start, enforce_booking_window=False
    )
    check_in_booking(booking, actor=None, now=start - timedelta(minutes=10))
    complete_booking(booking, actor=None, now=start + timedelta(hours=1))
    return booking


def test_a_review_request_carries_one_click_unsubscribe_over_smtp(
    spa, customer, frozen_now, smtp_server
):
    server = smtp_server()
    visit(customer)
    deliver(local(2026, 12, 1, 13, 30))

    [review] = [m for m in server.inbox.messages if m["Subject"].startswith("How was")]
    assert review["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [link] = re.fullmatch(r"<(https?://\S+)>", review["List-Unsubscribe"].strip()).groups()
    assert link.startswith("http://testserver.example/unsubscribe/")
    assert link in review.get_body(("plain",)).get_content()
    assert "Unsubscribe from review requests" in review.get_body(("html",)).get_content()

    # The mail client's one-click POST: no session, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        urlsplit(link).path, {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.notification_preferences["review_requests"] is False
    assert kind_enabled(customer, "review_requests") is False


def test_unsubscribing_from_reviews_keeps_confirmations_and_reminders(spa, customer, frozen_now):
    from coresync.notifications.unsubscribe import unsubscribe, unsubscribe_token

    unsubscribe(unsubscribe_token(customer, "review_requests"))
    create_booking(customer=customer, service="swedish", start=START)
    deliver(frozen_now)
    visit(customer)

    deliver(local(2026, 12, 1, 13, 30))

    assert [email.subject for email in mail.outbox] == [
        "Confirmed: Swedish Massage on Wednesday, December 2, 2026",
        "See you soon: Swedish Massage on Wednesday, December 2, 2026",  # 24 h before
    ]
    assert EmailLog.objects.get(kind="review_request").status == DeliveryStatus.SKIPPED_OPT_OUT


def test_the_unsubscribe_page_asks_first_and_refuses_bad_tokens(spa, customer, client):
    from coresync.notifications.unsubscribe import unsubscribe_token

    token = unsubscribe_token(customer, "review_requests")

    page = client.get(f"/unsubscribe/{token}/")
    assert page.status_code == 200
    assert "Requests to review a visit" in page.content.decode()
    customer.refresh_from_db()
    assert customer.notification_preferences.get("review_requests") is None  # GET changes nothing
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    assert client.post(f"/unsubscribe/{forged}/").status_code == 404
    customer.refresh_from_db()
    assert customer.notification_preferences.get("review_requests") is None


def test_the_preferences_page_shows_and_saves_the_kinds(spa, customer, client):
    client.force_login(customer)

    page = client.get("/account/preferences/").content.decode()
    assert 'name="notify_review_requests"' in page and 'name="notify_reminders"' in page

    client.post(
        "/account/preferences/",
        {"name": "Guest", "notify_email": "on", "notify_reminders": "on"},
    )
    customer.refresh_from_db()
    assert customer.notification_preferences["review_requests"] is False
    assert customer.notification_preferences["reminders"] is True
    assert customer.notification_preferences["email"] is True


def test_reminders_opt_out_skips_reminders_only(spa, customer, frozen_now):
    customer.notification_preferences = {"reminders": False}
    customer.save(update_fields=["notification_preferences"])
    create_booking(customer=customer, service="swedish", start=START)

    deliver(local(2026, 12, 2, 9, 50))

    assert [email.subject for email in mail.outbox] == [
        "Confirmed: Swedish Massage on Wednesday, December 2, 2026"
    ]
    assert set(
        EmailLog.objects.filter(kind__startswith="reminder").values_list("status", flat=True)
    ) == {DeliveryStatus.SKIPPED_OPT_OUT}


def test_no_review_for_an_unmarked_no_show_auto_completed(spa, customer, frozen_now):
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 1, 9),
        enforce_booking_window=False,
    )

    autocomplete_past_bookings(local(2026, 12, 1, 11))
    deliver(local(2026, 12, 2, 12))

    booking.refresh_from_db()
    # Never checked in: left confirmed for the desk to mark a no-show, and never reviewed.
    assert booking.status == "confirmed" and booking.checked_in_at is None
    assert not OutboxMessage.objects.filter(payload__kind="review_request").exists()
    assert "How was your Swedish Massage?" not in [email.subject for email in mail.outbox]


def test_no_review_for_a_visit_completed_on_a_later_day(spa, customer, frozen_now):
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 1, 10),
        enforce_booking_window=False,
    )
    check_in_booking(booking, actor=None, now=local(2026, 12, 1, 9, 55))

    with time_machine.travel(local(2026, 12, 3, 9), tick=False):  # days later
        complete_booking(booking, actor=None)

    assert not OutboxMessage.objects.filter(payload__kind="review_request").exists()


def test_a_review_request_goes_two_hours_after_the_end_on_the_day_by_nine_pm(
    spa, customer, frozen_now
):
    afternoon = visit(customer, start=local(2026, 12, 1, 15))  # ends 16:00
    evening = create_booking(
        customer=customer,
        service="steam",
        start=local(2026, 12, 1, 20),
        enforce_booking_window=False,
    )
    check_in_booking(evening, actor=None, now=local(2026, 12, 1, 19, 55))
    complete_booking(evening, actor=None, now=local(2026, 12, 1, 20, 30))

    due = dict(
        OutboxMessage.objects.filter(payload__kind="review_request").values_list(
            "payload__booking_id", "available_at"
        )
    )
    assert due == {afternoon.pk: local(2026, 12, 1, 18), evening.pk: local(2026, 12, 1, 21)}
    deliver(local(2026, 12, 1, 21))
    assert [email.subject for email in mail.outbox if email.subject.startswith("How")] == [
        "How was your Swedish Massage?",
        "How was your Steam Room?",
    ]


def test_no_show_marked_gets_no_review(spa, customer, frozen_now):
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 1, 9),
        enforce_booking_window=False,
    )
    mark_no_show(booking, actor=None, now=local(2026, 12, 1, 9, 30))

    assert not OutboxMessage.objects.filter(payload__kind="review_request").exists()


# -- 5: memberships (GBL §527-a) -------------------------------------------------------------


def test_the_welcome_states_price_next_charge_auto_renewal_and_online_cancel(
    spa, customer, frozen_now
):
    spa.plans["premium"].benefits = ["40% off services", "Priority booking", "Priority booking"]
    spa.plans["premium"].save()
    subscribe(customer, spa.plans["premium"], paid=True)

    deliver(frozen_now)

    [email] = mail.outbox
    for line in (
        "WELCOME, GUEST",
        "Price: $249.00 per month",
        "Next charge: January 1, 2027",
        "renews automatically every month at $249.00 until you cancel",
        "cancel online at any time",
        "http://testserver.example/membership/cancel/",
        "Book your first visit",
    ):
        assert line in email.body, line
    assert email.body.count("40% off services") == 1  # no duplicated benefit lines
    assert email.body.count("Priority booking") == 1


def test_a_returning_member_is_welcomed_back(spa, customer, frozen_now):
    Membership.objects.create(
        customer=customer,
        plan=spa.plans["base"],
        started_on=local(2024, 5, 1, 12).date(),
        ends_on=local(2024, 12, 31, 12).date(),
        status=MembershipStatus.EXPIRED,
    )
    subscribe(customer, spa.plans["premium"], paid=True)

    deliver(frozen_now)

    [email] = mail.outbox
    assert "WELCOME BACK, GUEST" in email.body
    assert "a member since May 1, 2024" in email.body
    assert "Book your next visit" in email.body and "first visit" not in email.body


def test_plan_and_price_changes_tell_members_the_new_terms(spa, base_member, manager, frozen_now):
    upgrade = change_plan(base_member, spa.plans["premium"])
    deliver(frozen_now)
    assert mail.outbox == []  # an upgrade waits for payment: no new terms yet
    activate_membership(upgrade, actor=manager)  # the difference paid at the desk
    other = make_customer("other@example.com", spa.plans["premium"])
    Membership.objects.filter(customer=other).update(
        current_period_end=local(2027, 1, 1, 12).date()
    )

    update_plan(spa.plans["premium"], {"monthly_price": "279.00"})
    deliver(frozen_now)

    subjects = sorted((email.to[0], email.subject) for email in mail.outbox)
    assert subjects == [
        ("base@example.com", "A change to your Premium membership price"),
        ("base@example.com", "Your CoreSync Spa membership is now Premium"),
        ("other@example.com", "A change to your Premium membership price"),
    ]
    price = next(e for e in mail.outbox if e.to == ["other@example.com"])
    assert (
        "changes from $249.00 to $279.00 per month, from your next charge on January 1, 2027"
        in price.body
    )
    assert "renews automatically" in price.body and "/membership/cancel/" in price.body


# -- 8, 9: SMS, plumbing, the import ----------------------------------------------------------


def test_message_ids_are_unique_per_row_and_stable_per_retry(spa, customer, frozen_now):
    from coresync.notifications.delivery import send_reference

    first = create_booking(customer=customer, service="swedish", start=START)
    second = create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 14))
    rows = OutboxMessage.objects.filter(dedupe_key__endswith=":confirmation").order_by("pk")

    references = [send_reference(row, "email") for row in rows]

    assert len(set(references)) == 2 and first.pk != second.pk
    assert references[0] == send_reference(rows[0], "email")
    renumbered = rows[0]
    renumbered.created_at += timedelta(seconds=1)  # the same id after a database reset
    assert send_reference(renumbered, "email") != references[0]


def test_the_documented_filemail_url_writes_to_the_absolute_path(tmp_path):
    target = tmp_path / "mail"
    script = "from django.conf import settings; print(settings.EMAIL_FILE_PATH)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "coresync.settings",
            "EMAIL_URL": f"filemail://{target}",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(target)


def test_import_spa_sends_nothing_unless_notify(spa, tmp_path, frozen_now):
    from django.core.management import call_command

    spa_file = tmp_path / "spa.yaml"
    spa_file.write_text(
        "customers:\n  - {email: new@example.com, name: New Guest, password: pass-word-123}\n"
        "bookings:\n  - {customer: new@example.com, service: swedish,\n"
        "     start: '2026-12-02T10:00:00-05:00'}\n",
        encoding="utf-8",
    )

    call_command("import_spa", str(spa_file), stdout=__import__("io").StringIO())
    assert OutboxMessage.objects.filter(topic__startswith="notifications.").count() == 0

    spa_file.write_text(spa_file.read_text().replace("10:00:00", "14:00:00"), encoding="utf-8")
    call_command("import_spa", str(spa_file), "--notify", stdout=__import__("io").StringIO())
    assert OutboxMessage.objects.filter(dedupe_key__endswith=":confirmation").count() == 1
    deliver(frozen_now)
    assert [email.subject for email in mail.outbox] == [
        "Confirmed: Swedish Massage on Wednesday, December 2, 2026"
    ]


def test_the_email_keeps_a_readable_width_on_a_phone(spa, customer, frozen_now):
    create_booking(customer=customer, service="swedish", start=START)
    deliver(frozen_now)

    html = html_of(mail.outbox[0])

    assert "@media only screen and (max-width: 480px)" in html
    assert ".px { padding-left: 20px !important; padding-right: 20px !important; }" in html
    assert html.count('class="px"') == 3


def test_reminders_carry_the_booking_link_in_text_and_html(spa, customer, frozen_now):
    booking = create_booking(customer=customer, service="swedish", start=START)

    deliver(local(2026, 12, 2, 9, 1))

    assert [email.subject for email in mail.outbox] == [
        "Confirmed: Swedish Massage on Wednesday, December 2, 2026",
        "See you soon: Swedish Massage on Wednesday, December 2, 2026",
        "In one hour: Swedish Massage at 10:00 AM EST",
    ]
    for email in mail.outbox[1:]:
        link = booking_link(email.body, booking.reference)
        assert link.replace("&", "&amp;") in html_of(email)


def test_an_unsubscribe_link_hides_the_email_and_dies_with_an_email_change(spa, customer):
    import base64

    from coresync.notifications.unsubscribe import read_unsubscribe_token, unsubscribe_url

    link = unsubscribe_url(customer, "review_requests")
    token = urlsplit(link).path.split("/")[-2]
    payload = base64.urlsafe_b64decode(token.split(":")[0] + "==")

    assert b"guest@example.com" not in payload and "guest" not in link
    assert read_unsubscribe_token(token) == (customer, "review_requests")
    customer.email = "new-address@example.com"
    customer.save(update_fields=["email"])
    assert read_unsubscribe_token(token) is None


def test_the_payment_status_says_paid_online_or_deposit(spa, customer, frozen_now):
    from coresync.notifications.content import payment_summary
    from coresync.payments.models import Payment, PaymentKind, PaymentStatus

    booking = create_booking(customer=customer, service="swedish", start=START)
    payment = Payment.objects.create(
        purpose_key=f"booking:{booking.pk}:deposit",
        customer=customer,
        booking=booking,
        kind=PaymentKind.DEPOSIT,
        amount=booking.total / 2,
        status=PaymentStatus.SUCCEEDED,
        provider="stripe",
    )

    assert payment_summary(booking) == {
        "status": "deposit",
        "text": "Deposit paid online: $54.44; $54.44 at the spa.",
        "fees": "kept from what you paid online (the rest is refunded)",
    }
    Payment.objects.filter(pk=payment.pk).update(amount=booking.total, kind=PaymentKind.FULL)
    assert payment_summary(booking)["text"] == "Paid online: $108.88. Nothing is due at the spa."
