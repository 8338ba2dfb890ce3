"""Reads of membership state: which tier and booking window a customer has right now."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from coresync.memberships.models import (
    BENEFIT_STATUSES,
    Membership,
    MembershipPlan,
    MembershipStatus,
    Tier,
)
from coresync.spa.models import SpaSettings


@dataclass(frozen=True)
class CustomerAccess:
    """What a caller may book (SPEC §3).

    ``tier``: a :class:`Tier` value (``non_member`` for guests and lapsed members).
    ``advance_days``: spa-local calendar days ahead the caller may book.
    ``discount_percent``: the plan discount (0 for non-members).
    ``priority``/``vip``: may book priority / VIP holds.
    """

    tier: str
    advance_days: int
    discount_percent: Decimal = Decimal("0")
    priority: bool = False
    vip: bool = False
    plan: MembershipPlan | None = None
    membership: Membership | None = None

    @property
    def is_member(self) -> bool:
        return self.tier != Tier.NON_MEMBER


def non_member_access(spa_settings: SpaSettings) -> CustomerAccess:
    """Return the access of an anonymous guest or a customer without a current membership."""
    return CustomerAccess(tier=Tier.NON_MEMBER, advance_days=spa_settings.non_member_advance_days)


def plan_access(plan: MembershipPlan, membership: Membership | None = None) -> CustomerAccess:
    """Return the access a plan gives (used for members and for "what would a member see")."""
    return CustomerAccess(
        tier=plan.tier,
        advance_days=plan.advance_days,
        discount_percent=plan.discount_percent,
        priority=plan.priority,
        vip=plan.vip,
        plan=plan,
        membership=membership,
    )


def current_membership(customer, today: date) -> Membership | None:
    """Return the customer's membership that is current on spa-local ``today`` (one query).

    With several current memberships the one with the longest advance window wins.
    """
    if customer is None or not getattr(customer, "is_authenticated", False):
        return None
    candidates = (
        Membership.objects.filter(
            customer=customer, status__in=BENEFIT_STATUSES, started_on__lte=today
        )
        .select_related("plan")
        .order_by("-plan__advance_days", "-started_on")
    )
    for membership in candidates:
        if membership.is_current(today):
            return membership
    return None


def open_membership(customer, today: date) -> Membership | None:
    """Return the customer's current membership, else the one waiting for payment
    (``pending``), else ``None``: what the customer sees as "my membership"."""
    current = current_membership(customer, today)
    if current is not None or customer is None or not getattr(customer, "is_authenticated", False):
        return current
    return (
        Membership.objects.filter(customer=customer, status=MembershipStatus.PENDING)
        .select_related("plan", "pending_plan")
        .order_by("-created_at")
        .first()
    )


def get_customer_access(customer, today: date, spa_settings: SpaSettings) -> CustomerAccess:
    """Return the access of ``customer`` (a user, ``None`` or anonymous) on local ``today``."""
    membership = current_membership(customer, today)
    if membership is None:
        return non_member_access(spa_settings)
    return plan_access(membership.plan, membership)
