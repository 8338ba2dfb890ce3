"""The assistant's chat section in a real browser (issue 10): a guest asks for a time on the
home page, signs in, says yes and finds the booking in My bookings; the men's suite and
private spa pages have their own section; a keyboard alone can use it; no horizontal scroll
at 375 px. Screenshots at 375 and 1280 px."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import local, make_customer
from coresync.bookings.models import Booking, BookingStatus
from coresync.web.tests.e2e.conftest import DESKTOP, MOBILE, has_horizontal_scroll, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EXTRA_SHOTS = os.environ.get("CORESYNC_SHOTS_DIR", "")


def shot(page, name: str) -> None:
    """A full-page screenshot, and one of the chat section alone (to look at closely)."""
    screenshot(page, name)
    if EXTRA_SHOTS:
        folder = Path(EXTRA_SHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.locator("#assistant").screenshot(path=str(folder / f"{name}-{width}.png"))


def send(page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()


def log(page):
    return page.get_by_role("log", name="Conversation with the assistant")


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["375", "1280"])
def test_a_guest_asks_for_a_time_signs_in_says_yes_and_finds_the_booking(open_page, viewport):
    customer = make_customer("nia@example.com")
    page = open_page("/", viewport=viewport)
    chat = page.locator("#assistant")
    expect(chat.get_by_role("heading", name="Ask our assistant")).to_be_visible()

    # The guest asks; the free times come back as buttons that send the choice.
    send(page, "A Swedish massage on Thursday")
    expect(log(page)).to_contain_text("Free times: Thursday 3 December")
    expect(page.get_by_label("Your message")).to_have_value("")
    shot(page, "assistant-guest-times")
    assert not has_horizontal_scroll(page)
    log(page).get_by_role("button", name=re.compile(r"^Thursday, December 3 at 10:00 AM")).click()
    expect(log(page)).to_contain_text("Thursday 3 December at 10:00 AM is free, $108.88")
    shot(page, "assistant-guest-sign-in")
    assert not Booking.objects.exists()

    # Signing in comes back to the same conversation.
    log(page).get_by_role("link", name="Sign in to book").click()
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/#assistant$"))
    expect(log(page)).to_contain_text("Thursday 3 December at 10:00 AM is free")

    # "yes" brings the proposal at the customer's own price; its button books.
    send(page, "yes")
    expect(log(page)).to_contain_text("Say yes to book it.")
    shot(page, "assistant-proposal")
    assert not Booking.objects.exists()
    log(page).get_by_role("button", name="Yes, book it").last.click()
    expect(log(page)).to_contain_text("Your reference is CS-")
    booking = Booking.objects.get()
    assert booking.customer == customer
    assert booking.start == local(2026, 12, 3, 10)
    assert booking.status == BookingStatus.CONFIRMED
    expect(log(page)).to_contain_text(booking.reference)
    shot(page, "assistant-booked")

    log(page).get_by_role("link", name=f"See {booking.reference} in My bookings").click()
    expect(page.get_by_role("heading", name=re.compile("Swedish Massage"))).to_be_visible()
    page.goto(page.url.split("/account/")[0] + "/account/")
    expect(page.locator(f"#booking-{booking.reference}")).to_contain_text("Swedish Massage")


@pytest.mark.parametrize("path", ["/mens-suite/", "/private-spa/"])
def test_the_suite_pages_have_their_own_chat_with_prices(open_page, path):
    page = open_page(path, viewport=MOBILE)
    page.locator("#assistant").get_by_role("button", name="Show pricing").click()
    expect(log(page)).to_contain_text("We offer: ")
    expect(log(page)).to_contain_text("$108.88")
    assert not has_horizontal_scroll(page)
    shot(page, "assistant-pricing" + path.strip("/").replace("-", "_"))


def test_the_keyboard_alone_can_ask_and_choose_a_time(open_page):
    page = open_page("/", viewport=DESKTOP)
    page.get_by_label("Your message").focus()
    page.keyboard.type("Swedish massage on Thursday afternoon")
    page.keyboard.press("Enter")
    expect(log(page)).to_contain_text("Free times")
    # Focus stays in the box for the next message; a time button is reachable by Tab.
    expect(page.get_by_label("Your message")).to_be_focused()
    first_time = log(page).locator(".chat-time").first
    first_time.focus()
    page.keyboard.press("Enter")
    expect(log(page)).to_contain_text("is free")
    expect(log(page)).to_contain_text("Please sign in to book it")
