"""The shop pages: products, the pickup list (kept in the session), ordering, My orders
(SPEC §8). The rules are the shop's services; these views parse and show."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coresync.bookings.models import ACTIVE_STATUSES, Booking
from coresync.core.clock import local_date, now
from coresync.core.errors import DomainError
from coresync.memberships.selectors import get_customer_access
from coresync.payments.purchases import collects_online
from coresync.shop.models import ProductCategory
from coresync.shop.selectors import orders_visible_to, products_on_offer
from coresync.shop.services import (
    MAX_QUANTITY,
    PAYABLE_STATUSES,
    OrderItem,
    cancel_order,
    place_order,
)
from coresync.spa.selectors import get_settings
from coresync.web.shop_forms import AddToListForm, PlaceOrderForm

LIST_KEY = "pickup_list"


def _pickup_list(request: HttpRequest) -> dict[str, int]:
    raw = request.session.get(LIST_KEY, {})
    return {str(slug): int(quantity) for slug, quantity in raw.items() if int(quantity) > 0}


def _save_list(request: HttpRequest, items: dict[str, int]) -> None:
    request.session[LIST_KEY] = items


def _is_member(user) -> bool:
    if not user.is_authenticated:
        return False
    spa = get_settings()
    return get_customer_access(user, local_date(now(), spa.zone), spa).is_member


def shop(request: HttpRequest) -> HttpResponse:
    """Products by category, member prices shown (and charged) to members."""
    category = request.GET.get("category", "")
    products = products_on_offer()
    if category in ProductCategory.values:
        products = products.filter(category=category)
    else:
        category = ""
    context = {
        "products": products,
        "categories": ProductCategory.choices,
        "category": category,
        "is_member": _is_member(request.user),
        "list_count": sum(_pickup_list(request).values()),
    }
    return render(request, "web/shop/shop.html", context)


@require_POST
def add_to_list(request: HttpRequest) -> HttpResponse:
    """Put a product on the pickup list (nothing is reserved until the order)."""
    form = AddToListForm(request.POST)
    product = None
    if form.is_valid():
        product = products_on_offer().filter(slug=form.cleaned_data["product"]).first()
    if product is None:
        messages.error(request, _("That product is not on offer."))
        return redirect("web:shop")
    items = _pickup_list(request)
    items[product.slug] = min(
        items.get(product.slug, 0) + form.cleaned_data["quantity"], MAX_QUANTITY
    )
    _save_list(request, items)
    messages.success(request, _("%(product)s is on your pickup list.") % {"product": product.name})
    if request.POST.get("next") == "list":
        return redirect("web:pickup_list")
    return redirect("web:shop")


def _coming_bookings(user) -> list[tuple[Booking, str]]:
    zone = get_settings().zone
    rows = (
        Booking.objects.filter(customer=user, status__in=ACTIVE_STATUSES, end__gt=now())
        .select_related("service")
        .order_by("start")[:10]
    )
    return [
        (row, f"{row.service.name}, {row.start.astimezone(zone):%a %b %-d, %-I:%M %p}")
        for row in rows
    ]


@login_required
def pickup_list(request: HttpRequest) -> HttpResponse:
    """The pickup list: change quantities, remove, and order (paid at pickup, or online
    right after when the customer chooses it and the spa takes payments on the site)."""
    items = _pickup_list(request)
    bookings = _coming_bookings(request.user)
    if request.method == "POST" and request.POST.get("action") == "update":
        for slug in list(items):
            value = request.POST.get(f"quantity-{slug}", "")
            items[slug] = max(0, min(int(value), MAX_QUANTITY)) if value.isdigit() else items[slug]
        _save_list(request, {slug: quantity for slug, quantity in items.items() if quantity})
        return redirect("web:pickup_list")
    form = PlaceOrderForm(
        request.POST or None,
        bookings=bookings,
        online=collects_online(),
        initial={"idempotency_key": uuid.uuid4().hex},
    )
    if request.method == "POST" and request.POST.get("action") == "order":
        placed = _order_from_list(request, form, items)
        if placed is not None:
            return placed
    products = {product.slug: product for product in products_on_offer().filter(slug__in=items)}
    member = _is_member(request.user)
    lines = []
    for slug, quantity in items.items():
        product = products.get(slug)
        if product is None:
            continue
        unit = (
            product.member_price if member and product.member_price is not None else product.price
        )
        lines.append(
            {"product": product, "quantity": quantity, "unit": unit, "total": unit * quantity}
        )
    context = {
        "lines": lines,
        "subtotal": sum((line["total"] for line in lines), 0),
        "form": form,
        "is_member": member,
    }
    return render(request, "web/shop/pickup_list.html", context)


def _order_from_list(
    request: HttpRequest, form: PlaceOrderForm, items: dict[str, int]
) -> HttpResponse | None:
    """Order the pickup list; return the redirect to My orders, or ``None`` to show the
    list again with the error."""
    if not items:
        messages.error(request, _("Your pickup list is empty."))
        return None
    if not form.is_valid():
        return None
    try:
        order = place_order(
            request.user,
            [OrderItem(slug, quantity) for slug, quantity in items.items()],
            pickup_booking=form.cleaned_data["pickup_booking"] or None,
            notes=form.cleaned_data["notes"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return None
    _save_list(request, {})
    if form.cleaned_data.get("payment") == "online":
        return redirect("web:order_pay", reference=order.reference)
    messages.success(
        request,
        _("Order %(reference)s is placed. We will email you when it is ready.")
        % {"reference": order.reference},
    )
    return redirect("web:my_orders")


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    """The customer's orders, newest first, each paid online or at pickup (with a link to
    pay online while it may still be, when the spa takes payments on the site)."""
    orders = orders_visible_to(request.user).filter(customer=request.user)[:50]
    context = {
        "orders": orders,
        "online": collects_online(),
        "payable": PAYABLE_STATUSES,
    }
    return render(request, "web/shop/my_orders.html", context)


@require_POST
@login_required
def cancel_my_order(request: HttpRequest, reference: str) -> HttpResponse:
    order = (
        orders_visible_to(request.user).filter(reference=reference, customer=request.user).first()
    )
    if order is None:
        raise Http404
    try:
        cancel_order(order, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Order %(reference)s is cancelled.") % {"reference": reference})
    return redirect("web:my_orders")
