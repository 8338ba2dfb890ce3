"""``GET /api/v1/dashboard/``: the dashboard's numbers as JSON, the same tables as the page
and the exports; managers only; a bad range is a 400 that names the field."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from conftest import local
from coresync.accounts.models import Role
from coresync.bookings.services import check_in_booking, complete_booking
from coresync.dashboard.selectors import dashboard_report
from factories import BookingFactory, StaffFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_a_manager_gets_the_same_tables_as_the_page(manager, spa, frozen_now):
    booking = BookingFactory(
        start=local(2026, 12, 1, 10), technician="ana", enforce_booking_window=False
    )
    check_in_booking(booking, actor=manager, now=local(2026, 12, 1, 10), enforce_window=False)
    complete_booking(booking, actor=manager, now=local(2026, 12, 1, 11))

    response = client_for(manager).get(
        URL, {"date_from": "2026-11-25", "date_to": "2026-12-01", "grain": "day"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    report = dashboard_report(local(2026, 11, 25).date(), local(2026, 12, 1).date(), "day")
    assert (body["date_from"], body["date_to"], body["grain"]) == (
        "2026-11-25",
        "2026-12-01",
        "day",
    )
    assert [table["key"] for table in body["tables"]] == list(report.tables)
    revenue = body["tables"][0]
    assert revenue["columns"][0] == {"key": "period", "title": "Day"}
    assert revenue["rows"] == [
        [str(cell) if isinstance(cell, Decimal) else cell for cell in row]
        for row in report.tables["revenue"].rows
    ]
    assert revenue["rows"][-1][0] == "2026-12-01"
    assert Decimal(revenue["rows"][-1][-1]) == booking.subtotal > 0
    assert body["summary"]["bookings"] == 1
    assert Decimal(body["summary"]["revenue"]) == booking.subtotal


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.TECHNICIAN, Role.CUSTOMER])
def test_only_managers_read_the_numbers(spa, role):
    user = StaffFactory(email=f"{role}@example.com", role=role)
    query = {"date_from": "2026-11-25", "date_to": "2026-12-01"}

    assert client_for(user).get(URL, query).status_code == 403
    assert client_for().get(URL, query).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-12-01", "date_to": "2026-11-01"}, "date_to"),
        ({"date_from": "2025-01-01", "date_to": "2026-12-01"}, "date_to"),
        ({"date_from": "2026-12-01", "date_to": "2026-12-31", "grain": "hour"}, "grain"),
        ({"date_from": "1/12/2026", "date_to": "2026-12-31"}, "date_from"),
        ({"date_to": "2026-12-31"}, "date_from"),
    ],
)
def test_a_bad_range_is_400_naming_the_field(manager, spa, query, field):
    response = client_for(manager).get(URL, query)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
