"""The booking flow in a real browser (issue 5 acceptance): a guest books within 3 days and
cannot pick a day 10 days out, signing up at confirm without losing the choices; a Premium
member books 45 days out with an add-on at the discounted price, finds the booking in My
bookings and cancels it; state survives a reload and the back button; two browsers racing
for one slot get one booking and one clear message; a keyboard alone can book."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from conftest import local, make_customer
from coresync.accounts.models import User
from coresync.bookings.models import Booking, BookingStatus
from coresync.web.tests.e2e.conftest import DESKTOP, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def choose_service(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    expect(page.locator("#step-date.step--open")).to_be_visible()


def choose_day(page, iso_date: str) -> None:
    page.locator(f'button[data-date="{iso_date}"]').click()


def choose_time(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()


def step_open(page, step: str):
    return page.locator(f"#step-{step}.step--open")


def test_a_guest_books_within_three_days_and_cannot_pick_ten_days_out(open_page):
    page = open_page("/book/")
    choose_service(page, "Swedish Massage")
    screenshot(page, "flow-guest-calendar")

    # Ten days out (Friday, December 11) is in the members' priority period.
    day_ten = page.locator('button[data-date="2026-12-11"]')
    expect(day_ten).to_have_attribute("data-state", "members_only")
    expect(day_ten).to_have_attribute("aria-label", "Friday, December 11: members only")
    day_ten.click()
    expect(page.get_by_role("alert")).to_contain_text("members' priority period")
    expect(
        page.get_by_role("alert").get_by_role("link", name="See membership plans")
    ).to_be_visible()
    expect(step_open(page, "time")).to_have_count(0)

    choose_day(page, "2026-12-03")
    expect(step_open(page, "time")).to_be_visible()
    expect(page.locator("#flow-status")).to_contain_text("Step 3 of 6: Time.")
    choose_time(page, "10:00 AM")
    page.get_by_role("button", name="Any available therapist").click()
    expect(step_open(page, "confirm")).to_be_visible()
    expect(page.locator("[data-total]")).to_have_text("$108.88")  # 100.00 + 8.875% tax
    screenshot(page, "flow-guest-quote")

    # No account yet: sign up at confirm and come back to the same choices.
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_text("Your booking choices are kept")).to_be_visible()
    page.get_by_label("Name").fill("Nia New")
    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Password").fill("a-very-good-pass-42")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"#step-confirm$"))  # back at the confirm step
    expect(page.locator("#confirm-booking")).to_be_visible()
    expect(page.locator("#step-time .step__summary")).to_have_text("10:00 AM – 11:00 AM")
    page.locator("#confirm-booking").click()

    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    screenshot(page, "flow-guest-done")
    booking = Booking.objects.get()
    assert booking.customer == User.objects.get(email="nia@example.com")
    assert booking.start == local(2026, 12, 3, 10)
    assert booking.status == BookingStatus.CONFIRMED
    expect(page.locator(".reference")).to_have_text(booking.reference)


def test_a_premium_member_books_45_days_out_with_an_add_on_then_cancels(open_page, premium_member):
    page = open_page("/book/", user=premium_member, viewport=DESKTOP)
    choose_service(page, "Swedish Massage")
    choose_day(page, "2027-01-15")  # 45 days after 2026-12-01: the priority period
    choose_time(page, "10:00 AM")
    page.get_by_role("button", name="Ana", exact=True).click()
    expect(step_open(page, "details")).to_be_visible()
    page.get_by_label("Hot Stones").check()
    # Live quote: 100.00 − 40% + 35.00 hot stones = 95.00; tax 8.43; total 103.43.
    expect(page.locator("[data-total]")).to_have_text("$103.43")
    expect(page.locator("#quote")).to_contain_text("Premium discount (40%)")
    expect(page.locator("#quote")).to_contain_text("−$40.00")
    page.get_by_label("Pressure").select_option("firm")
    expect(page).to_have_url(re.compile(r"pressure=firm"))
    screenshot(page, "flow-premium-quote")
    page.locator("#confirm-booking").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    booking = Booking.objects.get()
    assert booking.start == local(2027, 1, 15, 10)
    assert booking.technician.slug == "ana"
    assert str(booking.total) == "103.43"
    assert booking.preferences == {"pressure": "firm"}

    page.get_by_role("link", name="My bookings").click()
    card = page.locator(f"#booking-{booking.reference}")
    expect(card).to_contain_text("Swedish Massage")
    screenshot(page, "flow-my-bookings")
    card.get_by_role("link", name=f"Cancel {booking.reference}").click()
    expect(card.locator("[data-policy-outcome]")).to_contain_text("Cancelling now is free")
    screenshot(page, "flow-my-bookings-cancel")
    card.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("status")).to_contain_text(f"Booking {booking.reference} is cancelled")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_choices_survive_a_reload_and_the_back_button(open_page, customer):
    page = open_page("/book/", user=customer)
    choose_service(page, "Swedish Massage")
    choose_day(page, "2026-12-02")
    choose_time(page, "11:00 AM")
    expect(step_open(page, "technician")).to_be_visible()
    page.reload()
    expect(step_open(page, "technician")).to_be_visible()
    expect(page.locator("#step-time .step__summary")).to_contain_text("11:00 AM")
    # The browser's back and forward buttons (htmx reloads the page of that history entry).
    page.evaluate("history.back()")
    expect(step_open(page, "time")).to_be_visible()
    expect(page.locator("#step-date .step__summary")).to_have_text("Wednesday, December 2, 2026")
    page.wait_for_load_state("load")
    page.evaluate("history.back()")
    expect(step_open(page, "date")).to_be_visible()
    expect(step_open(page, "time")).to_have_count(0)
    # Each of these history moves reloads the page: going forward before the new page has
    # loaded its scripts would move the address bar with nobody listening.
    page.wait_for_load_state("load")
    page.evaluate("history.forward()")
    expect(step_open(page, "time")).to_be_visible()


@pytest.mark.postgresql
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the live server shares one SQLite connection between its threads, so two "
    "browsers cannot really race on SQLite; CI runs this on PostgreSQL",
)
def test_two_browsers_racing_for_one_slot_get_one_booking_and_one_clear_message(open_page):
    first = make_customer("first@example.com")
    second = make_customer("second@example.com")
    # Both want Ana at 10:00: one technician, one slot.
    ready = (
        "/book/?service=swedish&duration=60&guests=1&date=2026-12-02"
        "&start=2026-12-02T10%3A00%3A00-05%3A00&technician=ana"
    )
    pages = [open_page(ready, user=first), open_page(ready, user=second)]
    for page in pages:
        expect(page.locator("#confirm-booking")).to_be_visible()
    for page in pages:
        page.locator("#confirm-booking").click(no_wait_after=True)

    outcomes = []
    for page in pages:
        page.wait_for_url(re.compile(r"/book/(done/[^/]+/|confirm/)$"))
        outcomes.append(page.locator("h1").text_content())
    assert sorted(outcomes) == ["Book a treatment", "Your booking is confirmed"]
    # The loser's time is still free with the other therapist: it is told why and offered
    # the therapists who are free, without losing the rest of its choices.
    loser = pages[outcomes.index("Book a treatment")]
    expect(loser.get_by_role("alert")).to_contain_text("Sorry, Ana is not free at 10:00 AM")
    expect(step_open(loser, "technician")).to_be_visible()
    expect(loser.get_by_role("button", name="Ben", exact=True)).to_be_visible()
    expect(loser.get_by_role("button", name="Ana", exact=True)).to_have_count(0)
    screenshot(loser, "flow-race-lost")
    assert Booking.objects.count() == 1


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focused(page, attribute: str) -> str:
    return page.evaluate(f"document.activeElement.getAttribute('{attribute}')")


def test_a_keyboard_alone_can_book(open_page, customer):
    page = open_page("/book/", user=customer, viewport=DESKTOP)
    tab_to(page, "#service-swedish")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # visible focus
    page.keyboard.press("Enter")
    expect(step_open(page, "date")).to_be_visible()
    expect(page.locator("#step-date-title")).to_be_focused()

    # One tab stop into the calendar, on today; arrows move by day and week.
    tab_to(page, "button[data-date]")
    assert focused(page, "data-date") == "2026-12-01"
    page.keyboard.press("ArrowDown")
    assert focused(page, "data-date") == "2026-12-08"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert focused(page, "data-date") == "2026-12-03"
    page.keyboard.press("Enter")
    expect(step_open(page, "time")).to_be_visible()
    expect(page.locator("#step-time-title")).to_be_focused()

    tab_to(page, "button.time")
    page.keyboard.press("Enter")
    expect(step_open(page, "technician")).to_be_visible()
    tab_to(page, "#technician-any")
    page.keyboard.press("Space")
    expect(step_open(page, "details")).to_be_visible()

    tab_to(page, "#addon-cbd-oil")
    page.keyboard.press("Space")
    expect(page.locator("[data-total]")).to_have_text("$136.09")  # (100 + 25) + 8.875% = 136.09375
    expect(page.locator("#addon-cbd-oil")).to_be_focused()  # focus stays where it was
    tab_to(page, "#confirm-booking")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    booking = Booking.objects.get()
    assert booking.start == local(2026, 12, 3, 9)
    assert [item.addon.slug for item in booking.booking_addons.all()] == ["cbd-oil"]


def test_a_base_member_sees_where_the_window_ends_then_books_a_couple_with_two_therapists(
    open_page, base_member
):
    """Issue 18: the member's window end and the plan past it; a couples booking for two
    guests with a therapist chosen for each, shown on the done page and in My bookings."""
    page = open_page("/book/", user=base_member, viewport=DESKTOP)
    choose_service(page, "Couples Massage")
    expect(page.locator("#step-treatment .step__summary")).to_contain_text("2 guests")
    # The window of a Base member ends on day 30: Thursday, December 31.
    last = page.locator('button[data-date="2026-12-31"]')
    expect(last).to_have_class(re.compile(r"day--window-end"))
    expect(page.locator("[data-window-note]")).to_contain_text(
        "Your Base plan books 30 days ahead: until Thursday, December 31. Premium books 60."
    )
    page.get_by_role("link", name="Later months").click()
    beyond = page.locator('button[data-date="2027-01-05"]')
    expect(beyond).to_have_attribute("data-state", "beyond_plan")
    screenshot(page, "flow-member-window-end")
    beyond.click()
    expect(page.get_by_role("alert")).to_contain_text(
        "your Base plan books 30 days ahead — Premium books 60"
    )
    expect(page.get_by_role("alert").get_by_role("link")).to_have_attribute("href", "/membership/")
    expect(step_open(page, "time")).to_have_count(0)

    page.get_by_role("link", name="Earlier months").click()
    choose_day(page, "2026-12-03")
    choose_time(page, "10:00 AM")
    expect(step_open(page, "technician")).to_be_visible()
    page.get_by_role("group", name="Therapist for guest 1").get_by_label("Ben").check()
    page.get_by_role("group", name="Therapist for guest 2").get_by_label("Ana").check()
    screenshot(page, "flow-couples-therapists")
    page.get_by_role("button", name="Continue").click()
    expect(step_open(page, "confirm")).to_be_visible()
    expect(page.locator("#step-confirm [data-therapists]")).to_have_text(
        "Guest 1: Ben; guest 2: Ana"
    )
    page.locator("#confirm-booking").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    expect(page.locator("[data-therapists]")).to_have_text("Ana, Ben")
    screenshot(page, "flow-couples-done")
    booking = Booking.objects.get()
    assert booking.guests == 2
    assert {a.technician.slug for a in booking.allocations.all() if a.technician_id} == {
        "ana",
        "ben",
    }
    page.get_by_role("link", name="My bookings").click()
    expect(page.locator(f"#booking-{booking.reference} [data-therapists]")).to_have_text("Ana, Ben")
