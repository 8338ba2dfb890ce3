"""Reads for the guest's account pages: their bookings with what they may still do, and
their membership with its usage. Rules come from the bookings and memberships apps."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Prefetch

from coresync.bookings.models import ACTIVE_STATUSES, Booking, BookingAddOn, BookingStatus
from coresync.bookings.policy import CancellationPolicy, can_cancel, can_reschedule, policy_for
from coresync.memberships import credits as member_credits
from coresync.memberships.models import Membership, MembershipStatus
from coresync.memberships.selectors import CustomerAccess, open_membership
from coresync.resources.models import WorkingHours
from coresync.scheduling.models import Allocation


@dataclass(frozen=True)
class BookingRow:
    """A booking as the guest sees it in "My bookings"."""

    booking: Booking
    can_cancel: bool
    can_reschedule: bool
    policy: CancellationPolicy
    is_upcoming: bool = False

    @property
    def free_until(self) -> datetime:
        return self.policy.free_until(self.booking.start)

    @property
    def technicians(self) -> list:
        return booking_technicians(self.booking)


def booking_technicians(booking: Booking) -> list:
    """Return the technicians serving ``booking``, by name: those of its allocations (both
    therapists of a couples booking), else its technician, else none (self-guided). Uses
    prefetched ``allocations__technician`` when present; cancelled bookings keep their
    (inactive) allocations, so they still name who was booked. The booking does not record
    which guest has which therapist, so the order is the names'."""
    rows = {
        allocation.technician.pk: allocation.technician
        for allocation in booking.allocations.all()
        if allocation.technician is not None
    }
    if not rows and booking.technician is not None:
        rows = {booking.technician.pk: booking.technician}
    return sorted(rows.values(), key=lambda technician: (technician.name, technician.pk))


def _with_details(bookings):
    return bookings.select_related(
        "service", "technician", "room", "membership__plan"
    ).prefetch_related(
        Prefetch("booking_addons", BookingAddOn.objects.select_related("addon")),
        Prefetch("allocations", Allocation.objects.select_related("technician")),
    )


def with_booking_details(pk: int) -> Booking:
    """Return booking ``pk`` with what its pages show loaded (service, add-ons, therapists)."""
    return _with_details(Booking.objects.filter(pk=pk)).get()


@dataclass(frozen=True)
class CancellationPreview:
    """What cancelling now would cost, before the guest confirms (SPEC §4 policy)."""

    row: BookingRow
    fee: Decimal
    free: bool


@dataclass(frozen=True)
class CustomerBookings:
    """A customer's bookings in the three lists of "My bookings"."""

    upcoming: list[BookingRow]
    past: list[BookingRow]
    cancelled: list[BookingRow]


UNHELD_STATUSES = (BookingStatus.CANCELLED, BookingStatus.EXPIRED)
"""Bookings that never took place because they were called off: listed under "Cancelled"."""


def customer_bookings(user, now: datetime) -> CustomerBookings:
    """Return ``user``'s bookings: upcoming (active, not yet ended; soonest first), past
    (visits that happened or were missed; latest first) and cancelled (cancelled or an
    expired payment hold; latest first)."""
    bookings = _with_details(Booking.objects.filter(customer=user)).order_by("start")
    upcoming, past, cancelled = [], [], []
    for booking in bookings:
        row = booking_row(booking, now)
        if booking.status in UNHELD_STATUSES:
            cancelled.append(row)
        elif booking.status in ACTIVE_STATUSES and booking.end > now:
            upcoming.append(row)
        else:
            past.append(row)
    past.reverse()
    cancelled.reverse()
    return CustomerBookings(upcoming, past, cancelled)


def booking_row(booking: Booking, now: datetime) -> BookingRow:
    """Return ``booking`` with what its customer may still do with it at ``now``."""
    return BookingRow(
        booking=booking,
        can_cancel=can_cancel(booking, now),
        can_reschedule=can_reschedule(booking, now),
        policy=policy_for(booking),
        is_upcoming=booking.status in ACTIVE_STATUSES and booking.end > now,
    )


def customer_booking(user, reference: str) -> Booking | None:
    """Return ``user``'s booking with ``reference`` (``None`` if absent or someone else's)."""
    return _with_details(Booking.objects.filter(customer=user, reference=reference)).first()


def cancellation_preview(booking: Booking, now: datetime) -> CancellationPreview:
    """Return the fee cancelling ``booking`` at ``now`` would record."""
    row = booking_row(booking, now)
    fee = row.policy.cancellation_fee(booking, now)
    return CancellationPreview(row=row, fee=fee, free=fee == 0)


@dataclass(frozen=True)
class MembershipSummary:
    """The guest's membership for the account page."""

    membership: Membership
    credits_included: int
    credits_left: int
    cancelling: bool
    awaiting_payment: bool = False


def membership_summary(
    access: CustomerAccess, today: date, customer=None
) -> MembershipSummary | None:
    """Return the membership to show on the account page: the current one, else (given
    ``customer``) the one waiting for payment at the spa, else ``None``."""
    membership = access.membership
    if membership is None and customer is not None:
        membership = open_membership(customer, today)
    if membership is None:
        return None
    included = membership.plan.included_credits
    return MembershipSummary(
        membership=membership,
        credits_included=included,
        credits_left=member_credits.credits_left(membership),
        cancelling=membership.ends_on is not None and membership.ends_on >= today,
        awaiting_payment=membership.status == MembershipStatus.PENDING,
    )


@dataclass(frozen=True)
class LapsedMembership:
    """A former member's last membership: which plan, and the last day it gave its tier."""

    membership: Membership
    ended_on: date


def lapsed_membership(user, today: date) -> LapsedMembership | None:
    """Return ``user``'s most recent membership that ended before spa-local ``today`` (for a
    customer who has no current one), or ``None`` if they never were a member."""
    memberships = (
        Membership.objects.filter(customer=user, started_on__lte=today)
        .select_related("plan")
        .order_by("-started_on", "-pk")
    )
    for membership in memberships:
        if membership.is_current(today):
            return None
        ended_on = membership.ends_on or membership.current_period_end
        if ended_on is not None and ended_on < today:
            return LapsedMembership(membership, ended_on)
    return None


@dataclass(frozen=True)
class OpeningDay:
    """The spa's opening hours on one weekday: from the first room opening to the last
    closing (``None`` when every room is closed)."""

    weekday: int
    opens: time | None
    closes: time | None


def opening_hours(today: date) -> list[OpeningDay]:
    """Return Monday to Sunday with the spa's hours: the span of its active rooms' opening
    hours valid on spa-local ``today`` (one query)."""
    spans: dict[int, tuple[time, time]] = {}
    rows = WorkingHours.objects.filter(room__is_active=True).values_list(
        "weekday", "start", "end", "valid_from", "valid_until"
    )
    for weekday, start, end, valid_from, valid_until in rows:
        if (valid_from and valid_from > today) or (valid_until and valid_until < today):
            continue
        opens, closes = spans.get(weekday, (start, end))
        spans[weekday] = (min(opens, start), max(closes, end))
    return [OpeningDay(weekday, *spans.get(weekday, (None, None))) for weekday in range(7)]
