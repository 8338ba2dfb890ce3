"""Availability and month-calendar endpoints (public; the caller's tier if signed in)."""

import orjson
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from coresync.core.api.renderers import ORJSONRenderer
from coresync.core.clock import local_date, now
from coresync.memberships.selectors import get_customer_access
from coresync.scheduling.api.serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    CalendarQuerySerializer,
    CalendarSerializer,
)
from coresync.scheduling.selectors import (
    OfferRow,
    build_availability_request,
    list_availability,
    month_calendar,
)
from coresync.spa.selectors import get_settings


class AnonymousAvailabilityThrottle(AnonRateThrottle):
    """120 requests a minute per IP for anonymous callers."""

    scope = "anon_availability"


def _caller_access(request, instant, spa_settings=None):
    spa_settings = spa_settings or get_settings()
    return get_customer_access(request.user, local_date(instant, spa_settings.zone), spa_settings)


class AvailabilityView(APIView):
    """Bookable start times for a service over a date range, for the caller's tier."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonymousAvailabilityThrottle]

    @extend_schema(
        parameters=[AvailabilityQuerySerializer],
        responses=AvailabilitySerializer,
    )
    def get(self, request):
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        instant = now()
        spa_settings = get_settings()  # read once for the whole request
        listing = list_availability(
            service_slug=params["service"],
            date_from=params["date_from"],
            date_to=params["date_to"],
            duration=params.get("duration"),
            addon_slugs=params["addons"],
            guests=params["guests"],
            technician_slug=params.get("technician") or None,
            room_slug=params.get("room") or None,
            room_type=params.get("room_type") or None,
            access=_caller_access(request, instant, spa_settings),
            now=instant,
            spa_settings=spa_settings,
            render_slot=_render_slot,
        )
        header = {
            "timezone": str(spa_settings.zone),
            "service": listing.service_slug,
            "duration": listing.minutes,
        }
        return _json_with_slots(request, header, listing.rendered)


def _slot_json(row: OfferRow) -> dict:
    """One slot of ``GET availability/`` (the shape of :class:`SlotSerializer`)."""
    return {
        "start": row.start,
        "end": row.end,
        "technician": row.technician_slugs[0] if row.technician_slugs else None,
        "technicians": list(row.technician_slugs),
        "room": row.room_slug,
        "price": row.price,
        "member_only": row.member_only,
    }


def _render_slot(row: OfferRow) -> bytes:
    """Render one slot as the API's renderer would (cached with the day it belongs to)."""
    return ORJSONRenderer().render(_slot_json(row))


def _json_with_slots(request, header: dict, rendered_slots: list[bytes]) -> HttpResponseBase:
    """Answer ``header`` plus ``"slots"``: the slots rendered already, joined as bytes, which
    is what the renderer would write for the whole document (compact, same key order). A
    client asking for an indented document gets it rendered in full instead."""
    if ORJSONRenderer().get_indent(request.accepted_media_type, {}) is not None:
        slots = [orjson.loads(slot) for slot in rendered_slots]
        return Response({**header, "slots": slots})
    body = ORJSONRenderer().render(header)[:-1] + b',"slots":[' + b",".join(rendered_slots) + b"]}"
    return HttpResponse(body, content_type="application/json")


class CalendarView(APIView):
    """Each day of a month: available, members_only or unavailable, for the caller."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonymousAvailabilityThrottle]

    @extend_schema(
        parameters=[
            CalendarQuerySerializer,
            OpenApiParameter("month", str, description="YYYY-MM", required=True),
        ],
        responses=CalendarSerializer,
    )
    def get(self, request):
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        year, month = (int(part) for part in params["month"].split("-"))
        availability_request = build_availability_request(
            service_slug=params["service"],
            date_from=local_date(now(), get_settings().zone),
            date_to=local_date(now(), get_settings().zone),
            duration=params.get("duration"),
            addon_slugs=params["addons"],
            guests=params["guests"],
            technician_slug=params.get("technician") or None,
            room_type=params.get("room_type") or None,
        )
        instant = now()
        access = _caller_access(request, instant)
        days = month_calendar(availability_request, year, month, access, now=instant)
        return Response(
            {
                "timezone": str(get_settings().zone),
                "month": params["month"],
                "service": availability_request.service.slug,
                "tier": access.tier,
                "days": [
                    {
                        "date": day.date.isoformat(),
                        "state": day.state,
                        "bookable": day.bookable,
                        "today": day.is_today,
                        "slots": day.slots,
                    }
                    for day in days
                ],
            }
        )
