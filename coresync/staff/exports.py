"""Payroll exports: CSV (a header line, then one row per technician) and XLSX (XlsxWriter).

Text that a spreadsheet would take for a formula — a cell starting with ``=``, ``+``, ``-`` or
``@`` (a technician named ``=HYPERLINK(…)``) — is written as text: in XLSX as a string cell
(``write_string``, never ``write``, which would store a formula), in CSV with a leading
apostrophe (OWASP "CSV injection"). Numbers are numbers in XLSX (two-decimal format) and
two-decimal strings in CSV. No personal data of guests is exported.
"""

import csv
import io
from decimal import Decimal

import xlsxwriter

from coresync.staff.selectors import PayrollReport, PayrollRow

COLUMNS = (
    ("technician", "Technician"),
    ("name", "Name"),
    ("approved_hours", "Approved hours"),
    ("regular_hours", "Regular hours"),
    ("overtime_hours", "Overtime hours"),
    ("overtime", "Overtime (over 40 h)"),
    ("hourly_rates", "Hourly rate(s)"),
    ("gross_pay", "Gross pay"),
    ("service_count", "Services"),
    ("revenue", "Revenue served"),
    ("pending_entries", "Entries not approved"),
)
"""``(key, title)`` of each column, in order; CSV headers are the keys."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}


def row_values(row: PayrollRow) -> list:
    """Return the cells of one technician's row, in :data:`COLUMNS` order."""
    return [
        row.technician_slug,
        row.technician_name,
        row.approved_hours,
        row.regular_hours,
        row.overtime_hours,
        "yes" if row.overtime else "no",
        row.hourly_rates,
        row.gross_pay,
        row.service_count,
        row.revenue,
        row.pending_entries,
    ]


def safe_text(text: str) -> str:
    """Return ``text`` so that no spreadsheet runs it as a formula (CSV)."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def filename(report: PayrollReport, extension: str) -> str:
    """Return ``payroll-2026-11-26.csv``: the period's first spa-local day."""
    return f"payroll-{report.period.key}.{extension}"


def payroll_csv(report: PayrollReport) -> str:
    """Return the report as CSV: a header line with the column keys, then one line per
    technician (amounts and hours with two decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([key for key, _title in COLUMNS])
    for row in report.rows:
        writer.writerow(
            [
                f"{value:.2f}"
                if isinstance(value, Decimal)
                else safe_text(value)
                if isinstance(value, str)
                else value
                for value in row_values(row)
            ]
        )
    return out.getvalue()


def payroll_xlsx(report: PayrollReport, *, spa_name: str, zone) -> bytes:
    """Return the report as an XLSX workbook: a title, the period in spa time, a header row
    (row 4), one row per technician, then a totals row (hours, pay, services, revenue)."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet("Payroll")
    bold = workbook.add_format({"bold": True})
    number = workbook.add_format({"num_format": "0.00"})
    bold_number = workbook.add_format({"num_format": "0.00", "bold": True})
    start = report.period.starts_at.astimezone(zone)
    end = report.period.ends_at.astimezone(zone)
    sheet.write_string(0, 0, f"{spa_name} payroll", bold)
    state = (
        f"closed {report.closed_at.astimezone(zone):%Y-%m-%d %H:%M}" if report.closed else "open"
    )
    sheet.write_string(1, 0, f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} {zone} · {state}")
    header_row = 3
    for column, (_key, title) in enumerate(COLUMNS):
        sheet.write_string(header_row, column, title, bold)
    for index, row in enumerate(report.rows, start=header_row + 1):
        for column, value in enumerate(row_values(row)):
            if isinstance(value, Decimal):
                sheet.write_number(index, column, float(value), number)
            elif isinstance(value, int):
                sheet.write_number(index, column, value)
            else:
                sheet.write_string(index, column, value)
    totals = header_row + 1 + len(report.rows)
    sheet.write_string(totals, 0, "Total", bold)
    sheet.write_number(totals, 2, float(report.total_hours), bold_number)
    sheet.write_number(totals, 7, float(report.total_pay), bold_number)
    sheet.write_number(totals, 8, report.total_services, bold)
    sheet.write_number(totals, 9, float(report.total_revenue), bold_number)
    sheet.set_column(0, 1, 20)
    sheet.set_column(2, len(COLUMNS) - 1, 14)
    workbook.close()
    return out.getvalue()


def payroll_file(report: PayrollReport, extension: str, *, spa_name: str, zone) -> bytes:
    """Return the report as the bytes of a ``csv`` or ``xlsx`` file (content type:
    :data:`CONTENT_TYPES`)."""
    if extension == "csv":
        return payroll_csv(report).encode()
    return payroll_xlsx(report, spa_name=spa_name, zone=zone)
