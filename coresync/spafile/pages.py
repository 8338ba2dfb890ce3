"""The manager's pricing-sheet page (docs/google.md, "Pricing sheet"): download the pricing
tables as XLSX, upload an edited workbook, write them to / import them from the Google
Sheet. Its template lives with the site's (``web/integrations/pricing.html``) so its text is
in the site's catalog; outcomes are passed to it as codes, not sentences."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from coresync.googlesync.errors import GoogleError
from coresync.spafile import pricing
from coresync.spafile.schema import SpaFileError
from coresync.staff.selectors import is_manager

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
DONE = {"upload": "imported", "google_export": "exported", "google_import": "imported_google"}


def _manager_only(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_manager(request.user):
            return render(request, "web/staff/forbidden.html", {}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


@_manager_only
def pricing_page(request: HttpRequest) -> HttpResponse:
    """Show the page; on POST run one action (``upload``, ``google_export``,
    ``google_import``) and come back with its outcome or the sheet's problems."""
    context = {
        "section": "pricing",
        "problems": [],
        "google_error": "",
        "done": request.GET.get("done", ""),
        "sheet_id": settings.GOOGLE_PRICING_SHEET_ID,
        "cache_seconds": settings.PRICING_SHEET_CACHE_SECONDS,
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "upload":
                upload = request.FILES.get("sheet")
                if upload is None or upload.size > MAX_UPLOAD_BYTES:
                    context["done"] = "no_file"
                    return render(request, "web/integrations/pricing.html", context, status=400)
                tabs = pricing.read_xlsx(upload.read())
                pricing.import_pricing_tabs(tabs, filename=upload.name or "prices.xlsx")
            elif action == "google_export":
                pricing.export_to_google()
            elif action == "google_import":
                pricing.import_from_google(force=True)
            else:
                return redirect("spafile:pricing")
            return redirect(f"{request.path}?done={DONE[action]}")
        except SpaFileError as error:
            context["problems"] = error.messages
        except GoogleError as error:
            context["google_error"] = str(error)
        return render(request, "web/integrations/pricing.html", context, status=400)
    return render(request, "web/integrations/pricing.html", context)


@_manager_only
def pricing_export(request: HttpRequest) -> HttpResponse:
    """The pricing tables as an XLSX download."""
    response = HttpResponse(
        pricing.write_xlsx(pricing.export_pricing_tabs()), content_type=pricing.XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = 'attachment; filename="coresync-prices.xlsx"'
    return response
