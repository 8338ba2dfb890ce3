"""Membership changes: subscribe, change plan, cancel (SPEC §3).

Payment goes through the payment layer; until it exists the offline default applies (the
monthly fee is paid at the spa), so a subscription is active at once.
"""

import calendar
from datetime import date, datetime

from django.db import transaction

from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.memberships.errors import MembershipConflict
from coresync.memberships.models import Membership, MembershipPlan, MembershipStatus
from coresync.memberships.selectors import current_membership
from coresync.spa.selectors import get_settings


def add_month(day: date) -> date:
    """Return the same day next month, clamped to that month's length (Jan 31 → Feb 28)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _today(now: datetime | None) -> date:
    return local_date(now or clock_now(), get_settings().zone)


def subscribe(customer, plan: MembershipPlan, *, now: datetime | None = None) -> Membership:
    """Start a membership of ``plan`` today (spa-local), period of one month.

    Raises:
        MembershipConflict: the customer already has a current membership (change it
            instead) or the plan is not offered.
    """
    today = _today(now)
    if not plan.is_active:
        raise MembershipConflict("This plan is not offered.")
    with transaction.atomic():
        # Lock the customer row so two concurrent subscriptions cannot both pass the check.
        type(customer).objects.select_for_update().filter(pk=customer.pk).first()
        if current_membership(customer, today) is not None:
            raise MembershipConflict("You already have a membership; change its plan instead.")
        return Membership.objects.create(
            customer=customer,
            plan=plan,
            status=MembershipStatus.ACTIVE,
            started_on=today,
            current_period_start=today,
            current_period_end=add_month(today),
        )


def change_plan(customer, plan: MembershipPlan, *, now: datetime | None = None) -> Membership:
    """Move the current membership to ``plan`` from today; usage of the period is kept.

    Raises:
        MembershipConflict: no current membership, or it is already on ``plan``.
    """
    today = _today(now)
    with transaction.atomic():
        membership = current_membership(customer, today)
        if membership is None:
            raise MembershipConflict("You have no membership to change.")
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.plan_id == plan.pk:
            raise MembershipConflict(f"You are already on {plan.name}.")
        membership.plan = plan
        membership.save(update_fields=["plan"])
        return membership


def cancel_membership(customer, *, now: datetime | None = None) -> Membership:
    """Cancel at the end of the current period: benefits last until ``ends_on``.

    Raises:
        MembershipConflict: no current membership.
    """
    today = _today(now)
    with transaction.atomic():
        membership = current_membership(customer, today)
        if membership is None:
            raise MembershipConflict("You have no membership to cancel.")
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        membership.ends_on = membership.current_period_end or today
        membership.save(update_fields=["ends_on"])
        return membership
