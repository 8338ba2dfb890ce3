"""The HTTP API contract of ARCHITECTURE.md, driven as an outside client would."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from conftest import local, make_customer
from coresync.accounts.services import set_role
from coresync.bookings.models import Booking
from coresync.bookings.services import create_booking
from coresync.memberships.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def login(api: APIClient, user) -> APIClient:
    token = api.post(
        "/api/v1/auth/token/", {"email": user.email, "password": "pass-word-123"}, format="json"
    )
    assert token.status_code == 200, token.content
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    return api


def book(api: APIClient, key: str = "key-1", **payload):
    body = {"service": "swedish", "start": "2026-12-02T10:00:00-05:00", **payload}
    return api.post("/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_availability_for_anonymous_caller(api, spa, frozen_now):
    response = api.get(
        "/api/v1/availability/",
        {"service": "swedish", "date_from": "2026-12-02", "date_to": "2026-12-02"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["timezone"] == "America/New_York"
    first = body["slots"][0]
    assert first["start"] == "2026-12-02T09:00:00-05:00"
    assert first["end"] == "2026-12-02T10:00:00-05:00"
    assert (first["technician"], first["room"], first["member_only"]) == ("ana", "suite-a", False)
    assert first["price"]["total"] == "108.88"
    # 09:00 … 15:45 every 15 minutes (60 min + 15 buffer inside 09:00-17:00).
    assert len(body["slots"]) == 28
    assert body["slots"][-1]["start"] == "2026-12-02T15:45:00-05:00"


def test_availability_member_window_and_flag(api, spa, premium_member, frozen_now):
    params = {"service": "swedish", "date_from": "2026-12-10", "date_to": "2026-12-10"}
    assert api.get("/api/v1/availability/", params).json()["slots"] == []
    slots = login(api, premium_member).get("/api/v1/availability/", params).json()["slots"]
    assert slots and all(slot["member_only"] for slot in slots)
    assert slots[0]["price"]["total"] == "65.33"  # 100 - 40% = 60.00 + 5.33 tax


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"service": "nope", "date_from": "2026-12-02", "date_to": "2026-12-02"}, "service"),
        ({"service": "swedish", "date_from": "2026-12-05", "date_to": "2026-12-02"}, "date_to"),
        ({"service": "swedish", "date_from": "2026-12-01", "date_to": "2027-03-04"}, "date_to"),
        ({"service": "swedish", "date_from": "2026-12-02"}, "date_to"),
        ({"service": "swedish", "date_from": "02/12/2026", "date_to": "2026-12-02"}, "date_from"),
        (
            {
                "service": "swedish",
                "date_from": "2026-12-02",
                "date_to": "2026-12-02",
                "guests": "3",
            },
            "guests",
        ),
    ],
)
def test_availability_bad_input_is_400_naming_the_field(api, spa, frozen_now, params, field):
    response = api.get("/api/v1/availability/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_create_booking_contract(api, spa, customer, frozen_now):
    login(api, customer)
    response = book(
        api, addons=["cbd-oil"], preferences={"pressure": "firm"}, notes="Quiet, please"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("CS-2026-")
    assert body["status"] == "confirmed"
    assert body["start"] == "2026-12-02T10:00:00-05:00"
    assert body["end"] == "2026-12-02T11:00:00-05:00"
    assert (body["technician"], body["room"]) == ("ana", "suite-a")
    assert body["price"]["total"] == "136.09"
    assert body["addons"] == ["cbd-oil"]
    assert body["can_cancel"] is True


def test_idempotency_key_required_replayed_and_reused(api, spa, customer, frozen_now):
    login(api, customer)
    missing = api.post(
        "/api/v1/bookings/",
        {"service": "swedish", "start": "2026-12-02T10:00:00-05:00"},
        format="json",
    )
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "invalid"
    first = book(api, key="same")
    again = book(api, key="same")
    assert again.status_code == 201 and again.json()["reference"] == first.json()["reference"]
    other = book(api, key="same", start="2026-12-02T12:00:00-05:00")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("field", ["price", "status", "customer", "tier", "reference", "waive_fee"])
def test_payload_setting_protected_fields_is_refused(api, spa, customer, frozen_now, field):
    login(api, customer)
    response = book(api, **{field: "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "read_only_field"
    assert field in response.json()["error"]["fields"]
    assert Booking.objects.count() == 0


def test_start_without_offset_is_refused(api, spa, customer, frozen_now):
    login(api, customer)
    response = book(api, start="2026-12-02T10:00:00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "timezone_offset_required"


def test_refusals_have_the_contract_codes(api, spa, customer, frozen_now):
    login(api, customer)
    assert book(api, key="a", technician="ana").status_code == 201
    taken = book(api, key="b", technician="ana")
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slot_unavailable")
    late = book(api, key="c", start="2026-12-02T16:30:00-05:00")
    assert (late.status_code, late.json()["error"]["code"]) == (422, "outside_working_hours")
    far = book(api, key="d", start="2026-12-20T10:00:00-05:00")
    assert (far.status_code, far.json()["error"]["code"]) == (422, "outside_booking_window")
    soon = book(api, key="e", start="2026-12-01T09:00:00-05:00")
    assert (soon.status_code, soon.json()["error"]["code"]) == (422, "outside_booking_window")


def test_unauthenticated_booking_is_401(api, spa, frozen_now):
    response = book(api)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_customers_never_reach_each_others_bookings(api, spa, customer, frozen_now):
    login(api, customer)
    reference = book(api).json()["reference"]
    intruder = login(APIClient(), make_customer("b@example.com"))
    for response in (
        intruder.get(f"/api/v1/bookings/{reference}/"),
        intruder.post(f"/api/v1/bookings/{reference}/cancel/", {}, format="json"),
        intruder.post(
            f"/api/v1/bookings/{reference}/reschedule/",
            {"start": "2026-12-02T12:00:00-05:00"},
            format="json",
        ),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert intruder.get("/api/v1/bookings/").json()["results"] == []
    assert Booking.objects.get(reference=reference).status == "confirmed"


def test_cancel_and_reschedule(api, spa, customer, manager, frozen_now):
    login(api, customer)
    reference = book(api).json()["reference"]
    moved = api.post(
        f"/api/v1/bookings/{reference}/reschedule/",
        {"start": "2026-12-02T13:00:00-05:00"},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["start"] == "2026-12-02T13:00:00-05:00"
    refused = api.post(f"/api/v1/bookings/{reference}/cancel/", {"waive_fee": True}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "read_only_field"
    cancelled = api.post(f"/api/v1/bookings/{reference}/cancel/", {}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation_fee"] == "0.00"
    again = api.post(f"/api/v1/bookings/{reference}/cancel/", {}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (422, "invalid_transition")


def test_technician_sees_own_schedule_only(api, spa, customer, frozen_now):
    login(api, customer)
    book(api, key="1", technician="ana")
    book(api, key="2", technician="ben")
    technician_user = make_customer("ana@example.com")
    set_role(technician_user, "technician")
    spa.ana.user = technician_user
    spa.ana.save()
    staff = login(APIClient(), technician_user)
    schedule = staff.get("/api/v1/staff/schedule/", {"date": "2026-12-02"}).json()
    assert [b["technician"] for b in schedule["bookings"]] == ["ana"]
    assert api.get("/api/v1/staff/schedule/", {"date": "2026-12-02"}).status_code == 403


def test_register_token_refresh_and_me(api, spa, frozen_now):
    created = api.post(
        "/api/v1/auth/register/",
        {"email": "New@Example.com", "password": "a-long-pass-phrase", "name": "Nova"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["email"] == "new@example.com"
    duplicate = api.post(
        "/api/v1/auth/register/",
        {"email": "new@example.com", "password": "a-long-pass-phrase", "name": "Nova"},
        format="json",
    )
    assert duplicate.status_code == 400 and "email" in duplicate.json()["error"]["fields"]
    weak = api.post(
        "/api/v1/auth/register/",
        {"email": "w@example.com", "password": "123", "name": "W"},
        format="json",
    )
    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]
    tokens = api.post(
        "/api/v1/auth/token/",
        {"email": "new@example.com", "password": "a-long-pass-phrase"},
        format="json",
    ).json()
    refreshed = api.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200 and "access" in refreshed.json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    me = api.get("/api/v1/me/").json()
    assert (me["email"], me["tier"], me["membership"]) == ("new@example.com", "non_member", None)


def test_quote_and_catalog(api, spa, frozen_now):
    quote = api.post(
        "/api/v1/quotes/",
        {"service": "swedish", "duration": 90, "addons": ["hot-stones"]},
        format="json",
    )
    assert quote.status_code == 200
    assert quote.json()["total"] == "190.53"  # 140 + 35 = 175.00 + 15.53 tax
    services = api.get("/api/v1/services/").json()
    assert [s["slug"] for s in services] == ["couples", "swedish", "steam"]
    assert api.get("/api/v1/services/swedish/").json()["durations"] == [
        {"minutes": 60, "price": "100.00"},
        {"minutes": 90, "price": "140.00"},
    ]
    assert api.get("/api/v1/services/nope/").json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/nope/").status_code == 404


def test_calendar_states(api, spa, frozen_now):
    days = api.get("/api/v1/calendar/", {"month": "2026-12", "service": "swedish"}).json()["days"]
    states = {day["date"]: (day["state"], day["bookable"], day["today"]) for day in days}
    assert states["2026-12-01"] == ("available", True, True)
    assert states["2026-12-04"] == ("available", True, False)
    assert states["2026-12-05"] == ("members_only", False, False)
    assert len(days) == 31


def test_cancel_with_a_non_object_body_is_400_not_500(api, spa, customer, frozen_now):
    login(api, customer)
    reference = book(api).json()["reference"]
    response = api.post(f"/api/v1/bookings/{reference}/cancel/", [None, None], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_reschedule_keeps_the_technician_any_picks_another_and_busy_is_409(
    api, spa, customer, frozen_now
):
    login(api, customer)
    reference = book(api, technician="ben").json()["reference"]
    other = make_customer("other@example.com")
    create_booking(
        customer=other, service="swedish", start=local(2026, 12, 2, 13), technician="ben"
    )
    path = f"/api/v1/bookings/{reference}/reschedule/"

    kept = api.post(path, {"start": "2026-12-02T14:30:00-05:00"}, format="json")
    busy = api.post(path, {"start": "2026-12-02T13:00:00-05:00"}, format="json")
    after_busy = Booking.objects.get(reference=reference)
    any_one = api.post(
        path, {"start": "2026-12-02T13:00:00-05:00", "technician": "any"}, format="json"
    )
    named = api.post(
        path, {"start": "2026-12-02T15:45:00-05:00", "technician": "ben"}, format="json"
    )

    assert kept.status_code == 200 and kept.json()["technician"] == "ben"
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "slot_unavailable")
    assert after_busy.start.isoformat() == "2026-12-02T19:30:00+00:00"  # still 14:30 local
    assert any_one.status_code == 200 and any_one.json()["technician"] == "ana"
    assert named.status_code == 200 and named.json()["technician"] == "ben"


def test_reschedule_keeps_the_booking_tier_price(api, spa, customer, frozen_now):
    login(api, customer)
    created = book(api).json()
    Membership.objects.create(
        customer=customer, plan=spa.plans["base"], started_on=date(2026, 12, 1)
    )

    moved = api.post(
        f"/api/v1/bookings/{created['reference']}/reschedule/",
        {"start": "2026-12-02T14:00:00-05:00"},
        format="json",
    )

    assert moved.status_code == 200
    assert (moved.json()["price"]["total"], moved.json()["tier"]) == ("108.88", "non_member")
    assert created["price"]["total"] == "108.88"


def test_overlapping_booking_for_the_same_customer_is_409_customer_busy(
    api, spa, customer, frozen_now
):
    login(api, customer)
    first = book(api, key="one")
    assert first.status_code == 201 and first.json()["guest_name"] == ""

    clash = book(api, key="two", start="2026-12-02T10:30:00-05:00")
    gift = book(api, key="three", start="2026-12-02T10:30:00-05:00", guest_name="Maya Lopez")
    later = book(api, key="four", service="steam", start="2026-12-02T14:00:00-05:00")
    moved = api.post(  # the steam room has places at 10:15; the customer has none
        f"/api/v1/bookings/{later.json()['reference']}/reschedule/",
        {"start": "2026-12-02T10:15:00-05:00"},
        format="json",
    )

    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "customer_busy"
    assert first.json()["reference"] in clash.json()["error"]["message"]
    assert gift.status_code == 201 and gift.json()["guest_name"] == "Maya Lopez"
    assert (moved.status_code, moved.json()["error"]["code"]) == (409, "customer_busy")
    assert Booking.objects.filter(customer=customer).count() == 3
    assert Booking.objects.get(reference=later.json()["reference"]).reschedule_count == 0


def test_guest_name_is_at_most_150_characters(api, spa, customer, frozen_now):
    login(api, customer)

    response = book(api, guest_name="x" * 151)

    assert response.status_code == 400 and "guest_name" in response.json()["error"]["fields"]
    assert not Booking.objects.exists()
