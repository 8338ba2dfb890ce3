"""Marketing and information pages: home, the two spaces, services, technologies,
membership, contact and legal. No service prices here (SPEC §1); membership prices are shown."""

from datetime import date, timedelta

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats

from coresync.bookings.policy import policy_for_plan
from coresync.catalog.models import RoomType, Service, ServiceCategory
from coresync.core.clock import local_date, now
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import get_customer_access
from coresync.resources.models import Room
from coresync.spa.selectors import get_settings
from coresync.web.selectors import opening_hours
from coresync.web.views.assistant import chat_section


def _active_services():
    return Service.objects.filter(is_active=True).prefetch_related("variants")


def _categories():
    categories = ServiceCategory.objects.prefetch_related(
        Prefetch("services", queryset=_active_services(), to_attr="active_services")
    )
    return [category for category in categories if category.active_services]


def _plans():
    return list(MembershipPlan.objects.filter(is_active=True).order_by("monthly_price"))


def _access(request: HttpRequest):
    spa = get_settings()
    today = local_date(now(), spa.zone)
    return get_customer_access(request.user, today, spa), today


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: hero, the two spaces, services (no prices), membership teaser."""
    access, today = _access(request)
    context = {
        "categories": _categories(),
        "plans": _plans(),
        "access": access,
        "window_end": today + timedelta(days=access.advance_days),
        **chat_section(request, _active_services()),
    }
    return render(request, "web/pages/home.html", context)


def _services_in(room_type: str, *, min_guests: int = 1):
    return [
        service
        for service in _active_services().select_related("category")
        if room_type in (service.room_types or []) and service.max_guests >= min_guests
    ]


def mens_suite(request: HttpRequest) -> HttpResponse:
    """The men's suite: its rooms' features and the services offered there."""
    context = {
        "rooms": Room.objects.filter(is_active=True, room_type=RoomType.MENSUITE),
        "services": _services_in(RoomType.MENSUITE),
    }
    context.update(chat_section(request, context["services"]))
    return render(request, "web/pages/mens_suite.html", context)


def private_spa(request: HttpRequest) -> HttpResponse:
    """The private couples spa: the suite for two and the services for two guests."""
    services = _services_in(RoomType.PRIVATE, min_guests=2)
    context = {
        "rooms": Room.objects.filter(is_active=True, room_type=RoomType.PRIVATE, capacity__gte=2),
        "services": services,
        "couples_service": services[0] if services else None,
        **chat_section(request, services),
    }
    return render(request, "web/pages/private_spa.html", context)


def services(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/services.html", {"categories": _categories()})


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = _active_services().select_related("category").filter(slug=slug).first()
    if service is None:
        raise Http404("No such service.")
    context = {"service": service, "addons": service.addons.filter(is_active=True)}
    return render(request, "web/pages/service_detail.html", context)


def technologies(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/technologies.html")


def membership(request: HttpRequest) -> HttpResponse:
    """The tier comparison with prices and benefits, and joining."""
    access, today = _access(request)
    context = {
        "plan_policies": [(plan, policy_for_plan(plan)) for plan in _plans()],
        "access": access,
        "window_end": today + timedelta(days=access.advance_days),
    }
    return render(request, "web/pages/membership.html", context)


def contact(request: HttpRequest) -> HttpResponse:
    """Address, phone, email, opening hours, directions and parking."""
    _access_now, today = _access(request)
    monday = date(2026, 11, 2)  # a Monday: its week gives the weekday names, translated
    hours = [
        (formats.date_format(monday + timedelta(days=day.weekday), "l"), day)
        for day in opening_hours(today)
    ]
    return render(request, "web/pages/contact.html", {"opening_hours": hours})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/privacy.html")


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "web/pages/terms.html")


def cancellation_policy(request: HttpRequest) -> HttpResponse:
    """The refund and cancellation policy with the spa's real values and each plan's own."""
    return render(request, "web/pages/cancellation.html", {"plans": _plans()})
