"""Issue 11 in a real browser, on a 375 px phone: a technician signs in, sees today with a
guest's preferences, clocks in and out; a manager approves the entry and downloads the week's
XLSX. Screenshots: ``screenshots/staff-*-375.png``."""

import io
from datetime import timedelta

import openpyxl
import pytest
import time_machine
from playwright.sync_api import expect

from conftest import local, make_customer
from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role
from coresync.bookings.services import create_booking
from coresync.staff.models import TimeEntry
from coresync.web.tests.e2e.conftest import MOBILE, has_horizontal_scroll, screenshot
from coresync.web.tests.e2e.test_pages import serious_axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def staff(email: str, role: str, name: str) -> User:
    user = User.objects.create_user(email=email, password="pass-word-123", name=name)
    return set_role(user, role)


def sign_in(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Sign in").click()


def test_a_technician_works_a_day_and_the_manager_pays_it(open_page, spa, tmp_path):
    # given Ana's login, a manager, and Alexandra's massage with Ana today at 10:00
    ana = staff("ana@example.com", Role.TECHNICIAN, "Ana Ruiz")
    spa.ana.user = ana
    spa.ana.save()
    staff("boss@example.com", Role.MANAGER, "Mina Park")
    guest = make_customer("alexandra@example.com")
    guest.name = "Alexandra Whitfield"
    guest.phone = "+12125550123"
    guest.save()
    create_booking(
        customer=guest,
        service="swedish",
        start=local(2026, 12, 1, 10),
        technician="ana",
        addon_slugs=["hot-stones"],
        preferences={"pressure": "firm", "temperature": "warm", "aromatherapy": "lavender"},
        notes="Left shoulder is tender.",
        enforce_booking_window=False,
    )

    # when Ana signs in on her phone
    page = open_page("/account/login/", viewport=MOBILE, bypass_csp=True)
    sign_in(page, "ana@example.com")

    # then she lands on today with the guest's first name and preferences, nothing else
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    card = page.locator(".appointment").first
    expect(card).to_contain_text("10:00 AM")
    expect(card).to_contain_text("Alexandra")
    expect(card).to_contain_text("Firm")
    expect(card).to_contain_text("Warm")
    expect(card).to_contain_text("Lavender")
    expect(card).to_contain_text("Hot Stones")
    expect(card).to_contain_text("Left shoulder is tender.")
    body = page.content()
    assert "Whitfield" not in body and "alexandra@example.com" not in body
    assert "+12125550123" not in body
    assert not has_horizontal_scroll(page)
    assert serious_axe_violations(page) == []
    screenshot(page, "staff-today")

    # when she clocks in, and out again three hours later
    page.get_by_role("button", name="Clock in").click()
    expect(page.locator("[data-clock-state=in]")).to_contain_text("Clocked in")
    screenshot(page, "staff-clocked-in")
    clocked_in_at = TimeEntry.objects.get().started_at
    with time_machine.travel(clocked_in_at + timedelta(hours=3), tick=True):
        page.get_by_role("button", name="Clock out").click()
        expect(page.locator("[data-clock-state=out]")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Clocked out")
    entry = TimeEntry.objects.get()
    assert entry.status == "pending"
    assert timedelta(hours=3) <= entry.ended_at - entry.started_at < timedelta(hours=3, minutes=1)

    # when the manager signs in on a phone and approves the entry
    page = open_page("/account/login/?next=/staff/manage/", viewport=MOBILE, bypass_csp=True)
    sign_in(page, "boss@example.com")
    expect(page.get_by_role("heading", name="Approvals")).to_be_visible()
    expect(page.locator(f"#entry-{entry.pk}")).to_contain_text("Ana")
    expect(page.locator(f"#entry-{entry.pk}")).to_contain_text("3.00 h")
    assert not has_horizontal_scroll(page)
    assert serious_axe_violations(page) == []
    screenshot(page, "staff-approvals")
    page.get_by_role("button", name="Approve Ana's entry").click()
    expect(page.locator(".messages")).to_contain_text("Approved.")
    entry.refresh_from_db()
    assert entry.status == "approved"

    # then the week's payroll shows Ana's three hours and downloads as XLSX
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Payroll").click()
    expect(page.locator(".payroll tbody")).to_contain_text("Ana")
    expect(page.locator(".payroll tbody tr").first).to_contain_text("3.00")
    assert serious_axe_violations(page) == []
    screenshot(page, "staff-payroll")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download XLSX").click()
    download = download_info.value
    assert download.suggested_filename == "payroll-2026-11-26.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))["Payroll"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    assert rows["ana"][2] == 3.0  # approved hours
    assert "Whitfield" not in str(list(sheet.values))


def test_the_other_staff_pages_on_a_phone(open_page, spa):
    # given Ana's booking on Thursday, her day off that day, and a pending time-off request
    ana = staff("ana@example.com", Role.TECHNICIAN, "Ana Ruiz")
    spa.ana.user = ana
    spa.ana.save()
    boss = staff("boss@example.com", Role.MANAGER, "Mina Park")
    guest = make_customer("alexandra@example.com")
    guest.name = "Alexandra Whitfield"
    guest.save()
    create_booking(
        customer=guest,
        service="swedish",
        start=local(2026, 12, 3, 10),
        technician="ana",
        preferences={"pressure": "light", "music": "jazz", "scene": "kyoto"},
        notes="Prefers a quiet session.",
    )
    from coresync.resources.services import add_technician_exception

    add_technician_exception(spa.ana, {"date": "2026-12-03", "kind": "sick_leave"})

    pages = [
        (ana, "/staff/week/?date=2026-12-03", "staff-week", "Dec 3"),
        (ana, "/staff/day-sheet/?date=2026-12-03", "staff-day-sheet", "Alexandra"),
        (ana, "/staff/hours/", "staff-hours", "My hours"),
        (ana, "/staff/time-off/", "staff-time-off", "Ask for time off"),
        (boss, "/staff/manage/reassign/", "staff-reassign", "Ben"),
    ]
    for user, path, name, text in pages:
        page = open_page(path, user=user, viewport=MOBILE, bypass_csp=True)
        expect(page.locator("body")).to_contain_text(text)
        assert "Whitfield" not in page.content()
        assert not has_horizontal_scroll(page), path
        assert serious_axe_violations(page) == [], path
        screenshot(page, name)
