"""Issue 12 in a real browser: the front desk books a walk-in, checks a guest in and marks a
no-show on the day board; the manager opens the dashboard on a 1280 px screen and a 375 px
phone. Screenshots: ``screenshots/desk-*.png`` and ``screenshots/dashboard-*.png``."""

from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from conftest import local, make_customer
from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import check_in_booking, complete_booking, create_booking
from coresync.web.tests.e2e.conftest import DESKTOP, MOBILE, has_horizontal_scroll, screenshot
from coresync.web.tests.e2e.test_pages import serious_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff(email: str, role: str, name: str) -> User:
    user = User.objects.create_user(email=email, password="pass-word-123", name=name)
    return set_role(user, role)


def customer(email: str, name: str) -> User:
    person = make_customer(email)
    person.name = name
    person.save(update_fields=["name"])
    return person


def block_of(page, guest: str):
    return page.locator(".board__col:not(.board__col--times) .block").filter(has_text=guest).first


def test_the_desk_books_a_walk_in_checks_a_guest_in_and_marks_a_no_show(open_page, spa):
    # given the front desk, Alexandra at 10:00 with Ana and Pat at 11:00 with Ben, today
    desk = staff("desk@example.com", Role.FRONT_DESK, "Dee Desk")
    alexandra = customer("alexandra@example.com", "Alexandra Whitfield")
    pat = customer("pat@example.com", "Pat Lowell")
    create_booking(
        customer=alexandra,
        service="swedish",
        start=local(2026, 12, 1, 10),
        technician="ana",
        addon_slugs=["hot-stones"],
        preferences={"pressure": "firm"},
        enforce_booking_window=False,
    )
    late = create_booking(
        customer=pat,
        service="swedish",
        start=local(2026, 12, 1, 11),
        technician="ben",
        enforce_booking_window=False,
    )

    # when the desk adds a walk-in guest and books the next free time (08:00 now: 09:00)
    page = open_page("/desk/book/?q=walker", user=desk, viewport=DESKTOP)
    expect(page.get_by_text("No customer matches.")).to_be_visible()
    page.get_by_label("First and last name").fill("Walker Gray")
    page.get_by_label("Email", exact=True).fill("walker@example.com")
    page.get_by_role("button", name="Add customer").click()
    expect(page.get_by_role("heading", name="Walker Gray")).to_be_visible()
    screenshot(page, "desk-book")
    walk_in_form = page.locator(
        "form", has=page.get_by_role("button", name="Book the next free time")
    )
    walk_in_form.get_by_label("Service and length").select_option("swedish@60")
    walk_in_form.get_by_text("Hot Stones").click()
    walk_in_form.get_by_role("button", name="Book the next free time").click()

    # then the board shows him at 09:00, with the day's other guests by full name
    expect(page.get_by_role("heading", name="Day board")).to_be_visible()
    expect(page.locator(".message--success")).to_contain_text("Walker Gray at 9:00 AM")
    walk_in = Booking.objects.get(customer__email="walker@example.com")
    assert walk_in.start == local(2026, 12, 1, 9)
    assert [item.addon.slug for item in walk_in.booking_addons.all()] == ["hot-stones"]
    expect(block_of(page, "Walker Gray")).to_contain_text("9:00")
    expect(block_of(page, "Alexandra Whitfield")).to_contain_text("Confirmed")
    assert not has_horizontal_scroll(page)
    screenshot(page, "desk-board")
    # the booking forms on a phone: length, add-ons and guests, no sideways scrolling
    phone = open_page(f"/desk/book/?customer={walk_in.customer_id}", user=desk, viewport=MOBILE)
    expect(phone.get_by_label("Guests").first).to_have_value("1")
    assert not has_horizontal_scroll(phone)
    screenshot(phone, "desk-book-choices")
    # axe is injected as an inline script: a page of its own without the CSP
    checked = open_page("/desk/", user=desk, viewport=DESKTOP, bypass_csp=True)
    assert serious_axe_violations(checked) == []

    # when someone books by phone meanwhile, the board shows it without a reload (the event
    # the real-time channel will fire; polling fires the same request every 20 s)
    create_booking(
        customer=customer("robin@example.com", "Robin Hale"),
        service="swedish",
        start=local(2026, 12, 1, 14),
        technician="ana",
        enforce_booking_window=False,
    )
    page.evaluate("htmx.trigger(document.body, 'board-changed')")
    expect(block_of(page, "Robin Hale")).to_contain_text("2:00")

    # when Alexandra arrives and the desk opens her booking, a refresh waits until it is closed
    alexandra_block = block_of(page, "Alexandra Whitfield")
    alexandra_block.locator("summary").click()
    expect(alexandra_block).to_contain_text("Hot Stones")
    page.evaluate("htmx.trigger(document.body, 'board-changed')")
    page.wait_for_timeout(500)
    expect(alexandra_block.locator("details")).to_have_attribute("open", "")
    screenshot(page, "desk-board-open")
    alexandra_block.get_by_role("button", name="Check in").click()
    expect(block_of(page, "Alexandra Whitfield")).to_contain_text("In progress")

    # when Pat has not come at 11:30, the desk marks a no-show (on a phone)
    with time_machine.travel(local(2026, 12, 1, 11, 30), tick=True):
        page = open_page("/desk/", user=desk, viewport=MOBILE)
        pat_block = block_of(page, "Pat Lowell")
        pat_block.locator("summary").click()
        pat_block.get_by_role("button", name="No-show").click()
        expect(block_of(page, "Pat Lowell")).to_contain_text("No-show")
        expect(page.locator(".message--success")).to_contain_text(
            "Pat Lowell: No-show. Fee $119.76."
        )
        assert not has_horizontal_scroll(page)
        screenshot(page, "desk-board-no-show")

    late.refresh_from_db()
    assert late.status == BookingStatus.NO_SHOW
    # The no-show fee: 100 % of the total, 110.00 (the couples suite, +10 %, Suite A being
    # Alexandra's) + 8.875 % tax.
    assert late.cancellation_fee == Decimal("119.76")
    assert late.history.filter(action="booking.no_show").get().actor == desk


def test_the_desk_drags_a_booking_to_another_technician_and_time(open_page, spa):
    # given Sam's massage at 10:00 with Ana today
    desk = staff("desk@example.com", Role.FRONT_DESK, "Dee Desk")
    sam = customer("sam@example.com", "Sam Rivers")
    booking = create_booking(
        customer=sam,
        service="swedish",
        start=local(2026, 12, 1, 10),
        technician="ana",
        enforce_booking_window=False,
    )

    # when the desk drags the block to Ben's lane, on the 12:00 row
    page = open_page("/desk/?view=technicians", user=desk, viewport=DESKTOP)
    block = block_of(page, "Sam Rivers")
    expect(block).to_have_attribute("draggable", "true")
    times = page.locator("#board").get_attribute("data-row-times").split(",")
    ben = page.locator('ol.board__lane[data-technician="ben"]')
    height = ben.bounding_box()["height"]
    noon = (times.index("12:00") + 0.5) * height / len(times)
    block.locator("summary").drag_to(
        ben, source_position={"x": 12, "y": 6}, target_position={"x": 24, "y": noon}
    )

    # then the move went through the booking service: 12:00 with Ben, shown on the board
    expect(page.locator(".message--success")).to_contain_text(
        "Sam Rivers: moved to 12:00 PM with Ben."
    )
    booking.refresh_from_db()
    assert (booking.start, booking.technician.slug) == (local(2026, 12, 1, 12), "ben")
    expect(ben.locator(".block").filter(has_text="Sam Rivers")).to_contain_text("12:00")
    assert booking.history.filter(action="booking.rescheduled").get().actor == desk
    screenshot(page, "desk-board-dragged")


def test_the_manager_opens_the_dashboard_on_a_screen_and_a_phone(open_page, spa):
    boss = staff("boss@example.com", Role.MANAGER, "Mina Park")
    guest = customer("alexandra@example.com", "Alexandra Whitfield")
    for day, hour, technician in ((1, 9, "ana"), (1, 13, "ben"), (2, 10, "ana")):
        with time_machine.travel(local(2026, 11, 20, 9), tick=False):
            booking = create_booking(
                customer=guest,
                service="swedish",
                start=local(2026, 11, day + 20, hour),
                technician=technician,
                addon_slugs=["hot-stones"] if hour == 9 else [],
                enforce_booking_window=False,
            )
        check_in_booking(booking, actor=boss, now=booking.start)
        complete_booking(booking, actor=boss, now=booking.end)

    for viewport, name in ((DESKTOP, "dashboard"), (MOBILE, "dashboard")):
        page = open_page(
            "/manage/dashboard/?date_from=2026-11-15&date_to=2026-11-30",
            user=boss,
            viewport=viewport,
        )
        expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
        # Services 100 + 100 + 100 and hot stones 35; tax is not revenue.
        expect(page.locator(".kpis")).to_contain_text("$335.00")
        revenue_canvas = page.locator("#chart-revenue")
        expect(revenue_canvas).to_be_visible()
        # Chart.js drew on the canvas (its width attribute is set by the library).
        page.wait_for_function("() => !!window.Chart && Chart.getChart('chart-revenue')")
        expect(page.get_by_role("region", name="Table: Utilization by technician")).to_contain_text(
            "Ana"
        )
        assert not has_horizontal_scroll(page)
        screenshot(page, name)
    checked = open_page(
        "/manage/dashboard/?date_from=2026-11-15&date_to=2026-11-30",
        user=boss,
        viewport=DESKTOP,
        bypass_csp=True,
    )
    checked.wait_for_function("() => !!window.Chart && Chart.getChart('chart-revenue')")
    assert serious_axe_violations(checked) == []
