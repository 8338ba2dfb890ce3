"""Paying on the site with Stripe's Payment Element (docs/payments.md "Paying on the site"):
a booking waiting for its payment, the first month of a membership, a gift card, a package
of services, a pickup order.

Stripe.js, from Stripe's own host, is the one script the site loads from elsewhere (Stripe
requires it for PCI SAQ A); the Content-Security-Policy admits it on these pages only, and
only when ``PAYMENT_PROVIDER`` is ``stripe``. Everything else stays vendored.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coresync.bookings.models import BookingStatus
from coresync.core.errors import DomainError, InvalidInput
from coresync.giftcards.models import GiftCard, Package, PackagePurchase
from coresync.giftcards.selectors import packages_on_sale
from coresync.memberships.models import Membership, MembershipStatus
from coresync.notifications.content import absolute_url
from coresync.payments.giftcards import buy_package, sell_gift_card
from coresync.payments.memberships import first_payment
from coresync.payments.models import BOOKING_PAYMENT_KINDS, Payment
from coresync.payments.online import (
    open_payment,
    pay_with_card_on_file,
    payment_page,
    record_saved_card,
    sync_payment,
)
from coresync.payments.purchases import purchase_payment
from coresync.payments.services import create_setup_intent
from coresync.shop.models import Order
from coresync.shop.services import PURCHASE_KIND, start_order_payment
from coresync.web.forms import GiftCardForm
from coresync.web.selectors import customer_booking

STRIPE_CSP = {
    "script-src": ["https://js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}
"""What Stripe.js and the Payment Element need (Stripe's documented CSP), added to the
site's policy on the payment pages only."""


def allow_stripe_js(response: HttpResponse) -> HttpResponse:
    """Admit Stripe.js on this response when the provider is Stripe."""
    if settings.PAYMENT_PROVIDER == "stripe":
        response._csp_update = STRIPE_CSP
    return response


def booking_payment(booking) -> Payment | None:
    """The booking's payment the customer may still make on the page, if any."""
    payment = (
        Payment.objects.filter(booking=booking, kind__in=BOOKING_PAYMENT_KINDS)
        .order_by("-pk")
        .first()
    )
    return open_payment(payment) if payment else None


def _render_pay(request, page, *, what: str, action: str, return_url: str, extra=None):
    context = {
        "page": page,
        "what": what,
        "action": action,
        "return_url": return_url,
        **(extra or {}),
    }
    return allow_stripe_js(render(request, "web/pay.html", context))


def _one_tap(request, payment, page, *, done: str, **render_args) -> HttpResponse:
    try:
        outcome = pay_with_card_on_file(payment, return_url=render_args["return_url"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(request.path)
    if outcome.status == "succeeded":
        return redirect(done)
    if outcome.status == "requires_action":
        return _render_pay(request, page, **render_args, extra={"next_action": True})
    messages.error(request, outcome.message)
    return redirect(request.path)


@require_http_methods(["GET", "POST"])
@login_required
def book_pay(request: HttpRequest, reference: str) -> HttpResponse:
    """Pay for a booking that holds its slot: the Payment Element, or (POST) one tap with
    the card on file. Paid, expired or paid at the spa: the booking's page."""
    booking = customer_booking(request.user, reference)
    if booking is None:
        raise Http404("No such booking.")
    done = reverse("web:book_done", args=[booking.reference])
    payment = booking_payment(booking) if booking.status == BookingStatus.PENDING else None
    if payment is None:
        return redirect(done)
    try:
        page = payment_page(payment)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(done)
    args = {
        "what": _("%(service)s, booking %(reference)s")
        % {"service": booking.service.name, "reference": booking.reference},
        "action": request.path,
        "return_url": absolute_url(done),
    }
    if request.method == "POST":
        return _one_tap(request, payment, page, done=done, **args)
    return _render_pay(request, page, **args, extra={"booking": booking})


def _first_payment(user) -> tuple[Membership | None, Payment | None]:
    membership = (
        Membership.objects.filter(customer=user, status=MembershipStatus.PENDING)
        .select_related("plan")
        .order_by("-created_at")
        .first()
    )
    if membership is None:
        return None, None
    payment = first_payment(membership)
    return membership, open_payment(payment) if payment else None


@require_http_methods(["GET", "POST"])
@login_required
def membership_pay(request: HttpRequest) -> HttpResponse:
    """Pay the first month of the membership just chosen (Payment Element, or one tap with
    the card on file); the card is kept for the monthly renewals."""
    membership, payment = _first_payment(request.user)
    done = reverse("web:membership_paid")
    if payment is None:
        return redirect("web:account")
    try:
        page = payment_page(payment)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:account")
    args = {
        "what": _("%(plan)s membership, first month") % {"plan": membership.plan.name},
        "action": request.path,
        "return_url": absolute_url(done),
    }
    if request.method == "POST":
        return _one_tap(request, payment, page, done=done, **args)
    return _render_pay(request, page, **args, extra={"membership": membership})


@login_required
def membership_paid(request: HttpRequest) -> HttpResponse:
    """Back from the payment page: bring the payment up to date (the webhook may still be on
    its way) and say where the membership stands."""
    membership = Membership.objects.filter(customer=request.user).order_by("-created_at").first()
    payment = first_payment(membership) if membership else None
    if payment is not None:
        sync_payment(payment)
        membership.refresh_from_db()
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        messages.success(
            request,
            _(
                "Welcome: your %(plan)s membership is active. Your card is kept for the "
                "monthly renewal."
            )
            % {"plan": membership.plan.name},
        )
    else:
        messages.info(request, _("We are waiting for your payment to complete."))
    return redirect("web:account")


@login_required
def card(request: HttpRequest) -> HttpResponse:
    """Save a card on file (after a declined renewal, or before an upgrade): the Payment
    Element in setup mode (``stripe.confirmSetup``); the card becomes the one charged for
    renewals, fees and one-tap payments."""
    try:
        setup = create_setup_intent(request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:account")
    context = {
        "setup": setup,
        "return_url": absolute_url(reverse("web:card_saved")),
    }
    return allow_stripe_js(render(request, "web/card.html", context))


@login_required
def card_saved(request: HttpRequest) -> HttpResponse:
    """Back from saving a card: make it the card on file now (the webhook may be later)."""
    if record_saved_card(request.user, request.GET.get("setup_intent", "")):
        messages.success(request, _("Your card is saved: we use it for your next payments."))
    else:
        messages.info(request, _("We are waiting for your card to be confirmed."))
    return redirect("web:account")


@require_http_methods(["GET", "POST"])
@login_required
def gift_card(request: HttpRequest) -> HttpResponse:
    """Buy a gift card: the form, then its payment (the Payment Element; paying at the spa,
    the desk takes it). It is emailed to the recipient on its day once paid."""
    form = GiftCardForm(request.POST or None, initial={"sender_name": request.user.name})
    if request.method == "POST" and form.is_valid():
        try:
            card, start = sell_gift_card(request.user, **form.cleaned_data)
        except InvalidInput as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            if start.client_secret:
                return redirect("web:gift_card_pay", card_id=card.uuid)
            messages.success(
                request,
                _(
                    "Your gift card is reserved: pay %(amount)s at the spa and we email it "
                    "to %(email)s."
                )
                % {"amount": f"${card.amount:,.2f}", "email": card.recipient_email},
            )
            return redirect("web:account")
    return render(request, "web/gift_card.html", {"form": form})


def _gift_card_payment(user, card_id) -> Payment | None:
    card = GiftCard.objects.filter(uuid=card_id, purchaser=user).first()
    if card is None:
        raise Http404("No such gift card.")
    return card, purchase_payment("gift_card", card.pk)


@require_http_methods(["GET", "POST"])
@login_required
def gift_card_pay(request: HttpRequest, card_id) -> HttpResponse:
    """Pay for a gift card just bought (Payment Element, or one tap)."""
    card, payment = _gift_card_payment(request.user, card_id)
    return _pay_purchase(
        request,
        payment,
        done=reverse("web:gift_card_paid", args=[card.uuid]),
        what=_("Gift card for %(who)s") % {"who": card.recipient_name or card.recipient_email},
    )


def _pay_purchase(request: HttpRequest, payment: Payment | None, *, done: str, what: str):
    """The payment page of a purchase (gift card, package, order): the Payment Element, or
    one tap with the card on file; straight to ``done`` when there is nothing left to pay."""
    if payment is None or open_payment(payment) is None:
        return redirect(done)
    try:
        page = payment_page(payment)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:account")
    args = {"what": what, "action": request.path, "return_url": absolute_url(done)}
    if request.method == "POST":
        return _one_tap(request, payment, page, done=done, **args)
    return _render_pay(request, page, **args)


@login_required
def gift_card_paid(request: HttpRequest, card_id) -> HttpResponse:
    """Back from paying a gift card: record it (the webhook may be later) and say when it
    is emailed."""
    card, payment = _gift_card_payment(request.user, card_id)
    if payment is not None:
        sync_payment(payment)
    card.refresh_from_db()
    if card.status == "active":
        messages.success(
            request,
            _("Thank you! The gift card goes to %(email)s on %(day)s.")
            % {
                "email": card.recipient_email,
                "day": formats.date_format(card.deliver_on, "F j, Y"),
            },
        )
    else:
        messages.info(request, _("We are waiting for your payment to complete."))
    return redirect("web:account")


def _own_order(user, reference: str) -> Order:
    order = Order.objects.filter(reference=reference, customer=user).first()
    if order is None:
        raise Http404("No such order.")
    return order


@require_http_methods(["GET", "POST"])
@login_required
def order_pay(request: HttpRequest, reference: str) -> HttpResponse:
    """Pay a pickup order online (the Payment Element, or one tap with the card on file);
    the desk then collects nothing at pickup."""
    order = _own_order(request.user, reference)
    done = reverse("web:order_paid", args=[order.reference])
    try:
        payment, _start = start_order_payment(order, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:my_orders")
    what = _("Order %(reference)s") % {"reference": order.reference}
    return _pay_purchase(request, payment, done=done, what=what)


@login_required
def order_paid(request: HttpRequest, reference: str) -> HttpResponse:
    """Back from paying an order: record the payment (the webhook may come later) and say
    so on My orders."""
    order = _own_order(request.user, reference)
    payment = purchase_payment(PURCHASE_KIND, order.pk)
    if payment is not None:
        sync_payment(payment)
    order.refresh_from_db()
    if order.is_paid:
        messages.success(
            request,
            _("Thank you! Order %(reference)s is paid. We will email you when it is ready.")
            % {"reference": order.reference},
        )
    else:
        messages.info(
            request,
            _("Order %(reference)s is placed; we are waiting for your payment to complete.")
            % {"reference": order.reference},
        )
    return redirect("web:my_orders")


@require_http_methods(["GET", "POST"])
def packages(request: HttpRequest) -> HttpResponse:
    """Packages of services on sale (anyone) and buying one (signed in): then its payment
    (the Payment Element; paying at the spa, the desk takes it). The sessions are usable
    once it is paid."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        package = Package.objects.filter(slug=request.POST.get("package", ""), is_active=True)
        if not package.exists():
            raise Http404("No such package.")
        try:
            purchase, start = buy_package(request.user, package.get())
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("web:packages")
        if start.client_secret:
            return redirect("web:package_pay", purchase_id=purchase.uuid)
        messages.success(
            request,
            _("%(name)s is reserved for you: pay %(amount)s at the spa and its sessions are yours.")
            % {"name": purchase.package.name, "amount": f"${purchase.price:,.2f}"},
        )
        return redirect("web:account")
    return render(request, "web/packages.html", {"offers": packages_on_sale()})


def _package_payment(user, purchase_id) -> tuple[PackagePurchase, Payment | None]:
    purchase = (
        PackagePurchase.objects.filter(uuid=purchase_id, customer=user)
        .select_related("package")
        .first()
    )
    if purchase is None:
        raise Http404("No such package.")
    return purchase, purchase_payment("package", purchase.pk)


@require_http_methods(["GET", "POST"])
@login_required
def package_pay(request: HttpRequest, purchase_id) -> HttpResponse:
    """Pay for a package just bought (Payment Element, or one tap)."""
    purchase, payment = _package_payment(request.user, purchase_id)
    done = reverse("web:package_paid", args=[purchase.uuid])
    return _pay_purchase(request, payment, done=done, what=purchase.package.name)


@login_required
def package_paid(request: HttpRequest, purchase_id) -> HttpResponse:
    """Back from paying a package: record it (the webhook may be later) and say until when
    its sessions can be used."""
    purchase, payment = _package_payment(request.user, purchase_id)
    if payment is not None:
        sync_payment(payment)
    purchase.refresh_from_db()
    if purchase.status == "active":
        messages.success(
            request,
            _("Thank you! %(name)s is yours: %(sessions)s sessions, until %(day)s.")
            % {
                "name": purchase.package.name,
                "sessions": purchase.sessions_left,
                "day": formats.date_format(purchase.expires_on, "F j, Y"),
            },
        )
    else:
        messages.info(request, _("We are waiting for your payment to complete."))
    return redirect("web:account")
