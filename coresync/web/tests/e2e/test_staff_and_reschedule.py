"""Issue 18 in a real browser: a manager and a front-desk user do their job in the admin
(item 1: the desk checks a guest in through the admin action, the manager changes the spa's
settings the desk cannot reach), and a guest moves a booking through the review step,
keeping the therapist (item 3)."""

import pytest
from playwright.sync_api import expect

from conftest import local
from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import create_booking
from coresync.spa.models import SpaSettings
from coresync.web.tests.e2e.conftest import DESKTOP, MOBILE, screenshot
from coresync.web.tests.e2e.test_pages import serious_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff(email: str, role: str) -> User:
    user = User.objects.create_user(email=email, password="pass-word-123", name=email.split("@")[0])
    return set_role(user, role)


def sign_in_to_admin(page, user: User) -> None:
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill("pass-word-123")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()


def test_the_front_desk_checks_a_guest_in_and_the_manager_sets_the_window(open_page, customer):
    # given a guest's massage today at 10:00 (the clock reads 08:00)
    booking = create_booking(
        customer=customer,
        service="swedish",
        start=local(2026, 12, 1, 10),
        enforce_booking_window=False,
    )
    desk = staff("desk@example.com", Role.FRONT_DESK)
    manager = staff("boss@example.com", Role.MANAGER)

    # when the front desk signs in to the admin and checks the guest in with the action
    page = open_page("/admin/", viewport=DESKTOP)
    sign_in_to_admin(page, desk)
    expect(page.get_by_text("have permission to view or edit anything")).to_have_count(0)
    expect(page.get_by_role("link", name="Spa settings")).to_have_count(0)
    page.locator('#content-main a[href="/admin/bookings/booking/"]').first.click()
    page.locator(f'input[name="_selected_action"][value="{booking.pk}"]').check()
    page.locator('select[name="action"]').select_option("check_in")
    page.get_by_role("button", name="Go").click()

    # then the booking is in progress, said on the page and in its history
    expect(page.locator(".messagelist")).to_contain_text("1 booking checked in.")
    screenshot(page, "admin-front-desk-check-in")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.IN_PROGRESS
    assert booking.history.get(action="booking.in_progress").actor == desk

    # when the manager signs in and sets the check-in window to 60 minutes
    page = open_page("/admin/", viewport=DESKTOP)
    sign_in_to_admin(page, manager)
    page.get_by_role("link", name="Spa settings").click()
    page.get_by_label("Check-in window (minutes)").fill("60")
    page.get_by_role("button", name="Save", exact=True).click()

    # then it is saved
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert SpaSettings.objects.get().check_in_window_minutes == 60


def test_a_guest_reschedules_with_a_review_and_keeps_the_therapist(open_page, customer):
    # given the guest's massage with Ben on Thursday at 10:00
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 10), technician="ben"
    )

    for viewport in (MOBILE, DESKTOP):
        # axe is injected as a script element, which the Content-Security-Policy refuses.
        page = open_page("/account/", user=customer, viewport=viewport, bypass_csp=True)
        page.get_by_role("link", name=f"Reschedule {booking.reference}").click()
        expect(page.get_by_label("Who should treat you?")).to_have_value("")
        expect(page.locator("#reschedule-technician option:checked")).to_have_text("Keep Ben")
        page.locator('button[data-date="2026-12-04"]').click()
        screenshot(page, "reschedule-picker")
        assert serious_axe_violations(page) == []
        page.get_by_role("button", name="2:00 PM", exact=True).click()

        # then the review shows the change and nothing has moved yet
        expect(page.get_by_role("heading", name="Review the change")).to_be_visible()
        expect(page.locator(".change-review")).to_contain_text("Ben, as booked")
        expect(page.locator(".change-review")).to_contain_text("$108.88, unchanged")
        expect(page.locator(".change-review")).to_contain_text("Friday, December 4, 2026, 2:00 PM")
        screenshot(page, "reschedule-review")
        assert serious_axe_violations(page) == []
        assert Booking.objects.get(pk=booking.pk).start == local(2026, 12, 3, 10)

    # when the guest confirms (on the last page opened)
    page.get_by_role("button", name="Confirm the new time").click()

    # then the booking moved, with the same therapist
    expect(page.get_by_text("is moved to Friday, December 4, 2:00 PM")).to_be_visible()
    booking.refresh_from_db()
    assert (booking.start, booking.technician.slug) == (local(2026, 12, 4, 14), "ben")
    assert booking.reschedule_count == 1


def test_a_customer_already_booked_at_that_time_books_it_for_a_friend(open_page, customer):
    # given the customer's own steam session on Wednesday at 10:00
    create_booking(customer=customer, service="steam", start=local(2026, 12, 2, 10))
    query = (
        "/book/?service=swedish&duration=60&guests=1&date=2026-12-02"
        "&start=2026-12-02T10%3A00%3A00-05%3A00&technician=any"
    )

    for viewport in (DESKTOP, MOBILE):
        page = open_page(query, user=customer, viewport=viewport)
        expect(page.get_by_label("Guest's name (optional)")).to_be_visible()
        screenshot(page, "book-details-guest-name")

    # when they confirm for themself, the page says why not
    page.locator("#confirm-booking").click()
    expect(
        page.locator("#step-confirm").get_by_text("You already have a booking at this time")
    ).to_be_visible()
    assert Booking.objects.filter(customer=customer).count() == 1

    # when they type a friend's name and press confirm at once
    page.get_by_label("Guest's name (optional)").fill("Maya Lopez")
    page.locator("#confirm-booking").click()

    # then the massage is booked for the friend
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    gift = Booking.objects.get(customer=customer, service__slug="swedish")
    assert gift.guest_name == "Maya Lopez"
