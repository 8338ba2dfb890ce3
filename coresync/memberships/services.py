"""Membership changes: subscribe, change plan, cancel, activate (SPEC §3); managers' plan
changes: create, update, deactivate.

A membership gives its benefits only once paid. With the offline default (the monthly fee is
paid at the spa) a customer's subscription or upgrade waits, ``pending``, until the front
desk or a manager activates it on payment (:func:`activate_membership`); the members' money
work replaces that step with an online payment. Rules (docs/memberships.md):

- subscribe: a ``pending`` membership, no benefits, no welcome email yet;
- upgrade (a plan with a higher monthly price): recorded as ``pending_plan``; the current
  plan stays until the difference is paid and staff activate it;
- downgrade: at once (fewer benefits; bookings keep the policy they were made under);
- cancel: a pending membership ends at once; an active one at the end of the paid period,
  keeping its benefits until then.
"""

import calendar
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from coresync.accounts.models import acts_for_every_customer
from coresync.core import readers as read
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import Forbidden
from coresync.core.signals import availability_inputs_changed
from coresync.core.validation import FieldErrors, amount, percentage, read_values
from coresync.memberships import events
from coresync.memberships.errors import MembershipConflict
from coresync.memberships.models import PLAN_TIERS, Membership, MembershipPlan, MembershipStatus
from coresync.memberships.selectors import open_membership
from coresync.spa.selectors import get_settings


def add_month(day: date) -> date:
    """Return the same day next month, clamped to that month's length (Jan 31 → Feb 28)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _today(now: datetime | None) -> date:
    return local_date(now or clock_now(), get_settings().zone)


def _open_membership_for_update(customer, today: date) -> Membership | None:
    membership = open_membership(customer, today)
    if membership is None:
        return None
    return Membership.objects.select_for_update().select_related("plan").get(pk=membership.pk)


def subscribe(
    customer, plan: MembershipPlan, *, now: datetime | None = None, paid: bool = False
) -> Membership:
    """Choose a membership of ``plan``: ``pending`` until paid, or active today when
    ``paid`` (staff taking the fee at the desk; the members' money work online).

    Raises:
        MembershipConflict: the customer already has a current or pending membership
            (change it instead) or the plan is not offered.
    """
    today = _today(now)
    if not plan.is_active:
        raise MembershipConflict("This plan is not offered.")
    with transaction.atomic():
        # Lock the customer row so two concurrent subscriptions cannot both pass the check.
        get_user_model().objects.select_for_update().filter(pk=customer.pk).first()
        if open_membership(customer, today) is not None:
            raise MembershipConflict("You already have a membership; change its plan instead.")
        # A returning member keeps the number of their first membership (and its card's QR).
        first_number = (
            Membership.objects.filter(customer=customer)
            .order_by("started_on", "pk")
            .values_list("number", flat=True)
            .first()
        )
        membership = Membership.objects.create(
            **({"number": first_number} if first_number else {}),
            customer=customer,
            plan=plan,
            status=MembershipStatus.ACTIVE if paid else MembershipStatus.PENDING,
            started_on=today,
            current_period_start=today,
            current_period_end=add_month(today),
        )
        if paid:
            events.publish(membership, "membership.started", {})  # welcome email + card
        return membership


def activate_membership(
    membership: Membership, *, actor, now: datetime | None = None
) -> Membership:
    """Record that the spa was paid: a pending membership starts today (its period too) and
    its welcome email goes out; a pending upgrade replaces the plan from today.

    Raises:
        Forbidden: ``actor`` is not front desk or a manager.
        MembershipConflict: nothing is waiting for payment.
    """
    if not acts_for_every_customer(actor):
        raise Forbidden("Only the front desk or a manager can activate a membership.")
    today = _today(now)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.status == MembershipStatus.PENDING:
            membership.status = MembershipStatus.ACTIVE
            membership.started_on = today
            membership.current_period_start = today
            membership.current_period_end = add_month(today)
            membership.save(
                update_fields=[
                    "status",
                    "started_on",
                    "current_period_start",
                    "current_period_end",
                ]
            )
            events.publish(membership, "membership.started", {})
            return membership
        if membership.pending_plan_id is not None and membership.is_current(today):
            membership.plan_id = membership.pending_plan_id
            membership.pending_plan = None
            membership.save(update_fields=["plan", "pending_plan"])
            events.publish(membership, "membership.plan_changed", {"at": now})  # GBL §527-a
            return membership
        raise MembershipConflict("This membership has nothing waiting for payment.")


def change_plan(customer, plan: MembershipPlan, *, now: datetime | None = None) -> Membership:
    """Ask to move the membership to ``plan`` (module docstring: an upgrade waits for
    payment as ``pending_plan``; a downgrade, or any change of a pending membership, applies
    at once). Usage of the period is kept.

    Raises:
        MembershipConflict: no membership, it is already on ``plan``, or the plan is not
            offered.
    """
    today = _today(now)
    if not plan.is_active:
        raise MembershipConflict("This plan is not offered.")
    with transaction.atomic():
        membership = _open_membership_for_update(customer, today)
        if membership is None:
            raise MembershipConflict("You have no membership to change.")
        if membership.plan_id == plan.pk:
            if membership.pending_plan_id is None:
                raise MembershipConflict(f"You are already on {plan.name}.")
            membership.pending_plan = None  # back to the plan they have: no upgrade wanted
        elif (
            membership.status == MembershipStatus.ACTIVE
            and plan.monthly_price > membership.plan.monthly_price
        ):
            membership.pending_plan = plan
        else:
            membership.plan = plan
            membership.pending_plan = None
        membership.save(update_fields=["plan", "pending_plan"])
        if membership.status == MembershipStatus.ACTIVE and membership.pending_plan_id is None:
            events.publish(membership, "membership.plan_changed", {"at": now})  # GBL §527-a
        return membership


def cancel_membership(customer, *, now: datetime | None = None) -> Membership:
    """Cancel: a pending membership ends now (it was never paid); an active one at the end
    of the current period, its benefits lasting until ``ends_on``. A pending upgrade is
    dropped.

    Raises:
        MembershipConflict: no membership.
    """
    today = _today(now)
    with transaction.atomic():
        membership = _open_membership_for_update(customer, today)
        if membership is None:
            raise MembershipConflict("You have no membership to cancel.")
        if membership.status == MembershipStatus.PENDING:
            membership.status = MembershipStatus.CANCELLED
            membership.ends_on = today
        else:
            membership.ends_on = membership.current_period_end or today
        membership.pending_plan = None
        membership.save(update_fields=["status", "ends_on", "pending_plan"])
        return membership


# -- plans (managers) ----------------------------------------------------------------------

PLAN_REQUIRED = ("slug", "name", "tier", "advance_days", "discount_percent", "monthly_price")
PLAN_READERS = {
    "slug": read.slug,
    "name": read.text(100),
    "tier": read.choice(PLAN_TIERS, "tier"),
    "advance_days": read.integer(0, 730),
    "discount_percent": percentage(0, 100),
    "priority": read.boolean,
    "vip": read.boolean,
    "monthly_price": amount,
    "included_credits": read.integer(0, 1000),
    "benefits": read.list_of(read.text(200)),
    "birthday_benefit": read.text(200, blank=True),
    # Cancellation overrides: None means "the spa's policy" (SPEC §4 "policy per tier").
    "free_cancellation_hours": read.optional(read.integer(0, 24 * 365)),
    "late_cancellation_fee_percent": read.optional(percentage(0, 100)),
    "no_show_fee_percent": read.optional(percentage(0, 100)),
    "is_active": read.boolean,
}


def create_plan(values: Mapping[str, Any]) -> MembershipPlan:
    """Create a membership plan from its fields (API names = model field names).

    Raises:
        InvalidInput: naming each bad field (missing, malformed, out of range, slug in use).
    """
    return _write_plan(MembershipPlan(), values, creating=True)


def update_plan(plan: MembershipPlan, changes: Mapping[str, Any]) -> MembershipPlan:
    """Change the given fields of ``plan``; current memberships follow the new terms.

    Raises:
        InvalidInput: as :func:`create_plan`.
    """
    return _write_plan(plan, changes, creating=False)


def _check_plan_slug_free(errors: FieldErrors, slug: str | None, pk: int | None) -> None:
    if slug and MembershipPlan.objects.filter(slug=slug).exclude(pk=pk).exists():
        errors.add("slug", f'"{slug}" is already used by another plan')


def _write_plan(
    plan: MembershipPlan, values: Mapping[str, Any], *, creating: bool
) -> MembershipPlan:
    errors = FieldErrors()
    data = read_values(errors, values, PLAN_READERS, required=PLAN_REQUIRED if creating else ())
    _check_plan_slug_free(errors, data.get("slug"), plan.pk)
    errors.raise_if_any()

    with transaction.atomic():
        if not creating:
            plan = MembershipPlan.objects.select_for_update().get(pk=plan.pk)
        changed = [name for name, value in data.items() if getattr(plan, name) != value]
        old_price = plan.monthly_price
        for name in changed:
            setattr(plan, name, data[name])
        if not creating and not changed:
            return plan
        try:
            with transaction.atomic():
                plan.save(update_fields=None if creating else changed)
        except IntegrityError:
            _check_plan_slug_free(errors, plan.slug, plan.pk)
            if "slug" not in errors:
                raise
            errors.raise_if_any()
        if not creating and "monthly_price" in changed:
            # Current members pay the new price from their next charge: tell each (GBL §527-a).
            events.publish(plan, "plan.price_changed", {"old_price": old_price})
    return plan


def deactivate_plan(plan: MembershipPlan) -> MembershipPlan:
    """Stop offering ``plan`` to new subscribers; current members keep it."""
    with transaction.atomic():
        MembershipPlan.objects.filter(pk=plan.pk).update(is_active=False)
        availability_inputs_changed.send(sender=MembershipPlan)
    plan.is_active = False
    return plan
