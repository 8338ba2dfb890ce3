"""What open pages are told when bookings change (docs/realtime.md).

:func:`on_booking_event` (a subscriber of :mod:`coresync.bookings.events`, in the change's
transaction) has :func:`announce` send, after commit
(:func:`coresync.core.realtime.send_now`):

- ``availability.changed`` ``{date, resources}`` to the viewers of each spa-local day whose
  times changed (both days of a reschedule), ``resources`` the technician and room slugs;
- ``booking.<action>`` ``{reference, status, date, technicians, room}`` to the desk group,
  to each technician's group and to the customer's private group.

Nothing personal travels on the socket: a page that is told something changed fetches its
own fresh HTML, which applies the viewer's permissions.
"""

from datetime import date, datetime
from functools import partial
from typing import Any

from django.db import transaction

from coresync.bookings import events
from coresync.bookings.models import Booking
from coresync.core import realtime
from coresync.core.clock import local_date
from coresync.spa.selectors import get_settings


def _technicians(booking: Booking) -> list[tuple[int, str]]:
    """Return ``(id, slug)`` of the booking's technicians (all of a couples booking), from
    its allocations, active or not (a cancelled booking's are released)."""
    rows = (
        booking.allocations.filter(technician__isnull=False)
        .values_list("technician_id", "technician__slug")
        .distinct()
        .order_by("technician_id")
    )
    technicians = list(rows)
    if not technicians and booking.technician_id is not None:
        technicians = [(booking.technician_id, booking.technician.slug)]
    return technicians


def affected_days(booking: Booking, data: dict[str, Any]) -> list[date]:
    """Return the spa-local days whose free times ``booking``'s change touched, in order:
    its day, and for a reschedule the day it left."""
    zone = get_settings().zone
    days = [local_date(booking.start, zone)]
    previous = (data.get("from") or {}).get("start") if isinstance(data, dict) else None
    if previous:
        old_day = local_date(datetime.fromisoformat(previous), zone)
        if old_day not in days:
            days.insert(0, old_day)
    return days


def on_booking_event(booking: Booking, action: str, data: dict[str, Any]) -> None:
    """Announce one booking change once its transaction commits (nothing is read or sent
    while the booking's locks are held; a rollback announces nothing)."""
    transaction.on_commit(partial(announce, booking.pk, action, dict(data or {})))


def announce(booking_id: int, action: str, data: dict[str, Any]) -> None:
    """Send the live events of a committed booking change (the module docstring lists
    them), reading the booking as committed."""
    booking = Booking.objects.select_related("room", "technician").filter(pk=booking_id).first()
    if booking is None:
        return
    technicians = _technicians(booking)
    resources = [slug for _pk, slug in technicians] + [booking.room.slug]
    days = affected_days(booking, data)
    for day in days:
        realtime.send_now(
            realtime.availability_group(day),
            "availability.changed",
            {"date": day.isoformat(), "resources": resources},
        )
    summary = {
        "reference": booking.reference,
        "status": booking.status,
        "dates": [day.isoformat() for day in days],
        "technicians": [slug for _pk, slug in technicians],
        "room": booking.room.slug,
    }
    realtime.send_now(realtime.DESK_GROUP, action, summary)
    for technician_id, _slug in technicians:
        realtime.send_now(realtime.technician_group(technician_id), action, summary)
    if booking.customer_id is not None:
        realtime.send_now(realtime.user_group(booking.customer_id), action, summary)


def register() -> None:
    """Subscribe :func:`on_booking_event` to booking changes (idempotent)."""
    events.subscribe(on_booking_event)
