"""The phone channel (docs/assistant.md "Phone"): Twilio's signed voice webhook answers with
the same engine; a caller is matched by the phone number on their account, others are
guests; a bad signature is 403 and stores nothing. Requests are signed here with the SDK's
own ``RequestValidator``, as Twilio signs them.

The frozen now is Tuesday 2026-12-01 08:00 New York (see ``test_api``).
"""

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from conftest import local, make_customer
from coresync.assistant.models import Channel, Conversation, Message
from coresync.bookings.models import Booking

pytestmark = pytest.mark.django_db

TOKEN = "test-twilio-auth-token-0123456789"
PATH = "/api/v1/assistant/phone/twilio/"
URL = "http://testserver" + PATH
CALLER = "+15515550100"


@pytest.fixture(autouse=True)
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = ""


def call(params: dict, *, signature: str | None = None, url: str = URL):
    """POST ``params`` as Twilio does, signed for ``url`` unless ``signature`` is given."""
    body = {"CallSid": "CA0123456789abcdef0123456789abcdef", "From": CALLER, **params}
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(url, body)
    return Client().post(PATH, body, HTTP_X_TWILIO_SIGNATURE=signature)


def said(response) -> str:
    """The words the TwiML answer says inside its <Gather>."""
    root = ET.fromstring(response.content)
    gather = root.find("Gather")
    return " ".join(element.text or "" for element in gather.iter("Say"))


def test_the_call_starts_with_a_greeting_that_listens_for_speech(spa):
    response = call({})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    gather = ET.fromstring(response.content).find("Gather")
    assert gather.get("input") == "speech"
    assert gather.get("action") == PATH
    assert gather.get("method") == "POST"
    assert "How can I help?" in said(response)
    assert not Conversation.objects.exists()


def test_a_caller_known_by_the_number_on_their_account_books_with_a_yes(spa, frozen_now):
    customer = make_customer("caller@example.com")
    customer.phone = CALLER
    customer.save(update_fields=["phone"])

    proposal = call({"SpeechResult": "A Swedish massage with Ana on Friday at 3"})
    assert "Say yes to book it." in said(proposal)
    assert not Booking.objects.exists()
    booked = call({"SpeechResult": "Yes."})

    booking = Booking.objects.get()
    assert booking.customer == customer
    assert booking.start == local(2026, 12, 4, 15)
    assert booking.reference in said(booked)
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.PHONE
    assert conversation.owner == customer
    assert conversation.messages.count() == 4


def test_a_number_written_differently_on_the_account_still_matches(spa, frozen_now):
    customer = make_customer("caller@example.com")
    customer.phone = CALLER
    customer.save(update_fields=["phone"])

    call({"SpeechResult": "What are your opening hours?", "From": "+1 (551) 555-0100"})

    assert Conversation.objects.get().owner == customer


def test_an_unknown_caller_is_a_guest_who_hears_prices_and_times_but_cannot_book(spa, frozen_now):
    make_customer("someone@example.com")  # no phone number on the account

    answer = call({"SpeechResult": "A Swedish massage on Friday at 3"})
    assert "is free, $108.88" in said(answer)
    assert "call from the number on your CoreSync account" in said(answer)
    call({"SpeechResult": "yes"})

    assert not Booking.objects.exists()
    conversation = Conversation.objects.get()
    assert conversation.owner is None
    assert conversation.messages.count() == 4


def test_two_accounts_with_the_same_number_make_a_guest(spa, frozen_now):
    for email in ("one@example.com", "two@example.com"):
        customer = make_customer(email)
        customer.phone = CALLER
        customer.save(update_fields=["phone"])

    call({"SpeechResult": "A Swedish massage on Friday at 3"})
    call({"SpeechResult": "yes"})

    assert Conversation.objects.get().owner is None
    assert not Booking.objects.exists()


def test_each_call_is_its_own_conversation(spa, frozen_now):
    call({"SpeechResult": "What are your opening hours?"})
    call({"SpeechResult": "Where are you?", "CallSid": "CA" + "f" * 32})

    assert Conversation.objects.count() == 2


@pytest.mark.parametrize(
    "signature",
    ["", "bm90IGEgc2lnbmF0dXJl", RequestValidator("another-token").compute_signature(URL, {})],
)
def test_a_bad_signature_is_refused_and_stores_nothing(spa, signature):
    response = call({"SpeechResult": "Book a Swedish massage on Friday at 3"}, signature=signature)

    assert response.status_code == 403
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_a_request_changed_after_signing_is_refused(spa):
    body = {"CallSid": "CA0123456789abcdef0123456789abcdef", "From": CALLER}
    signature = RequestValidator(TOKEN).compute_signature(URL, {**body, "SpeechResult": "hours"})

    response = Client().post(
        PATH, {**body, "SpeechResult": "cancel CS-2026-000001"}, HTTP_X_TWILIO_SIGNATURE=signature
    )

    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_without_an_auth_token_every_request_is_refused(spa, settings):
    settings.TWILIO_AUTH_TOKEN = ""

    assert call({"SpeechResult": "hello"}).status_code == 403
    assert not Conversation.objects.exists()


def test_the_public_origin_setting_is_what_is_signed(spa, settings):
    settings.TWILIO_WEBHOOK_BASE_URL = "https://spa.example.com"

    assert call({}, url="https://spa.example.com" + PATH).status_code == 200
    assert call({}).status_code == 403


def test_silence_asks_again_and_stores_nothing(spa):
    response = call({"SpeechResult": ""})

    assert "didn't catch that" in said(response)
    assert not Conversation.objects.exists()


def test_the_kill_switch_says_so_and_hangs_up(spa, settings):
    settings.ASSISTANT_ENABLED = False

    response = call({"SpeechResult": "Book a Swedish massage on Friday at 3"})

    root = ET.fromstring(response.content)
    assert root.find("Gather") is None
    assert root.find("Hangup") is not None
    assert "switched off" in root.find("Say").text
    assert not Conversation.objects.exists()
