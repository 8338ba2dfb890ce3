"""Payroll (issue 11 item 3): weekly periods cut at Thursday 18:00 spa time, effective-dated
rates, overtime over 40 h flagged, services and revenue served, closing freezes the totals,
CSV and XLSX exports equal hand-computed totals, and the scheduled close emails managers."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core import mail

from conftest import local
from coresync.bookings.services import check_in_booking, complete_booking, create_booking
from coresync.notifications.jobs import dispatch_outbox
from coresync.notifications.models import EmailLog, OutboxMessage
from coresync.spa.selectors import get_settings
from coresync.staff.errors import InvalidTransition, PeriodClosed
from coresync.staff.exports import payroll_csv, payroll_xlsx
from coresync.staff.jobs import close_pay_periods
from coresync.staff.models import PayPeriod, PayRate, TimeEntry
from coresync.staff.periods import period_containing, period_for_day
from coresync.staff.selectors import payroll_report
from coresync.staff.services import (
    add_time_entry,
    approve_entry,
    close_pay_period,
    reject_entry,
    set_pay_rate,
)
from coresync.staff.tests.conftest import api_as

pytestmark = pytest.mark.django_db

WEEK = date(2026, 11, 28)  # a Saturday: the period Thu Nov 26 18:00 – Thu Dec 3 18:00 EST


def zone():
    return get_settings().zone


def worked(technician, boss, start: datetime, end: datetime, *, approve=True, breaks=()):
    entry = add_time_entry(technician, started_at=start, ended_at=end, breaks=breaks, actor=boss)
    if approve:
        approve_entry(entry, actor=boss)
    return entry


@pytest.fixture
def seeded_week(spa, boss, customer, frozen_now):
    """Ana (30.00/h) works 42.75 approved hours and serves a Swedish massage (100.00); Ben
    (25.00/h, 28.00 from Monday Nov 30) works 10.5 hours, one shift across midnight, and
    serves a Swedish massage with hot stones (135.00)."""
    spa.ana.hourly_rate = Decimal("30.00")
    spa.ana.save()
    spa.ben.hourly_rate = Decimal("25.00")
    spa.ben.save()
    set_pay_rate(spa.ben, hourly_rate="28.00", effective_from=date(2026, 11, 30), actor=boss)

    worked(
        spa.ana,
        boss,
        local(2026, 11, 27, 9),
        local(2026, 11, 27, 17),
        breaks=[(local(2026, 11, 27, 12), local(2026, 11, 27, 12, 30))],
    )  # 7.5 h
    for day in (28, 29, 30):
        worked(spa.ana, boss, local(2026, 11, day, 9), local(2026, 11, day, 19))  # 3 × 10 h
    worked(spa.ana, boss, local(2026, 12, 1, 7), local(2026, 12, 1, 8, 15))  # 1.25 h
    worked(spa.ana, boss, local(2026, 12, 1, 18), local(2026, 12, 1, 22), approve=False)  # pending
    rejected = worked(spa.ana, boss, local(2026, 12, 2, 9), local(2026, 12, 2, 12), approve=False)
    reject_entry(rejected, actor=boss)
    # outside the period: started before the Thursday 18:00 cut, or after the next one
    worked(spa.ana, boss, local(2026, 11, 26, 10), local(2026, 11, 26, 17, 59))
    worked(spa.ana, boss, local(2026, 12, 3, 18), local(2026, 12, 3, 22))
    # Ana's Thursday before the cut counts (starts 14:00 < 18:00): 3 h
    worked(spa.ana, boss, local(2026, 12, 3, 14), local(2026, 12, 3, 17))

    worked(spa.ben, boss, local(2026, 11, 28, 10), local(2026, 11, 28, 16))  # 6 h at 25
    worked(spa.ben, boss, local(2026, 11, 30, 22), local(2026, 12, 1, 2, 30))  # 4.5 h at 28

    served = [
        create_booking(
            customer=customer, service="swedish", start=local(2026, 12, 1, 10), technician="ana"
        ),
        create_booking(
            customer=customer,
            service="swedish",
            start=local(2026, 12, 1, 12),
            technician="ben",
            addon_slugs=["hot-stones"],
            guest_name="Sam",
        ),
    ]
    for booking in served:
        check_in_booking(booking, actor=boss, enforce_window=False)
        complete_booking(booking, actor=boss)
    return served


EXPECTED_CSV = (
    "technician,name,approved_hours,regular_hours,overtime_hours,overtime,hourly_rates,"
    "gross_pay,service_count,revenue,pending_entries\r\n"
    # 7.5 + 30 + 1.25 + 3 = 41.75 h at 30.00 = 1252.50; 1.75 h over 40
    "ana,Ana,41.75,40.00,1.75,yes,30.00,1252.50,1,100.00,1\r\n"
    # 6 × 25.00 + 4.5 × 28.00 = 150.00 + 126.00
    'ben,Ben,10.50,10.50,0.00,no,"25.00, 28.00",276.00,1,135.00,0\r\n'
)


def test_the_period_is_cut_at_thursday_18_00_spa_time(spa):
    period = period_for_day(WEEK, zone())

    assert period.starts_at == local(2026, 11, 26, 18)
    assert period.ends_at == local(2026, 12, 3, 18)
    # a Thursday belongs to the period that ends that evening
    assert period_for_day(date(2026, 12, 3), zone()) == period
    assert period_containing(local(2026, 12, 3, 18), zone()).starts_at == local(2026, 12, 3, 18)
    # across the DST change a period lasts the real 169 hours
    autumn = period_for_day(date(2026, 11, 1), zone())
    assert autumn.ends_at - autumn.starts_at == timedelta(hours=169)


@pytest.mark.parametrize("cut", ["thu 18:00", "mon 00:00", "sun 23:59"])
def test_the_inner_day_of_a_period_names_that_period_whatever_the_cut(spa, settings, cut):
    settings.PAYROLL_PERIOD_START = cut
    period = period_containing(local(2026, 11, 1, 12), zone())

    for _week in range(3):
        assert period_for_day(period.inner_day, zone()) == period
        assert period.starts_at.astimezone(zone()).strftime("%a %H:%M").lower() == cut
        period = period_containing(period.ends_at, zone())


def test_the_seeded_week_csv_equals_the_hand_computed_totals(seeded_week):
    report = payroll_report(period_for_day(WEEK, zone()))

    assert payroll_csv(report) == EXPECTED_CSV
    assert report.total_hours == Decimal("52.25")
    assert report.total_pay == Decimal("1528.50")
    assert [row.overtime for row in report.rows] == [True, False]


def test_the_seeded_week_xlsx_read_back_equals_the_hand_computed_totals(seeded_week):
    report = payroll_report(period_for_day(WEEK, zone()))

    workbook = openpyxl.load_workbook(
        io.BytesIO(payroll_xlsx(report, spa_name="CoreSync", zone=zone()))
    )
    rows = [list(row) for row in workbook["Payroll"].iter_rows(min_row=4, values_only=True)]

    assert rows[0][:3] == ["Technician", "Name", "Approved hours"]
    assert rows[1] == ["ana", "Ana", 41.75, 40, 1.75, "yes", "30.00", 1252.5, 1, 100, 1]
    assert rows[2] == ["ben", "Ben", 10.5, 10.5, 0, "no", "25.00, 28.00", 276, 1, 135, 0]
    total = rows[3]
    assert (total[0], total[2], total[7], total[8], total[9]) == ("Total", 52.25, 1528.5, 2, 235)


def test_the_api_gives_json_csv_and_xlsx_to_managers_only(seeded_week, boss, ana_login, desk):
    json_body = api_as(boss).get("/api/v1/staff/payroll/", {"date": "2026-11-28"})
    as_csv = api_as(boss).get("/api/v1/staff/payroll/", {"date": "2026-11-28", "format": "csv"})
    as_xlsx = api_as(boss).get("/api/v1/staff/payroll/", {"date": "2026-11-28", "format": "xlsx"})

    assert json_body.status_code == 200
    body = json_body.json()
    assert body["period_start"] == "2026-11-26T18:00:00-05:00"
    assert body["period_end"] == "2026-12-03T18:00:00-05:00"
    assert body["rows"][0]["technician"] == "ana"
    assert body["rows"][0]["approved_hours"] == "41.75"
    assert body["rows"][0]["overtime"] is True
    assert body["total_pay"] == "1528.50"
    assert as_csv["Content-Type"].startswith("text/csv")
    assert as_csv.content.decode() == EXPECTED_CSV
    assert 'filename="payroll-2026-11-26.csv"' in as_csv["Content-Disposition"]
    assert as_xlsx.content[:2] == b"PK"
    for user in (ana_login, desk):
        refused = api_as(user).get("/api/v1/staff/payroll/", {"date": "2026-11-28"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"


def test_a_closed_period_does_not_change_when_a_rate_changes(seeded_week, spa, boss):
    period = period_for_day(WEEK, zone())
    with time_machine.travel(local(2026, 12, 4, 9), tick=False):
        close_pay_period(period, actor=boss)

        # a raise back-dated into the closed week, and an approval attempt there
        set_pay_rate(spa.ana, hourly_rate="40.00", effective_from=date(2026, 11, 1), actor=boss)
        pending = TimeEntry.objects.get(status="pending")
        with pytest.raises(PeriodClosed):
            approve_entry(pending, actor=boss)
        with pytest.raises(PeriodClosed):
            add_time_entry(
                spa.ben,
                started_at=local(2026, 11, 29, 9),
                ended_at=local(2026, 11, 29, 10),
                actor=boss,
            )

        report = payroll_report(period)
        following = payroll_report(period_for_day(date(2026, 12, 5), zone()))

    assert report.closed
    assert payroll_csv(report) == EXPECTED_CSV
    # the open period after it follows the new rate: Ana's 4 h from Thursday 18:00
    assert following.rows[0].gross_pay == Decimal("160.00")


def test_closing_refuses_an_open_period_twice_and_other_roles(seeded_week, boss, ana_login):
    refused = api_as(boss).post(
        "/api/v1/staff/payroll/close/", {"date": "2026-11-28"}, format="json"
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_transition"

    with time_machine.travel(local(2026, 12, 4, 9), tick=False):
        by_technician = api_as(ana_login).post(
            "/api/v1/staff/payroll/close/", {"date": "2026-11-28"}, format="json"
        )
        closed = api_as(boss).post(
            "/api/v1/staff/payroll/close/", {"date": "2026-11-28"}, format="json"
        )
        again = api_as(boss).post(
            "/api/v1/staff/payroll/close/", {"date": "2026-11-28"}, format="json"
        )

    assert by_technician.status_code == 403
    assert closed.status_code == 200
    assert closed.json()["closed"] is True
    assert again.status_code == 422
    assert PayPeriod.objects.count() == 1


def test_the_scheduled_job_closes_the_period_and_emails_managers_the_xlsx(seeded_week, boss):
    mail.outbox.clear()
    # the day after the cut the job waits (PAYROLL_CLOSE_AFTER_HOURS = 24): it closes the
    # week before, the latest that ended a day ago
    assert close_pay_periods(now=local(2026, 12, 4, 17)) == 1
    assert list(PayPeriod.objects.values_list("starts_at", flat=True)) == [local(2026, 11, 19, 18)]

    assert close_pay_periods(now=local(2026, 12, 4, 18, 20)) == 1
    assert close_pay_periods(now=local(2026, 12, 4, 19, 20)) == 0  # once
    assert PayPeriod.objects.count() == 2

    week = PayPeriod.objects.get(starts_at=local(2026, 11, 26, 18))
    row = OutboxMessage.objects.get(topic="staff.payroll_email", payload__period_id=week.pk)
    assert row.payload["recipient_id"] == boss.pk
    dispatch_outbox()
    dispatch_outbox()
    sent = [message for message in mail.outbox if message.subject.startswith("Payroll Nov 26")]
    assert len(mail.outbox) == 2  # one per closed period, to the one manager
    assert sent[0].to == ["boss@example.com"]
    assert sent[0].subject == "Payroll Nov 26 – Dec 3, 2026 (closed)"
    assert "Gross pay: $1,528.50" in sent[0].body
    assert "Overtime: Ana" in sent[0].body
    name, content, mimetype = sent[0].attachments[0]
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert name == "payroll-2026-11-26.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook["Payroll"]["H5"].value == 1252.5
    assert set(EmailLog.objects.filter(kind="payroll_closed").values_list("status", flat=True)) == {
        "sent"
    }


def test_cells_that_look_like_formulas_are_written_as_text(spa, boss, frozen_now):
    spa.ana.name = '=HYPERLINK("http://evil.example","pay")'
    spa.ana.save()
    spa.ben.name = "@SUM(A1)"
    spa.ben.save()
    report = payroll_report(period_for_day(WEEK, zone()))

    rows = list(csv.reader(io.StringIO(payroll_csv(report))))
    sheet = openpyxl.load_workbook(
        io.BytesIO(payroll_xlsx(report, spa_name="+1 Spa", zone=zone()))
    )["Payroll"]

    evil = '=HYPERLINK("http://evil.example","pay")'
    assert [row[1] for row in rows[1:]] == [f"'{evil}", "'@SUM(A1)"]
    names = [sheet.cell(row=index, column=2) for index in (5, 6)]
    assert [cell.value for cell in names] == [evil, "@SUM(A1)"]
    assert [cell.data_type for cell in names] == ["s", "s"]
    assert sheet["A1"].data_type == "s"


def test_couples_revenue_is_split_between_the_two_technicians(spa, boss, customer, frozen_now):
    booking = create_booking(
        customer=customer, service="couples", start=local(2026, 12, 1, 10), guests=2
    )
    check_in_booking(booking, actor=boss, enforce_window=False)
    complete_booking(booking, actor=boss)

    rows = {row.technician_slug: row for row in payroll_report(period_for_day(WEEK, zone())).rows}

    assert rows["ana"].service_count == rows["ben"].service_count == 1
    assert rows["ana"].revenue + rows["ben"].revenue == booking.subtotal
    assert abs(rows["ana"].revenue - rows["ben"].revenue) <= Decimal("0.01")


def test_a_rate_is_set_by_managers_only(spa, boss, ana_login):
    refused = api_as(ana_login).post(
        "/api/v1/staff/pay-rates/",
        {"technician": "ana", "hourly_rate": "99.00", "effective_from": "2026-12-01"},
        format="json",
    )
    created = api_as(boss).post(
        "/api/v1/staff/pay-rates/",
        {"technician": "ana", "hourly_rate": "31.50", "effective_from": "2026-12-01"},
        format="json",
    )
    negative = api_as(boss).post(
        "/api/v1/staff/pay-rates/",
        {"technician": "ana", "hourly_rate": "-1", "effective_from": "2026-12-01"},
        format="json",
    )

    assert refused.status_code == 403
    assert created.status_code == 201
    assert created.json() == {
        "technician": "ana",
        "hourly_rate": "31.50",
        "effective_from": "2026-12-01",
    }
    assert negative.status_code == 400
    assert PayRate.objects.get().hourly_rate == Decimal("31.50")


def test_closing_twice_in_the_service_is_refused(seeded_week, boss):
    period = period_for_day(WEEK, zone())
    close_pay_period(period, actor=None, now=local(2026, 12, 4))
    with pytest.raises(InvalidTransition):
        close_pay_period(period, actor=None, now=local(2026, 12, 4))
