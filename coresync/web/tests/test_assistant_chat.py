"""The assistant's chat section (SPEC §9, docs/assistant.md "The site chat"): on the home,
men's suite and private spa pages; the site calls the assistant's service in-process; a
guest sees prices and times, signs in and books in the same conversation; the kill switch
hides it; bad input stores nothing; replies are escaped."""

import pytest
from django.test import Client

from conftest import local, make_customer
from coresync.assistant.models import Channel, Conversation, Message
from coresync.bookings.models import Booking

pytestmark = pytest.mark.django_db

URL = "/assistant/chat/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def say(client: Client, text: str, **headers):
    return client.post(URL, {"text": text, "next": "/#assistant"}, **(headers or HTMX))


@pytest.mark.parametrize("path", ["/", "/mens-suite/", "/private-spa/"])
def test_the_three_pages_have_the_chat_section(client, spa, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="assistant"' in html
    assert 'role="log"' in html
    assert 'hx-post="/assistant/chat/"' in html
    assert "Show pricing" in html
    assert 'class="chat__typing htmx-indicator"' in html


def test_the_home_page_puts_the_chat_under_membership(client, spa):
    html = client.get("/").content.decode()

    assert html.index('id="membership-title"') < html.index('id="assistant"')


def test_a_guest_sees_a_time_and_its_price_then_books_after_signing_in(client, spa, frozen_now):
    # Given a guest asking for a time
    answer = say(client, "A Swedish massage on Thursday at 10am")

    # Then the time, its price and a sign-in link come back, and nothing is booked
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "Thursday 3 December at 10:00 AM is free" in html
    assert "Sign in to book" in html
    assert "/account/login/?next=/%23assistant" in html
    assert not Booking.objects.exists()
    conversation = Conversation.objects.get()
    assert conversation.owner is None
    assert conversation.channel == Channel.WEB

    # When they sign in (same session) and say yes
    customer = make_customer("nia@example.com")
    client.force_login(customer)
    assert "Thursday 3 December at 10:00 AM is free" in client.get("/").content.decode()
    proposal = say(client, "yes")
    assert "Yes, book it" in proposal.content.decode()
    assert not Booking.objects.exists()
    booked = say(client, "Yes")

    # Then the booking is theirs, in the same conversation
    booking = Booking.objects.get()
    assert booking.customer == customer
    assert booking.start == local(2026, 12, 3, 10)
    assert booking.reference in booked.content.decode()
    assert Conversation.objects.get().owner == customer


def test_time_buttons_send_words_the_assistant_understands(client, spa, frozen_now):
    html = say(client, "Swedish massage on Thursday").content.decode()

    assert 'name="text" value="Thursday, December 3 at 10:00 AM"' in html
    chosen = say(client, "Thursday, December 3 at 10:00 AM").content.decode()
    assert "Thursday 3 December at 10:00 AM is free" in chosen


def test_show_pricing_lists_prices(client, spa, frozen_now):
    html = say(client, "Show pricing").content.decode()

    assert "Swedish Massage (60 min $108.88" in html


def test_replies_and_words_are_escaped(client, spa, frozen_now):
    html = say(client, "<script>alert(1)</script> swedish").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_without_javascript_the_form_posts_and_the_page_shows_the_conversation(client, spa):
    response = client.post(URL, {"text": "What are your opening hours?", "next": "/mens-suite/"})

    assert response.status_code == 302
    assert response["Location"] == "/mens-suite/"
    page = client.get("/mens-suite/").content.decode()
    assert "What are your opening hours?" in page
    assert "We are open" in page


def test_a_new_conversation_starts_afresh_and_keeps_the_old_one(client, spa, frozen_now):
    say(client, "What are your opening hours?")
    first = Conversation.objects.get()

    response = client.post("/assistant/chat/new/", {"next": "/mens-suite/#assistant"})

    assert response["Location"] == "/mens-suite/#assistant"
    page = client.get("/mens-suite/").content.decode()
    assert "What are your opening hours?" not in page
    assert "Start a new conversation" in page
    say(client, "hello")
    assert Conversation.objects.count() == 2
    assert first.messages.count() == 2


def test_an_empty_message_stores_nothing(client, spa):
    response = say(client, "   ")

    assert response.status_code == 200
    assert "Write 1 to 2,000 characters." in response.content.decode()
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_an_offsite_next_is_not_followed(client, spa):
    response = client.post(URL, {"text": "hello", "next": "https://evil.example/"})

    assert response["Location"] == "/#assistant"


def test_someone_elses_conversation_is_neither_shown_nor_continued(client, spa, frozen_now):
    # Given a customer's conversation
    owner = make_customer("owner@example.com")
    client.force_login(owner)
    say(client, "What are your opening hours?")
    theirs = Conversation.objects.get()
    # When another person's session carries its id
    other = Client()
    other.force_login(make_customer("other@example.com"))
    session = other.session
    session["assistant_conversation"] = str(theirs.pk)
    session.save()

    # Then they do not see it, and a message starts a conversation of their own
    assert "What are your opening hours?" not in other.get("/").content.decode()
    say(other, "hello")
    assert theirs.messages.count() == 2
    assert Conversation.objects.count() == 2


def test_the_kill_switch_hides_the_section_and_refuses_messages(client, spa, settings):
    settings.ASSISTANT_ENABLED = False

    assert 'id="assistant"' not in client.get("/").content.decode()
    assert 'id="assistant"' not in client.get("/mens-suite/").content.decode()
    response = say(client, "hello")
    assert response.status_code == 503
    assert not Conversation.objects.exists()


def test_too_many_messages_are_refused_and_not_stored(client, spa, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "assistant_anon": "2/min"},
    }
    say(client, "hello")
    say(client, "hello again")

    response = say(client, "and again")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many messages" in response.content.decode()
    assert Message.objects.count() == 4
