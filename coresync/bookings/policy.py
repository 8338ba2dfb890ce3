"""Cancellation policy per tier (SPEC §4): free until N hours before the start (elapsed
time), a late fee inside that window, a no-show fee; ``can_cancel``/``can_reschedule`` are
computed from it, never stored."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from coresync.accounts.models import acts_for_every_customer
from coresync.bookings.models import (
    CANCELLABLE_STATUSES,
    RESCHEDULABLE_STATUSES,
    Booking,
    BookingStatus,
)
from coresync.core.errors import Forbidden
from coresync.core.money import percent_of
from coresync.spa.selectors import get_settings


@dataclass(frozen=True)
class CancellationPolicy:
    """``free_until_hours``: elapsed hours before the start; fees are percent of the total."""

    free_until_hours: int
    late_fee_percent: Decimal
    no_show_fee_percent: Decimal

    def free_until(self, start: datetime) -> datetime:
        """Return the last instant a booking starting at ``start`` can be cancelled free."""
        return start - timedelta(hours=self.free_until_hours)

    def cancellation_fee(self, booking: Booking, now: datetime) -> Decimal:
        """Return the fee for cancelling ``booking`` at ``now`` (``0.00`` when free). A
        booking whose technician is away (``needs_reassignment``) is always free to cancel:
        the spa, not the guest, cannot keep it."""
        if booking.status == BookingStatus.NEEDS_REASSIGNMENT:
            return Decimal("0.00")
        if now <= self.free_until(booking.start):
            return Decimal("0.00")
        return percent_of(booking.total, self.late_fee_percent)

    def no_show_fee(self, booking: Booking) -> Decimal:
        return percent_of(booking.total, self.no_show_fee_percent)

    def as_dict(self) -> dict[str, int | str]:
        """Return the policy as stored on a booking (``Booking.cancellation_policy``)."""
        return {
            "free_until_hours": self.free_until_hours,
            "late_fee_percent": str(self.late_fee_percent),
            "no_show_fee_percent": str(self.no_show_fee_percent),
        }

    @classmethod
    def from_dict(cls, stored: dict) -> "CancellationPolicy":
        """Return the policy :meth:`as_dict` stored."""
        return cls(
            free_until_hours=int(stored["free_until_hours"]),
            late_fee_percent=Decimal(stored["late_fee_percent"]),
            no_show_fee_percent=Decimal(stored["no_show_fee_percent"]),
        )


def policy_for(booking: Booking) -> CancellationPolicy:
    """Return the policy that applies to ``booking``: the one recorded when it was made.

    Fees and the free-cancellation cut-off follow the tier the booking was made under, not
    the customer's plan at the time of cancelling (ARCHITECTURE.md "HTTP API"; a plan switch
    must not dodge a late fee). A booking recorded before the policy was stored falls back to
    the spa's policy with the overrides of the plan its membership has now.
    """
    if booking.cancellation_policy:
        return CancellationPolicy.from_dict(booking.cancellation_policy)
    return policy_for_plan(booking.membership.plan if booking.membership_id else None)


def policy_for_plan(plan) -> CancellationPolicy:
    """Return the policy a booking made under ``plan`` (a ``MembershipPlan``, or ``None`` for
    a non-member) would have: the spa's, with the plan's overrides."""
    spa_settings = get_settings()

    def pick(plan_value, spa_value):
        return spa_value if plan_value is None else plan_value

    return CancellationPolicy(
        free_until_hours=pick(
            plan and plan.free_cancellation_hours, spa_settings.free_cancellation_hours
        ),
        late_fee_percent=pick(
            plan and plan.late_cancellation_fee_percent,
            spa_settings.late_cancellation_fee_percent,
        ),
        no_show_fee_percent=pick(
            plan and plan.no_show_fee_percent, spa_settings.no_show_fee_percent
        ),
    )


def can_cancel(booking: Booking, now: datetime) -> bool:
    """Tell whether the customer may still cancel (a fee may apply): before the start."""
    return booking.status in CANCELLABLE_STATUSES and now < booking.start


def can_reschedule(booking: Booking, now: datetime) -> bool:
    """Tell whether the customer may still move the booking: until the free-cancellation
    cut-off, so rescheduling never dodges a late fee."""
    return booking.status in RESCHEDULABLE_STATUSES and now <= policy_for(booking).free_until(
        booking.start
    )


def may_change(booking: Booking, actor) -> bool:
    """Tell whether ``actor`` may cancel or reschedule ``booking``.

    Only the booking's customer, the front desk and managers may (ARCHITECTURE.md "HTTP API":
    a technician sees the bookings assigned to them but changes none). ``actor`` ``None`` is
    the system itself (expired holds, imports, scheduled jobs).
    """
    if actor is None:
        return True
    if getattr(actor, "pk", None) is not None and actor.pk == booking.customer_id:
        return True
    return acts_for_every_customer(actor)


def ensure_may_change(booking: Booking, actor) -> None:
    """Raise :class:`Forbidden` (403 ``forbidden``) unless :func:`may_change` allows it."""
    if not may_change(booking, actor):
        raise Forbidden("Only the guest, the front desk or a manager can change this booking.")
