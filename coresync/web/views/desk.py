"""The desk's pages for pickup orders and concierge requests (front desk and managers): each
row with the next steps it may take (SPEC §8)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coresync.accounts.models import acts_for_every_customer
from coresync.concierge import services as concierge
from coresync.concierge.models import RequestStatus
from coresync.concierge.selectors import requests_visible_to
from coresync.core.clock import now
from coresync.core.errors import DomainError
from coresync.shop import services as shop
from coresync.shop.models import OrderStatus
from coresync.shop.selectors import orders_visible_to

ORDER_STEPS = {
    "process": (shop.process_order, _("Start preparing")),
    "ready": (shop.mark_order_ready, _("Ready for pickup")),
    "complete": (shop.complete_order, _("Picked up")),
    "cancel": (shop.cancel_order, _("Cancel")),
}
NEXT_ORDER_STEPS = {
    OrderStatus.PENDING: ("process", "cancel"),
    OrderStatus.PROCESSING: ("ready", "cancel"),
    OrderStatus.READY: ("complete",),
}
REQUEST_STEPS = {
    "approve": (concierge.approve_request, _("Approve")),
    "start": (concierge.start_request, _("Start finding it")),
    "ready": (concierge.mark_request_ready, _("Ready for pickup")),
    "complete": (concierge.complete_request, _("Picked up")),
}
NEXT_REQUEST_STEPS = {
    RequestStatus.PENDING: ("approve",),
    RequestStatus.APPROVED: ("start",),
    RequestStatus.PROCESSING: ("ready",),
    RequestStatus.READY: ("complete",),
}


def desk_only(view):
    """Front desk and managers only; anyone else gets the sign-in page or a 404."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"/account/login/?next={request.path}")
        if not acts_for_every_customer(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@desk_only
def orders(request: HttpRequest) -> HttpResponse:
    """Open orders first (pending, processing, ready), then the last finished ones."""
    rows = orders_visible_to(request.user)
    open_rows = rows.filter(status__in=NEXT_ORDER_STEPS).order_by("created_at")
    done = rows.exclude(status__in=NEXT_ORDER_STEPS)[:20]
    context = {
        "open_orders": [
            (row, [(s, ORDER_STEPS[s][1]) for s in NEXT_ORDER_STEPS[row.status]])
            for row in open_rows
        ],
        "done_orders": done,
    }
    return render(request, "web/desk/orders.html", context)


@require_POST
@desk_only
def order_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    order = orders_visible_to(request.user).filter(reference=reference).first()
    if order is None or step not in ORDER_STEPS:
        raise Http404
    try:
        ORDER_STEPS[step][0](order, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(reference)s: done.") % {"reference": reference})
    return redirect("web:desk_orders")


@desk_only
def requests(request: HttpRequest) -> HttpResponse:
    """Open requests, overdue ones (past the 24-hour review target) marked and first."""
    instant = now()
    rows = requests_visible_to(request.user)
    open_rows = rows.filter(status__in=NEXT_REQUEST_STEPS).order_by("review_due_at")
    context = {
        "open_requests": [
            (
                row,
                row.status == RequestStatus.PENDING and row.review_due_at < instant,
                [(s, REQUEST_STEPS[s][1]) for s in NEXT_REQUEST_STEPS[row.status]],
            )
            for row in open_rows
        ],
        "done_requests": rows.exclude(status__in=NEXT_REQUEST_STEPS)[:20],
    }
    return render(request, "web/desk/requests.html", context)


@require_POST
@desk_only
def request_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    row = requests_visible_to(request.user).filter(reference=reference).first()
    if row is None or step not in {*REQUEST_STEPS, "decline"}:
        raise Http404
    try:
        if step == "decline":
            concierge.decline_request(
                row, actor=request.user, reason=request.POST.get("reason", "")
            )
        else:
            REQUEST_STEPS[step][0](row, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(reference)s: done.") % {"reference": reference})
    return redirect("web:desk_requests")
