"""SMS texts: GSM-7 where possible, segments counted per encoding, "Reply STOP to opt out",
and a 15-minute push that agrees with "arrive 15 minutes early"."""

import pytest

from conftest import local
from coresync.bookings.services import create_booking
from coresync.notifications.channels import PUSH, SMS
from coresync.notifications.models import NotificationLog
from coresync.notifications.outbox import dispatch_due
from coresync.notifications.sms import encoding, is_gsm7, segments, sms_text, to_gsm7


def test_curly_quotes_dashes_and_ellipses_become_gsm7():
    text = "Chloé O’Brien’s “Deep Tissue” – 60 min… at 10:00"

    converted = to_gsm7(text)

    assert converted == "Chloé O'Brien's \"Deep Tissue\" - 60 min... at 10:00"
    assert is_gsm7(converted) and encoding(converted) == "GSM-7"  # é is in GSM 03.38


def test_one_curly_apostrophe_would_cost_a_160_character_text_three_segments():
    text = "x" * 150 + "’"

    assert segments(text) == 3  # UCS-2: 151 > 70 → ceil(151 / 67)
    assert segments(to_gsm7(text)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("Олександра" * 7, 1),  # 70 UCS-2 characters
        ("Олександра" * 7 + "!", 2),
    ],
)
def test_segments_count_septets_or_ucs2_units(text, expected):
    assert segments(text) == expected


def test_letters_without_a_gsm_twin_keep_the_text_whole_in_ucs2():
    converted = to_gsm7("Олександра – Łódź")

    assert converted == "Олександра - Łodz"
    assert encoding(converted) == "UCS-2"


def test_every_sms_ends_with_the_opt_out_line_once():
    assert sms_text("Your massage starts at 10:00 AM.") == (
        "Your massage starts at 10:00 AM. Reply STOP to opt out."
    )
    assert sms_text("Hi. Reply STOP to opt out.") == "Hi. Reply STOP to opt out."


@pytest.mark.django_db
def test_the_reminder_sms_is_gsm7_with_stop_and_the_15_minute_push_says_check_in_now(
    spa, customer, frozen_now
):
    spa.swedish.name = "Swedish Massage – “Signature”"
    spa.swedish.save(update_fields=["name"])
    customer.phone = "+12125550199"
    customer.notification_preferences = {"sms": True}
    customer.save(update_fields=["phone", "notification_preferences"])
    create_booking(customer=customer, service="swedish", start=local(2026, 12, 2, 10))

    while dispatch_due(local(2026, 12, 2, 9, 46)):
        pass

    sms = NotificationLog.objects.get(channel=SMS)
    assert is_gsm7(sms.body) and segments(sms.body) == 1
    assert '"Signature"' in sms.body and sms.body.endswith("Reply STOP to opt out.")
    assert "Please arrive 15 min early" in sms.body
    push = NotificationLog.objects.get(channel=PUSH, kind="reminder_15m")
    assert "starts in 15 minutes" not in push.body
    assert push.body.startswith("CoreSync Spa: time to check in")
