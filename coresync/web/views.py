"""Site pages. For now the demo's landing page: the spa, its services (no prices, SPEC §1),
the membership plans with prices, and this week's openings of one service."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coresync.catalog.models import ServiceCategory
from coresync.core.clock import local_date, now
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import get_customer_access
from coresync.spa.selectors import get_settings


def home(request: HttpRequest) -> HttpResponse:
    """Render the landing page."""
    spa_settings = get_settings()
    today = local_date(now(), spa_settings.zone)
    categories = ServiceCategory.objects.prefetch_related("services__variants")
    access = get_customer_access(request.user, today, spa_settings)
    context = {
        "spa": spa_settings,
        "categories": categories,
        "plans": MembershipPlan.objects.filter(is_active=True),
        "access": access,
        "today": today,
        "window_end": today + timedelta(days=access.advance_days),
    }
    return render(request, "web/home.html", context)
