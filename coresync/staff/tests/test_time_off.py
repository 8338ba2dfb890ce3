"""Time-off requests (issue 11 item 4): a technician asks for a day, a range or part of a
day; a manager approves (creating the exception, which flags the bookings it falls on) or
declines; wrong roles and wrong states are refused with the error envelope."""

from datetime import date, time

import pytest

from conftest import local
from coresync.bookings.services import create_booking
from coresync.resources.models import AvailabilityException
from coresync.staff.models import TimeOffRequest
from coresync.staff.tests.conftest import api_as

pytestmark = pytest.mark.django_db

TIME_OFF = "/api/v1/staff/time-off/"


def ask(user, **values):
    return api_as(user).post(TIME_OFF, values, format="json")


def test_a_day_a_range_and_part_of_a_day(spa, ana_login, frozen_now):
    day = ask(ana_login, kind="day_off", date="2026-12-10", reason="dentist")
    vacation = ask(ana_login, kind="vacation", date="2026-12-20", end_date="2026-12-27")
    part = ask(ana_login, kind="other", date="2026-12-11", start="12:00", end="15:30")

    assert [response.status_code for response in (day, vacation, part)] == [201, 201, 201]
    assert day.json()["status"] == "pending"
    assert day.json()["technician"] == "ana"
    assert vacation.json()["end_date"] == "2026-12-27"
    assert (part.json()["start"], part.json()["end"]) == ("12:00", "15:30")
    assert not AvailabilityException.objects.exists()  # nothing is off until approved


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "day_off", "date": "2026-11-30"}, "date"),  # in the past
        ({"kind": "holiday", "date": "2026-12-10"}, "kind"),  # the spa's, not asked for
        ({"kind": "day_off", "date": "2026-12-10", "end_date": "2026-12-09"}, "end_date"),
        ({"kind": "other", "date": "2026-12-10", "start": "12:00"}, "end"),
        ({"kind": "other", "date": "2026-12-10", "start": "15:00", "end": "12:00"}, "end"),
        (
            {
                "kind": "other",
                "date": "2026-12-10",
                "end_date": "2026-12-11",
                "start": "09:00",
                "end": "12:00",
            },
            "end_date",
        ),
    ],
)
def test_bad_requests_name_the_field(spa, ana_login, frozen_now, values, field):
    response = ask(ana_login, **values)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not TimeOffRequest.objects.exists()


def test_approval_creates_the_exception_and_flags_the_bookings(
    spa, ana_login, boss, customer, frozen_now
):
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 13), technician="ana"
    )
    request_id = ask(ana_login, kind="other", date="2026-12-03", start="12:00", end="16:00").json()[
        "id"
    ]

    approved = api_as(boss).post(f"{TIME_OFF}{request_id}/approve/", {"note": "ok"}, format="json")

    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    exception = AvailabilityException.objects.get()
    assert (exception.technician, exception.date, exception.start, exception.end) == (
        spa.ana,
        date(2026, 12, 3),
        time(12),
        time(16),
    )
    assert approved.json()["exception"] == exception.pk
    booking.refresh_from_db()
    assert booking.status == "needs_reassignment"


def test_wrong_roles_and_wrong_states_are_refused(
    spa, ana_login, ben_login, boss, desk, frozen_now
):
    request_id = ask(ana_login, kind="day_off", date="2026-12-10").json()["id"]

    for user in (ana_login, desk):
        refused = api_as(user).post(f"{TIME_OFF}{request_id}/approve/", {}, format="json")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
    # another technician does not even see it
    assert (
        api_as(ben_login).post(f"{TIME_OFF}{request_id}/cancel/", {}, format="json").status_code
        == 404
    )
    # a technician cannot ask for someone else
    other = ask(ana_login, kind="day_off", date="2026-12-10", technician="ben")
    assert other.status_code == 403

    declined = api_as(boss).post(
        f"{TIME_OFF}{request_id}/decline/", {"note": "busy week"}, format="json"
    )
    assert declined.json()["status"] == "declined"
    for decision in ("approve", "decline"):
        again = api_as(boss).post(f"{TIME_OFF}{request_id}/{decision}/", {}, format="json")
        assert again.status_code == 422
        assert again.json()["error"]["code"] == "invalid_transition"
    assert not AvailabilityException.objects.exists()


def test_the_technician_withdraws_a_pending_request_and_a_manager_an_approved_one(
    spa, ana_login, boss, customer, frozen_now
):
    booking = create_booking(
        customer=customer, service="swedish", start=local(2026, 12, 3, 13), technician="ana"
    )
    pending = ask(ana_login, kind="day_off", date="2026-12-10").json()["id"]
    approved = ask(ana_login, kind="day_off", date="2026-12-03").json()["id"]
    api_as(boss).post(f"{TIME_OFF}{approved}/approve/", {}, format="json")
    booking.refresh_from_db()
    assert booking.status == "needs_reassignment"

    assert (
        api_as(ana_login).post(f"{TIME_OFF}{pending}/cancel/", {}, format="json").json()["status"]
        == "cancelled"
    )
    by_technician = api_as(ana_login).post(f"{TIME_OFF}{approved}/cancel/", {}, format="json")
    assert by_technician.status_code == 422

    by_manager = api_as(boss).post(f"{TIME_OFF}{approved}/cancel/", {}, format="json")

    assert by_manager.json()["status"] == "cancelled"
    assert not AvailabilityException.objects.exists()
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # Ana is back: nothing to reassign


def test_the_portal_form_asks_for_part_of_a_day(client, spa, ana_login, frozen_now):
    client.force_login(ana_login)

    response = client.post(
        "/staff/time-off/",
        {
            "kind": "other",
            "length": "part",
            "date": "2026-12-10",
            "start": "09:00",
            "end": "11:00",
            "end_date": "2026-12-12",
            "reason": "school run",
        },
    )

    assert response.status_code == 302
    request = TimeOffRequest.objects.get()
    assert (request.date, request.end_date, request.start, request.end) == (
        date(2026, 12, 10),
        None,
        time(9),
        time(11),
    )
    page = client.get("/staff/time-off/")
    assert b"school run" in page.content
