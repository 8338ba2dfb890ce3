"""Malformed input to the API (cases found by fuzzing the live API): query parameters and
JSON bodies are validated, so a bad value is a 400 ``invalid``, never a 500, on SQLite and
PostgreSQL alike (PostgreSQL cannot store NUL characters), and nothing is written."""

import json

import pytest
from rest_framework.test import APIClient

from coresync.bookings.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_manager(api, manager):
    api.force_authenticate(manager)
    return api


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/api/v1/services/", {"category": "massage"}, ["couples", "swedish"]),
        ("/api/v1/services/", {"category": "thermal"}, ["steam"]),
        ("/api/v1/services/", {"category": "unknown"}, []),
        ("/api/v1/addons/", {"service": "swedish"}, ["cbd-oil", "hot-stones"]),
        ("/api/v1/addons/", {"service": "couples"}, ["hot-stones"]),
        ("/api/v1/rooms/", {"type": "private"}, ["couples-suite"]),
        ("/api/v1/rooms/", {"type": "shared"}, ["steam"]),
        ("/api/v1/technicians/", {"skill": "massage"}, ["ana", "ben"]),
        ("/api/v1/technicians/", {"skill": "barber"}, []),
    ],
)
def test_catalog_lists_filter(api, spa, path, query, expected):
    response = api.get(path, query)

    assert response.status_code == 200
    assert sorted(row["slug"] for row in response.json()) == expected


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/v1/services/", "category", "\x00massage"),
        ("/api/v1/addons/", "service", "swe\x00dish"),
        ("/api/v1/rooms/", "type", "\x10\u00fe\x00"),
        ("/api/v1/rooms/", "type", "sauna"),
        ("/api/v1/technicians/", "skill", "mass\x00age"),
    ],
)
def test_a_malformed_filter_is_400_naming_it_for_anyone(api, as_manager, spa, path, name, value):
    for caller in (APIClient(), as_manager):
        response = caller.get(path, {name: value, "include_inactive": "true"})

        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert list(error["fields"]) == [name]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/staff/schedule/", {"date": "0287-09-07"}, "date"),
        ("/api/v1/staff/schedule/", {"date": "2200-01-01"}, "date"),
        ("/api/v1/bookings/", {"date_from": "1899-12-31"}, "date_from"),
        (
            "/api/v1/availability/",
            {"service": "swedish", "date_from": "1800-01-01", "date_to": "1800-01-02"},
            "date_from",
        ),
        ("/api/v1/calendar/", {"service": "swedish", "month": "0287-09"}, "month"),
    ],
)
def test_dates_outside_1900_to_2199_are_400(as_manager, spa, path, query, field):
    # Before 1883 New York kept local mean time (UTC-04:56:02): no RFC 3339 offset for it.
    response = as_manager.get(path, query)

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_the_first_and_last_calendar_days_are_accepted(as_manager, spa):
    for day in ("1900-01-01", "2199-12-31"):
        response = as_manager.get("/api/v1/staff/schedule/", {"date": day})

        assert response.status_code == 200, response.content
        assert response.json()["day_starts"] == f"{day}T00:00:00-05:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "swedish", "addons": ["hot-stones", "^é"]}, "addons"),
        ({"service": "swedish", "addons": "hot-stones,cbd;oil"}, "addons"),
        ({"service": "swedish", "addons": ["hot stones"]}, "addons"),
    ],
)
def test_a_list_of_slugs_refuses_what_cannot_be_a_slug(api, spa, frozen_now, body, field):
    response = api.post("/api/v1/quotes/", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_availability_refuses_add_ons_that_cannot_be_slugs(api, spa, frozen_now):
    query = {"service": "swedish", "date_from": "2026-12-02", "date_to": "2026-12-02"}

    response = api.get("/api/v1/availability/", {**query, "addons": "hot-stones,\x00"})

    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["addons"]


@pytest.mark.parametrize(
    "body",
    [
        {"service": "swedish", "addons": ["\x00"]},
        {"service": "swedish", "preferences": {"pressure": "fi\x00rm"}},
        {"service": "swedish", "notes": "\x00"},
        {"service": "swedish", "\x00": 1},
    ],
)
def test_a_nul_character_anywhere_in_a_booking_body_is_400_and_books_nothing(
    api, spa, customer, frozen_now, body
):
    api.force_authenticate(customer)
    response = api.post(
        "/api/v1/bookings/",
        {"start": "2026-12-02T10:00:00-05:00", **body},
        format="json",
        HTTP_IDEMPOTENCY_KEY="nul-1",
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert not Booking.objects.exists()


def test_a_nul_character_in_profile_preferences_is_400_and_changes_nothing(api, customer):
    api.force_authenticate(customer)
    body = json.dumps({"preferences": {"music": "jazz\x00"}})

    response = api.patch("/api/v1/me/", body, content_type="application/json")

    assert response.status_code == 400, response.content
    customer.refresh_from_db()
    assert customer.preferences == {}


ABSURD_STARTS = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:00-14:00", "1899-12-31T23:00:00Z"]


@pytest.mark.parametrize("start", ABSURD_STARTS)
def test_an_absurd_start_is_400_naming_it_on_quotes_bookings_and_reschedule(
    api, spa, customer, frozen_now, start
):
    api.force_authenticate(customer)
    quote = api.post("/api/v1/quotes/", {"service": "swedish", "start": start}, format="json")
    booking = api.post(
        "/api/v1/bookings/",
        {"service": "swedish", "start": start},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"absurd-{start}",
    )
    assert not Booking.objects.exists()
    made = api.post(
        "/api/v1/bookings/",
        {"service": "swedish", "start": "2026-12-02T10:00:00-05:00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="fine",
    )
    reference = made.json()["reference"]
    moved = api.post(f"/api/v1/bookings/{reference}/reschedule/", {"start": start}, format="json")

    for response in (quote, booking, moved):
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "invalid"
        assert list(response.json()["error"]["fields"]) == ["start"]
    assert Booking.objects.get(reference=reference).start.isoformat() == "2026-12-02T15:00:00+00:00"


@pytest.mark.parametrize("start", ABSURD_STARTS)
def test_an_absurd_start_on_the_booking_page_is_no_500(client, spa, frozen_now, start):
    response = client.get("/book/", {"service": "swedish", "date": start[:10], "start": start})
    assert response.status_code == 200


def test_an_absurd_start_reaching_a_service_is_invalid_input(spa, customer, frozen_now):
    from datetime import datetime

    from coresync.bookings.services import create_booking
    from coresync.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        create_booking(
            customer=customer,
            service="swedish",
            start=datetime.fromisoformat("9999-12-31T23:59:00-14:00"),
        )
    assert list(refused.value.fields) == ["start"]
    assert not Booking.objects.exists()


def test_a_body_over_the_upload_limit_is_the_json_error_body(api, spa, customer):
    api.force_authenticate(customer)
    body = '{"notes": "' + "x" * 2_700_000 + '"}'
    for response in (
        api.patch("/api/v1/me/", body, content_type="application/json"),
        api.post(
            "/api/v1/bookings/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
        ),
    ):
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "invalid"
        assert "2.5 MiB" in response.json()["error"]["message"]
    assert not Booking.objects.exists()
