"""The manager's dashboard (docs/dashboard.md; SPEC §7): a date range, headline numbers and
one chart per table, each chart with the table of the same numbers under it, and exports.

Managers only (:func:`coresync.web.views.staff.manager_page`). The page and the exports read
one :func:`coresync.dashboard.selectors.dashboard_report`; the chart's data is the table's
rows (``Table.chart_data``) handed to the browser with ``json_script``, so the two cannot
disagree.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import DomainError
from coresync.dashboard.exports import CONTENT_TYPES, bookings_table, table_file
from coresync.dashboard.selectors import GRAINS, dashboard_report
from coresync.spa.selectors import get_settings
from coresync.web.views.staff import manager_page

DEFAULT_DAYS = 30


def _range(request: HttpRequest) -> tuple[date, date, str]:
    """Return ``(date_from, date_to, grain)`` from the query string: the last
    :data:`DEFAULT_DAYS` days up to today by default; a malformed date falls back too."""
    today = local_date(clock_now(), get_settings().zone)
    try:
        date_to = date.fromisoformat(request.GET.get("date_to", ""))
    except ValueError:
        date_to = today
    try:
        date_from = date.fromisoformat(request.GET.get("date_from", ""))
    except ValueError:
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    grain = request.GET.get("grain", "")
    return date_from, date_to, grain if grain in GRAINS else "day"


@manager_page
def dashboard(request: HttpRequest) -> HttpResponse:
    """The numbers of the business for a range."""
    date_from, date_to, grain = _range(request)
    query = urlencode(
        {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "grain": grain}
    )
    context = {"date_from": date_from, "date_to": date_to, "grain": grain, "grains": GRAINS}
    try:
        report = dashboard_report(date_from, date_to, grain)
    except DomainError as error:
        context["error"] = error.message
        return render(request, "web/dashboard/dashboard.html", context, status=400)
    context.update(
        report=report,
        tables=[
            (table, table.chart_data(), f"chart-{table.key}", f"chart-{table.key}-data")
            for table in report.tables.values()
        ],
        query=query,
        export_base=reverse("web:dashboard"),
    )
    return render(request, "web/dashboard/dashboard.html", context)


@manager_page
def export(request: HttpRequest, table: str, extension: str) -> HttpResponse:
    """Download one dashboard table, or ``bookings`` (the range's bookings with their line
    items), as CSV or XLSX."""
    date_from, date_to, grain = _range(request)
    try:
        if table == "bookings":
            chosen = bookings_table(date_from, date_to)
        else:
            chosen = dashboard_report(date_from, date_to, grain).tables.get(table)
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")
    if chosen is None:
        raise Http404
    response = HttpResponse(table_file(chosen, extension), content_type=CONTENT_TYPES[extension])
    name = f"{table}-{date_from.isoformat()}-{date_to.isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
