"""The staff portal and what a technician may see (issue 11 items 1 and 5): their own
bookings only, with the guest's first name, preferences and notes, never the guest's email,
phone or surname — in pages, the API, the calendar feed and the exports."""

import pytest
import time_machine
from django.test import Client

from conftest import local, make_customer
from coresync.bookings.services import create_booking
from coresync.calendars.models import FeedKind
from coresync.calendars.services import create_feed
from coresync.resources.services import add_technician_exception
from coresync.staff.models import TimeEntry
from coresync.staff.services import add_time_entry
from coresync.staff.tests.conftest import api_as

pytestmark = pytest.mark.django_db

SECRETS = ("Whitfield", "alexandra@example.com", "+12125550123", "Zed", "Quill", "zed@example.com")


@pytest.fixture
def guests(spa, frozen_now):
    """Ana's guest Alexandra Whitfield (firm pressure, lavender, a note) on Thursday at 10:00,
    with hot stones; Ben's guest Zed Quill at the same time."""
    alexandra = make_customer("alexandra@example.com")
    alexandra.name = "Alexandra Whitfield"
    alexandra.phone = "+12125550123"
    alexandra.save()
    zed = make_customer("zed@example.com")
    zed.name = "Zed Quill"
    zed.save()
    mine = create_booking(
        customer=alexandra,
        service="swedish",
        start=local(2026, 12, 1, 10),
        technician="ana",
        addon_slugs=["hot-stones"],
        preferences={"pressure": "firm", "aromatherapy": "lavender", "scene": "venice"},
        notes="Left shoulder is tender.",
    )
    theirs = create_booking(
        customer=zed,
        service="swedish",
        start=local(2026, 12, 1, 10),
        technician="ben",
        notes="Zed secret note",
    )
    return mine, theirs


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_private(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_today_shows_the_booking_as_the_technician_needs_it(guests, ana_login):
    mine, _theirs = guests

    page = signed_in(ana_login).get("/staff/")

    html = page.content.decode()
    assert page.status_code == 200
    for expected in (
        "10:00 AM",
        "11:15 AM",  # 60 min + 15 min of hot stones
        "Swedish Massage",
        "75 min",
        "Hot Stones",
        "Suite A",
        "Alexandra",
        "Firm",
        "Lavender",
        "Venice",
        "Left shoulder is tender.",
    ):
        assert expected in html, expected
    assert mine.reference in html
    assert_private(html)


def test_week_day_sheet_and_other_days(guests, ana_login):
    client = signed_in(ana_login)
    week = client.get("/staff/week/", {"date": "2026-12-01"}).content.decode()
    sheet = client.get("/staff/day-sheet/", {"date": "2026-12-01"}).content.decode()
    tomorrow = client.get("/staff/", {"date": "2026-12-02"}).content.decode()

    for html in (week, sheet):
        assert "Alexandra" in html
        assert "Lavender" in html
        assert_private(html)
    assert 'href="/staff/?date=2026-12-01" rel="prev"' in tomorrow
    assert 'href="/staff/?date=2026-12-03" rel="next"' in tomorrow
    assert "No bookings this day." in tomorrow
    assert "data-print" in sheet


def test_the_technicians_api_agenda_and_bookings_hold_no_contact_fields(guests, ana_login):
    mine, theirs = guests
    agenda = api_as(ana_login).get("/api/v1/staff/agenda/", {"date": "2026-12-01"})
    listed = api_as(ana_login).get("/api/v1/bookings/")
    schedule = api_as(ana_login).get("/api/v1/staff/schedule/", {"date": "2026-12-01"})

    assert agenda.status_code == 200
    day = next(item for item in agenda.json()["days"] if item["date"] == "2026-12-01")
    assert [row["reference"] for row in day["bookings"]] == [mine.reference]
    assert day["bookings"][0]["guest"] == "Alexandra"
    assert day["bookings"][0]["preferences"] == {
        "Pressure": "Firm",
        "Aromatherapy": "Lavender",
        "Lighting scene": "Venice",
    }
    assert [row["reference"] for row in listed.json()["results"]] == [mine.reference]
    assert api_as(ana_login).get(f"/api/v1/bookings/{theirs.reference}/").status_code == 404
    for response in (agenda, listed, schedule):
        assert_private(response.content.decode())


def test_the_technicians_feed_lists_their_bookings_by_first_name_only(guests, ana_login):
    mine, _ = guests
    feed = create_feed(kind=FeedKind.TECHNICIAN, owner=ana_login.technician)

    body = Client().get(f"/calendars/{feed.token}.ics").content.decode()

    assert mine.reference in body
    assert "Alexandra" in body
    assert_private(body)


def test_payroll_exports_hold_no_guest_data(guests, boss, ana_login):
    add_time_entry(
        ana_login.technician,
        started_at=local(2026, 12, 1, 9),
        ended_at=local(2026, 12, 1, 12),
        actor=boss,
    )
    client = signed_in(boss)
    for extension in ("csv", "xlsx"):
        response = client.get(f"/staff/manage/payroll/export.{extension}", {"date": "2026-12-01"})
        assert response.status_code == 200
        assert_private(response.content.decode("latin-1"))


def test_the_portal_clock(guests, ana_login):
    client = signed_in(ana_login)

    clocked_in = client.post("/staff/clock/", {"action": "in", "next": "/staff/"}, follow=True)
    assert "Clocked in" in clocked_in.content.decode()
    assert TimeEntry.objects.get().status == "open"
    twice = client.post("/staff/clock/", {"action": "in"}, follow=True)
    assert "You are clocked in already." in twice.content.decode()
    with time_machine.travel(local(2026, 12, 1, 12), tick=False):
        out = client.post("/staff/clock/", {"action": "out"}, follow=True)
    assert "Clocked out." in out.content.decode()
    assert TimeEntry.objects.get().status == "pending"


def test_hours_by_hand_need_a_reason_and_are_read_as_spa_time(guests, ana_login):
    client = signed_in(ana_login)

    refused = client.post(
        "/staff/hours/", {"started_at": "2026-11-30T22:00", "ended_at": "2026-12-01T06:00"}
    )
    assert "Say why the time was not clocked." in refused.content.decode()
    client.post(
        "/staff/hours/",
        {"started_at": "2026-11-30T22:00", "ended_at": "2026-12-01T06:00", "note": "night event"},
    )

    entry = TimeEntry.objects.get()
    assert (entry.started_at, entry.ended_at) == (local(2026, 11, 30, 22), local(2026, 12, 1, 6))
    page = client.get("/staff/hours/", {"date": "2026-11-30"}).content.decode()
    assert "8.00 h" in page


def test_manager_pages_approve_reassign_and_pay(guests, ana_login, boss):
    mine, _ = guests
    entry = add_time_entry(
        ana_login.technician,
        started_at=local(2026, 11, 30, 9),
        ended_at=local(2026, 11, 30, 17),
        actor=ana_login,
    )
    client = signed_in(boss)

    approvals = client.get("/staff/manage/")
    assert "8.00 h" in approvals.content.decode()
    client.post(f"/staff/manage/hours/{entry.pk}/", {"decision": "approve"})
    entry.refresh_from_db()
    assert entry.status == "approved"

    add_technician_exception(ana_login.technician, {"date": "2026-12-01", "kind": "sick_leave"})
    queue = client.get("/staff/manage/reassign/").content.decode()
    assert mine.reference in queue
    assert "Nobody is free at that time." in queue  # Ben has Zed at 10:00
    cancelled = client.post(
        "/staff/manage/reassign/", {"reference": mine.reference, "decision": "cancel"}, follow=True
    )
    assert "cancelled, free of charge" in cancelled.content.decode()
    mine.refresh_from_db()
    assert (mine.status, str(mine.cancellation_fee)) == ("cancelled", "0.00")

    payroll = client.get("/staff/manage/payroll/", {"date": "2026-11-30"}).content.decode()
    assert "Ana" in payroll and "8.00" in payroll
    assert "Download XLSX" in payroll


def test_pages_refuse_the_wrong_people(guests, ana_login, customer, desk):
    assert signed_in(customer).get("/staff/").status_code == 403
    assert signed_in(desk).get("/staff/manage/").status_code == 403
    assert signed_in(ana_login).get("/staff/manage/").status_code == 403
    assert signed_in(ana_login).get("/staff/manage/payroll/export.xlsx").status_code == 403
    assert Client().get("/staff/").status_code == 302  # to sign in


def test_a_technician_lands_on_their_day_after_signing_in(guests, ana_login):
    response = Client().post(
        "/account/login/", {"email": "ana@example.com", "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
