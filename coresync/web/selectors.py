"""Reads for the guest's account pages: their bookings with what they may still do, and
their membership with its usage. Rules come from the bookings and memberships apps."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch

from coresync.bookings.models import ACTIVE_STATUSES, Booking, BookingAddOn
from coresync.bookings.policy import CancellationPolicy, can_cancel, can_reschedule, policy_for
from coresync.memberships.models import Membership, MembershipStatus
from coresync.memberships.selectors import CustomerAccess, open_membership


@dataclass(frozen=True)
class BookingRow:
    """A booking as the guest sees it in "My bookings"."""

    booking: Booking
    can_cancel: bool
    can_reschedule: bool
    policy: CancellationPolicy

    @property
    def free_until(self) -> datetime:
        return self.policy.free_until(self.booking.start)


@dataclass(frozen=True)
class CancellationPreview:
    """What cancelling now would cost, before the guest confirms (SPEC §4 policy)."""

    row: BookingRow
    fee: Decimal
    free: bool


def customer_bookings(user, now: datetime) -> tuple[list[BookingRow], list[BookingRow]]:
    """Return ``(upcoming, past)`` bookings of ``user``: upcoming are active and not yet
    ended (soonest first); past are the rest (latest first)."""
    bookings = (
        Booking.objects.filter(customer=user)
        .select_related("service", "technician", "room", "membership__plan")
        .prefetch_related(Prefetch("booking_addons", BookingAddOn.objects.select_related("addon")))
        .order_by("start")
    )
    upcoming, past = [], []
    for booking in bookings:
        row = booking_row(booking, now)
        if booking.status in ACTIVE_STATUSES and booking.end > now:
            upcoming.append(row)
        else:
            past.append(row)
    past.reverse()
    return upcoming, past


def booking_row(booking: Booking, now: datetime) -> BookingRow:
    return BookingRow(
        booking=booking,
        can_cancel=can_cancel(booking, now),
        can_reschedule=can_reschedule(booking, now),
        policy=policy_for(booking),
    )


def customer_booking(user, reference: str) -> Booking | None:
    """Return ``user``'s booking with ``reference`` (``None`` if absent or someone else's)."""
    return (
        Booking.objects.filter(customer=user, reference=reference)
        .select_related("service", "technician", "room", "membership__plan")
        .prefetch_related(Prefetch("booking_addons", BookingAddOn.objects.select_related("addon")))
        .first()
    )


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
        credits_left=max(included - membership.credits_used, 0),
        cancelling=membership.ends_on is not None and membership.ends_on >= today,
        awaiting_payment=membership.status == MembershipStatus.PENDING,
    )
