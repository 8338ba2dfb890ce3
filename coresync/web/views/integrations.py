"""The manager's integration pages (docs/quickbooks.md, docs/google.md): QuickBooks
connection, income-account mapping, receipts and nightly reconciliation; Google calendars
per technician; and the desk's list of bookings whose Google event was changed by hand. (The
pricing sheet's page is :mod:`coresync.spafile.pages`: the site does not import the spa
file.)

Each form calls one service and comes back with a message; OAuth callbacks check the
``state`` kept in the session (CSRF).
"""

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coresync.accounting import connection as quickbooks
from coresync.accounting import mapping, reconciliation
from coresync.accounting import selectors as accounting
from coresync.accounting.errors import AccountingError
from coresync.accounting.models import LedgerReceipt
from coresync.accounting.services import resend
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import DomainError
from coresync.googlesync import calendar as google_calendar
from coresync.googlesync import connect as google
from coresync.googlesync.errors import GoogleError
from coresync.googlesync.models import BookingEvent
from coresync.resources.models import Technician
from coresync.spa.selectors import get_settings
from coresync.web.views.desk import desk_only
from coresync.web.views.staff import manager_page


def _callback_url(request: HttpRequest, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


# -- QuickBooks ------------------------------------------------------------------------------


@manager_page
def accounting_page(request: HttpRequest) -> HttpResponse:
    """Connection, receipts needing attention, the latest reconciliations."""
    context = {
        "section": "accounting",
        "connection": quickbooks.get_connection(),
        "provider": settings.QUICKBOOKS_PROVIDER,
        "counts": accounting.ledger_counts(),
        "attention": accounting.receipts_needing_attention(),
        "runs": accounting.latest_runs(),
        "yesterday": local_date(clock_now(), get_settings().zone) - timedelta(days=1),
    }
    return render(request, "web/integrations/accounting.html", context)


@manager_page
def quickbooks_connect(request: HttpRequest) -> HttpResponse:
    """Send the manager to Intuit's consent page."""
    state = secrets.token_urlsafe(24)
    request.session["quickbooks_state"] = state
    try:
        url = quickbooks.authorization_url(_callback_url(request, "web:quickbooks_callback"), state)
    except Exception:  # noqa: BLE001 - Intuit's discovery document unreachable or misconfigured
        messages.error(request, _("QuickBooks cannot be reached; try again later."))
        return redirect("web:accounting")
    return redirect(url)


@manager_page
def quickbooks_callback(request: HttpRequest) -> HttpResponse:
    """Intuit's redirect after consent: check the state, store the tokens."""
    state = request.session.pop("quickbooks_state", None)
    if not state or request.GET.get("state") != state:
        messages.error(request, _("The QuickBooks answer did not match this session."))
        return redirect("web:accounting")
    try:
        quickbooks.complete_authorization(
            request.GET.get("code", ""),
            request.GET.get("realmId", ""),
            _callback_url(request, "web:quickbooks_callback"),
        )
    except AccountingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("QuickBooks is connected."))
    return redirect("web:accounting")


@manager_page
@require_POST
def quickbooks_disconnect(request: HttpRequest) -> HttpResponse:
    quickbooks.disconnect()
    messages.success(request, _("QuickBooks is disconnected; the receipts ledger is kept."))
    return redirect("web:accounting")


@manager_page
@require_POST
def receipt_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a refused receipt again (after fixing the mapping)."""
    resend(get_object_or_404(LedgerReceipt, pk=pk))
    messages.success(request, _("The receipt is queued again."))
    return redirect("web:accounting")


@manager_page
@require_POST
def reconcile_now(request: HttpRequest) -> HttpResponse:
    """Reconcile the day given in the form (yesterday by default) now."""
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        day = local_date(clock_now(), get_settings().zone) - timedelta(days=1)
    run = reconciliation.reconcile_day(day)
    messages.success(
        request,
        _("Reconciliation of %(day)s: %(count)s difference(s).")
        % {"day": day.isoformat(), "count": run.mismatches.count()},
    )
    return redirect("web:accounting")


@manager_page
def account_mapping(request: HttpRequest) -> HttpResponse:
    """Which QuickBooks income account (and item) each category sells to."""
    rows = mapping.mapping_rows()
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            row.category: {
                name: request.POST.get(f"{name}:{row.category}", "")
                for name in ("account_id", "account_name", "item_id")
            }
            for row in rows
        }
        try:
            mapping.save_mappings(values)
        except DomainError as error:
            messages.error(request, error.message)
            errors = getattr(error, "fields", None) or {}
        else:
            messages.success(request, _("Account mapping saved."))
            return redirect("web:account_mapping")
    context = {"section": "accounting", "rows": rows, "errors": errors}
    return render(request, "web/integrations/mapping.html", context)


# -- Google calendars ------------------------------------------------------------------------


@manager_page
def google_page(request: HttpRequest) -> HttpResponse:
    """Each technician's calendar link, and the form to link one."""
    technicians = Technician.objects.filter(is_active=True).select_related("google_calendar")
    context = {
        "section": "google",
        "technicians": technicians,
        "provider": settings.GOOGLE_PROVIDER,
        "oauth_ready": bool(settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET),
        "service_account_ready": bool(settings.GOOGLE_SERVICE_ACCOUNT_FILE),
        "push": bool(settings.GOOGLE_PUSH_BASE_URL),
    }
    return render(request, "web/integrations/google.html", context)


@manager_page
def google_connect(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the manager (or the technician, on the manager's device) to Google's consent."""
    technician = get_object_or_404(Technician, slug=slug)
    state = secrets.token_urlsafe(24)
    request.session["google_state"] = {"state": state, "technician": technician.slug}
    try:
        url = google.authorization_url(_callback_url(request, "web:google_callback"), state)
    except GoogleError as error:
        messages.error(request, str(error))
        return redirect("web:google")
    return redirect(url)


@manager_page
def google_callback(request: HttpRequest) -> HttpResponse:
    kept = request.session.pop("google_state", None) or {}
    if not kept or request.GET.get("state") != kept.get("state"):
        messages.error(request, _("The Google answer did not match this session."))
        return redirect("web:google")
    technician = get_object_or_404(Technician, slug=kept["technician"])
    try:
        google.complete_authorization(
            technician, request.GET.get("code", ""), _callback_url(request, "web:google_callback")
        )
    except GoogleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s's calendar is linked.") % {"name": technician.name})
    return redirect("web:google")


@manager_page
@require_POST
def google_link_service_account(request: HttpRequest) -> HttpResponse:
    technician = get_object_or_404(Technician, slug=request.POST.get("technician", ""))
    address = request.POST.get("calendar", "").strip()
    if "@" not in address:
        messages.error(request, _("Give the technician's Google Workspace address."))
    else:
        google.link_service_account(technician, address)
        messages.success(request, _("%(name)s's calendar is linked.") % {"name": technician.name})
    return redirect("web:google")


@manager_page
@require_POST
def google_unlink(request: HttpRequest, slug: str) -> HttpResponse:
    google.unlink(get_object_or_404(Technician, slug=slug))
    messages.success(request, _("Calendar unlinked; its busy times no longer count."))
    return redirect("web:google")


@csrf_exempt
@require_POST
def google_notify(request: HttpRequest) -> HttpResponse:
    """A Google push notification: queue a pull of the calendar if the channel is ours."""
    link = google.calendar_to_pull(
        request.headers.get("X-Goog-Channel-ID", ""),
        request.headers.get("X-Goog-Channel-Token", ""),
    )
    if link is None:
        raise Http404
    if request.headers.get("X-Goog-Resource-State") != "sync":
        google_calendar.enqueue_pull(link)
    return HttpResponse(status=204)


@desk_only
def calendar_flags(request: HttpRequest) -> HttpResponse:
    """Bookings whose Google event was moved or deleted by hand (CoreSync wins)."""
    if request.method == "POST":
        event = get_object_or_404(BookingEvent, pk=request.POST.get("event", 0))
        google_calendar.dismiss_flag(event)
        messages.success(request, _("The booking's event is written to Google again."))
        return redirect("web:desk_calendar_flags")
    return render(
        request,
        "web/integrations/calendar_flags.html",
        {"events": google_calendar.flagged_events()},
    )
