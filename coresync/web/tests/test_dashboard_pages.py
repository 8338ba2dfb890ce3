"""The manager's dashboard page and its exports (docs/dashboard.md)."""

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import local
from coresync.accounts.models import Role
from coresync.bookings.services import check_in_booking, complete_booking
from factories import BookingFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def boss(spa):
    return StaffFactory(email="boss@example.com", name="Mina Park", role=Role.MANAGER)


@pytest.fixture
def served(spa, boss):
    """Two completed Swedish massages on Thu 3 Dec 2026 (one with CBD oil), booked on 1 Dec."""
    with time_machine.travel(local(2026, 12, 1, 8), tick=False):
        first = BookingFactory(
            customer=CustomerFactory(name="=HYPERLINK(1)"),
            start=local(2026, 12, 3, 10),
            technician="ana",
            addon_slugs=["cbd-oil"],
        )
        second = BookingFactory(start=local(2026, 12, 3, 10), technician="ben")
    for booking in (first, second):
        check_in_booking(booking, actor=boss, now=booking.start - timedelta(minutes=5))
        complete_booking(booking, actor=boss, now=booking.end)
    return first, second


RANGE = {"date_from": "2026-12-01", "date_to": "2026-12-07", "grain": "day"}


def test_each_chart_draws_exactly_the_rows_of_its_table(boss, served):
    html = signed_in(boss).get("/manage/dashboard/", RANGE).content.decode()

    charts = dict(
        re.findall(
            r'<script id="chart-([a-z_]+)-data" type="application/json">(.*?)</script>', html
        )
    )
    assert set(charts) == {
        "revenue",
        "revenue_by_category",
        "bookings",
        "top_services",
        "utilization_technicians",
        "utilization_rooms",
    }
    revenue = json.loads(charts["revenue"])
    assert revenue["labels"][2] == "2026-12-03"
    # Services 100 (Suite A) + 110 (the couples suite, +10 %), add-ons 25 (CBD oil), in the
    # chart and in the table row alike.
    assert [dataset["data"][2] for dataset in revenue["datasets"]] == [
        "210.00",
        "25.00",
        "0.00",
        "0.00",
    ]
    assert (
        '<tr><th scope="row">2026-12-03</th><td>210.00</td><td>25.00</td><td>0.00</td>'
        "<td>0.00</td><td>235.00</td></tr>"
    ) in html
    assert '<script src="/static/web/vendor/chart.umd.min.js" defer></script>' in html


def test_only_managers_open_the_dashboard(spa, served):
    for role in (Role.FRONT_DESK, Role.TECHNICIAN, Role.CUSTOMER):
        response = signed_in(StaffFactory(role=role)).get("/manage/dashboard/", RANGE)
        assert response.status_code == 403, role
        export = signed_in(StaffFactory(role=role)).get("/manage/dashboard/bookings.csv", RANGE)
        assert export.status_code == 403, role


def test_the_page_issues_as_many_queries_for_a_year_as_for_a_week(boss, served):
    client = signed_in(boss)
    client.get("/manage/dashboard/", RANGE)

    with CaptureQueriesContext(connection) as week:
        client.get("/manage/dashboard/", RANGE)
    with CaptureQueriesContext(connection) as year:
        client.get("/manage/dashboard/", {"date_from": "2025-12-08", "date_to": "2026-12-07"})

    assert len(week.captured_queries) == len(year.captured_queries)


def test_a_range_over_366_days_is_refused_on_the_page(boss, spa):
    response = signed_in(boss).get(
        "/manage/dashboard/", {"date_from": "2025-01-01", "date_to": "2026-12-07"}
    )

    assert response.status_code == 400
    assert "at most 366 days" in response.content.decode()


def test_a_table_exports_as_csv_and_xlsx_with_the_same_cells(boss, served):
    client = signed_in(boss)

    as_csv = client.get("/manage/dashboard/utilization_technicians.csv", RANGE)
    as_xlsx = client.get("/manage/dashboard/utilization_technicians.xlsx", RANGE)

    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(as_csv.content.decode()))) == [
        ["technician", "booked_minutes", "open_minutes", "percent"],
        ["Ana", "60", "3360", "1.8"],  # 7 days × 480 minutes
        ["Ben", "60", "3360", "1.8"],
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Technician", "Booked minutes", "Open minutes", "Utilization %"],
        ["Ana", 60, 3360, 1.8],
        ["Ben", 60, 3360, 1.8],
    ]


def test_the_bookings_export_lists_each_line_item_and_defuses_formulas(boss, served):
    first, _second = served
    client = signed_in(boss)

    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/manage/dashboard/bookings.csv", RANGE).content.decode())
        )
    )
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/manage/dashboard/bookings.xlsx", RANGE).content)
    ).active

    lines = [(row["line"], row["amount"]) for row in rows if row["reference"] == first.reference]
    assert lines == [
        ("base", "100.00"),
        ("addon:cbd-oil", "25.00"),
        ("subtotal", "125.00"),
        ("tax", "11.09"),
        ("total", "136.09"),
    ]
    assert {row["customer"] for row in rows if row["reference"] == first.reference} == {
        "'=HYPERLINK(1)"
    }
    assert rows[0]["start"] == "2026-12-03 10:00"
    cells = [cell.value for cell in sheet["D"]]
    assert "=HYPERLINK(1)" in cells
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert Decimal(rows[-1]["amount"]) > 0
