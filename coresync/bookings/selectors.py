"""Reads of bookings: who may see which booking (SPEC §2 "permissions by role and by
ownership"), used by the API, the staff schedule and every later channel."""

from django.db.models import Prefetch, Q, QuerySet

from coresync.accounts.models import Role, acts_for_every_customer
from coresync.bookings.models import Booking, BookingAddOn
from coresync.scheduling.models import Allocation


def bookings_visible_to(user) -> QuerySet[Booking]:
    """Return the bookings ``user`` may see, with what a booking's page shows prefetched:
    front desk and managers all, a technician those assigned to them (first or second
    therapist), a customer their own; anonymous nobody's."""
    bookings = Booking.objects.select_related("service", "technician", "room", "customer")
    bookings = bookings.prefetch_related(
        Prefetch("allocations", Allocation.objects.select_related("technician")),
        Prefetch("booking_addons", BookingAddOn.objects.select_related("addon")),
    )
    if user is None or not getattr(user, "is_authenticated", False):
        return bookings.none()
    if acts_for_every_customer(user):
        return bookings
    if user.role == Role.TECHNICIAN:
        technician = getattr(user, "technician", None)
        if technician is None:
            return bookings.none()
        return bookings.filter(
            Q(technician=technician) | Q(allocations__technician=technician)
        ).distinct()
    return bookings.filter(customer=user)


def reassignment_cause(booking: Booking) -> str:
    """Why a ``needs_reassignment`` booking waits: ``"room"`` when only its room is closed
    for maintenance, else ``"technician"`` (a technician is away); from the latest
    ``booking.needs_reassignment`` history entry. One query; ``""`` for any other status."""
    if booking.status != "needs_reassignment":
        return ""
    data = (
        booking.history.filter(action="booking.needs_reassignment")
        .order_by("-pk")
        .values_list("data", flat=True)
        .first()
    ) or {}
    if data.get("closed_rooms") and not data.get("absent_technicians"):
        return "room"
    return "technician"
