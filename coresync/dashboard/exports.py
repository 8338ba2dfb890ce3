"""Dashboard exports (issue 12 item 3): each dashboard table as CSV or XLSX, and the bookings
of a range with their line items.

The cells come from the same :class:`~coresync.dashboard.selectors.Table` the page draws,
so an export says what the page says. Text a spreadsheet would run as a formula is written
as text (:func:`coresync.staff.exports.safe_text` in CSV, ``write_string`` in XLSX); money and
counts are numbers in XLSX and plain strings in CSV.
"""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import xlsxwriter

from coresync.bookings.models import Booking
from coresync.core.clock import local_midnight_utc
from coresync.dashboard.selectors import Table, check_range
from coresync.spa.selectors import get_settings
from coresync.staff.exports import CONTENT_TYPES, safe_text

__all__ = ["CONTENT_TYPES", "bookings_table", "table_file"]

BOOKING_LINE_COLUMNS = (
    ("reference", "Reference"),
    ("start", "Start (spa time)"),
    ("status", "Status"),
    ("customer", "Customer"),
    ("guest", "Guest"),
    ("service", "Service"),
    ("technician", "Technician"),
    ("room", "Room"),
    ("line", "Line"),
    ("label", "Label"),
    ("amount", "Amount"),
)


def bookings_table(date_from: date, date_to: date) -> Table:
    """Return every booking starting on spa-local ``date_from``..``date_to`` (all statuses)
    with one row per stored price line (``price_lines``: service, tier, peak, room, add-ons,
    subtotal, tax, total), ordered by start and reference. One query.

    Raises:
        InvalidInput, RangeTooLong: as :func:`coresync.dashboard.selectors.check_range`.
    """
    check_range(date_from, date_to)
    zone = get_settings().zone
    rows = []
    bookings = (
        Booking.objects.filter(
            start__gte=local_midnight_utc(date_from, zone),
            start__lt=local_midnight_utc(date_to + timedelta(days=1), zone),
        )
        .select_related("customer", "service", "technician", "room")
        .order_by("start", "reference")
    )
    for booking in bookings:
        start = booking.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        for line in booking.price_lines:
            rows.append(
                (
                    booking.reference,
                    start,
                    booking.status,
                    booking.customer.name if booking.customer else "",
                    booking.guest_name,
                    booking.service.name,
                    booking.technician.name if booking.technician else "",
                    booking.room.name,
                    line.get("code", ""),
                    line.get("label", ""),
                    Decimal(line.get("amount", "0")),
                )
            )
    return Table(
        key="bookings",
        title="Bookings with line items",
        columns=BOOKING_LINE_COLUMNS,
        rows=rows,
        chart="",
    )


def table_file(table: Table, extension: str) -> bytes:
    """Return ``table`` as a ``csv`` (UTF-8, a header line of column keys) or ``xlsx`` file
    (a bold title row of column titles, then the rows).

    Raises:
        ValueError: another ``extension``.
    """
    if extension == "csv":
        return _csv(table)
    if extension == "xlsx":
        return _xlsx(table)
    raise ValueError(f"Unknown export format {extension!r}.")


def _csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([key for key, _title in table.columns])
    for row in table.rows:
        writer.writerow(
            [safe_text(value) if isinstance(value, str) else str(value) for value in row]
        )
    return buffer.getvalue().encode("utf-8")


def _xlsx(table: Table) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(table.key[:31])
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "0.00"})
    for column, (_key, title) in enumerate(table.columns):
        sheet.write_string(0, column, title, bold)
    for row_index, row in enumerate(table.rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(row_index, column, float(value), money)
            elif isinstance(value, int):
                sheet.write_number(row_index, column, value)
            else:
                sheet.write_string(row_index, column, str(value))
    workbook.close()
    return buffer.getvalue()
