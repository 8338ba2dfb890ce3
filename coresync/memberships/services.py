"""Membership changes: subscribe, change plan, cancel, activate (SPEC §3); managers' plan
changes: create, update, deactivate.

A membership gives its benefits only once paid: a customer's subscription waits, ``pending``,
until the first month is paid — at the desk (:func:`activate_membership`) or online
(:func:`start_paid_membership`, called by payments when Stripe reports the payment). Rules
(docs/memberships.md):

- subscribe: a ``pending`` membership, no benefits, no welcome email yet;
- upgrade (a plan with a higher monthly price): recorded as ``pending_plan``; the current
  plan stays until the prorated difference is paid (online at once, or at the desk);
- downgrade: at the end of the period (``next_plan``), applied by the renewal;
- cancel: a pending membership ends at once; an active one at the end of the paid period,
  keeping its benefits until then;
- renewals (:func:`open_renewal`, :func:`complete_renewal`, :func:`renewal_declined`): the
  state changes of a period's charge, decided by :mod:`coresync.payments.renewals`.

Every change writes a :class:`MembershipHistory` row (:func:`record`).
"""

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from coresync.accounts.models import acts_for_every_customer
from coresync.core import readers as read
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import Forbidden
from coresync.core.readers import field_readers
from coresync.core.signals import availability_inputs_changed
from coresync.core.validation import FieldErrors, amount, read_values
from coresync.memberships import events
from coresync.memberships.billing import first_period, next_period_start, renewal_due_at
from coresync.memberships.errors import MembershipConflict
from coresync.memberships.inputs import PlanFields
from coresync.memberships.models import (
    BENEFIT_STATUSES,
    OPEN_RENEWAL_STATUSES,
    Membership,
    MembershipHistory,
    MembershipPlan,
    MembershipRenewal,
    MembershipStatus,
    RenewalStatus,
)
from coresync.memberships.selectors import open_membership
from coresync.spa.selectors import get_settings


def add_month(day: date) -> date:
    """Return the same day next month, clamped to that month's length (Jan 31 → Feb 28)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _today(now: datetime | None) -> date:
    return local_date(now or clock_now(), get_settings().zone)


def record(
    membership: Membership,
    action: str,
    *,
    actor=None,
    from_status: str = "",
    to_status: str = "",
    from_plan: MembershipPlan | None = None,
    to_plan: MembershipPlan | None = None,
    data: dict[str, Any] | None = None,
) -> MembershipHistory:
    """Write one membership history row (who, when, what): the one place changes are logged."""
    return MembershipHistory.objects.create(
        membership=membership,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=to_status,
        from_plan=from_plan,
        to_plan=to_plan,
        data=data or {},
    )


def _start_period(membership: Membership, today: date) -> None:
    """Start ``membership`` (locked) and its first billing period on ``today``; the day of
    the month becomes its anchor day (:mod:`coresync.memberships.billing`)."""
    start, end, anchor = first_period(today)
    membership.status = MembershipStatus.ACTIVE
    membership.started_on = start
    membership.current_period_start = start
    membership.current_period_end = end
    membership.billing_anchor_day = anchor
    membership.credits_used = 0
    membership.save(
        update_fields=[
            "status",
            "started_on",
            "current_period_start",
            "current_period_end",
            "billing_anchor_day",
            "credits_used",
        ]
    )


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
        start, end, anchor = first_period(today)
        membership = Membership.objects.create(
            **({"number": first_number} if first_number else {}),
            customer=customer,
            plan=plan,
            status=MembershipStatus.ACTIVE if paid else MembershipStatus.PENDING,
            started_on=start,
            current_period_start=start,
            current_period_end=end,
            billing_anchor_day=anchor,
        )
        record(
            membership,
            "membership.subscribed",
            actor=customer,
            to_status=membership.status,
            to_plan=plan,
            data={"paid": paid},
        )
        if paid:
            events.publish(
                membership, "membership.started", {}
            )  # welcome email + PDF card, via the outbox
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
            _start_period(membership, today)
            record(
                membership,
                "membership.activated",
                actor=actor,
                from_status=MembershipStatus.PENDING,
                to_status=MembershipStatus.ACTIVE,
                to_plan=membership.plan,
                data={"paid": "at the spa"},
            )
            events.publish(membership, "membership.started", {})
            return membership
        if membership.pending_plan_id is not None and membership.is_current(today):
            _apply_upgrade(membership, actor=actor, data={"paid": "at the spa"}, now=now)
            return membership
        raise MembershipConflict("This membership has nothing waiting for payment.")


def start_paid_membership(
    membership_id: int, *, now: datetime | None = None, data: dict[str, Any] | None = None
) -> bool:
    """Start a pending membership whose first month was paid online (the payment's webhook):
    its first period starts today and the welcome email goes out. Return whether it started
    (False when it already had: a webhook delivered again changes nothing).
    """
    today = _today(now)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        if membership.status != MembershipStatus.PENDING:
            return False
        _start_period(membership, today)
        record(
            membership,
            "membership.activated",
            from_status=MembershipStatus.PENDING,
            to_status=MembershipStatus.ACTIVE,
            to_plan=membership.plan,
            data={"paid": "online", **(data or {})},
        )
        events.publish(membership, "membership.started", {})
        return True


def _apply_upgrade(
    membership: Membership, *, actor=None, data: dict[str, Any], now: datetime | None
) -> None:
    old_plan = membership.plan
    membership.plan = membership.pending_plan
    membership.pending_plan = None
    membership.next_plan = None
    membership.save(update_fields=["plan", "pending_plan", "next_plan"])
    record(
        membership,
        "membership.upgraded",
        actor=actor,
        from_status=membership.status,
        to_status=membership.status,
        from_plan=old_plan,
        to_plan=membership.plan,
        data=data,
    )
    events.publish(membership, "membership.plan_changed", {"at": now})  # new terms, GBL §527-a


def apply_paid_upgrade(
    membership_id: int,
    plan_id: int,
    *,
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Apply the upgrade to ``plan_id`` whose prorated difference was paid online; return
    whether it was applied (False when it was already, or the member changed their mind)."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().select_related("plan").get(pk=membership_id)
        )
        if membership.pending_plan_id != plan_id:
            return False
        _apply_upgrade(membership, data={"paid": "online", **(data or {})}, now=now)
        return True


def withdraw_upgrade(membership_id: int, plan_id: int, *, reason: str = "") -> bool:
    """Drop an upgrade whose charge was declined: the plan stays as it is. Return whether
    an upgrade was waiting."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership_id)
        if membership.pending_plan_id != plan_id:
            return False
        membership.pending_plan = None
        membership.save(update_fields=["pending_plan"])
        MembershipHistory.objects.create(
            membership=membership,
            action="membership.upgrade_declined",
            from_status=membership.status,
            to_status=membership.status,
            from_plan_id=membership.plan_id,
            to_plan_id=plan_id,
            data={"reason": reason[:200]},
        )
        return True


def change_plan(customer, plan: MembershipPlan, *, now: datetime | None = None) -> Membership:
    """Ask to move the membership to ``plan`` (module docstring: an upgrade waits for
    payment as ``pending_plan``; a downgrade waits for the end of the period as
    ``next_plan``; any change of a pending membership applies at once). Usage of the period
    is kept.

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
        old_plan = membership.plan
        paid = membership.status in BENEFIT_STATUSES
        if membership.plan_id == plan.pk:
            if membership.pending_plan_id is None and membership.next_plan_id is None:
                raise MembershipConflict(f"You are already on {plan.name}.")
            # Back to the plan they have: no upgrade or downgrade wanted any more.
            membership.pending_plan = membership.next_plan = None
            action = "membership.plan_change_withdrawn"
        elif paid and plan.monthly_price > membership.plan.monthly_price:
            membership.pending_plan = plan
            membership.next_plan = None
            action = "membership.upgrade_requested"
        elif paid:
            membership.next_plan = plan
            membership.pending_plan = None
            action = "membership.downgrade_scheduled"
        else:
            membership.plan = plan
            membership.pending_plan = membership.next_plan = None
            action = "membership.plan_changed"
        membership.save(update_fields=["plan", "pending_plan", "next_plan"])
        record(
            membership,
            action,
            actor=customer,
            from_status=membership.status,
            to_status=membership.status,
            from_plan=old_plan,
            to_plan=plan,
            data={"effective": str(membership.current_period_end)}
            if action == "membership.downgrade_scheduled"
            else {},
        )
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
        previous = membership.status
        if membership.status == MembershipStatus.PENDING:
            membership.status = MembershipStatus.CANCELLED
            membership.ends_on = today
            action = "membership.cancelled"
        elif membership.status == MembershipStatus.PAST_DUE:
            # The renewal was never paid: the membership ends now and is not charged again.
            membership.status = MembershipStatus.CANCELLED
            membership.ends_on = max(membership.started_on, today - timedelta(days=1))
            MembershipRenewal.objects.filter(
                membership=membership, status__in=OPEN_RENEWAL_STATUSES
            ).update(status=RenewalStatus.SKIPPED, next_attempt_at=None)
            action = "membership.cancelled"
        else:
            membership.ends_on = membership.current_period_end or today
            action = "membership.cancel_scheduled"
        membership.pending_plan = membership.next_plan = None
        membership.save(update_fields=["status", "ends_on", "pending_plan", "next_plan"])
        record(
            membership,
            action,
            actor=customer,
            from_status=previous,
            to_status=membership.status,
            data={"ends_on": str(membership.ends_on)},
        )
        return membership


# -- renewals (decided by coresync.payments.renewals) --------------------------------------


def renewal_candidates(today: date):
    """Return the ids of memberships whose period has ended by spa-local ``today`` and that
    are billed by CoreSync (an anchor day), or that end today or earlier."""
    return Membership.objects.filter(
        status__in=BENEFIT_STATUSES,
        billing_anchor_day__isnull=False,
        current_period_end__lte=today,
    ).values_list("pk", flat=True)


def open_renewal(membership_id: int, *, now: datetime | None = None) -> MembershipRenewal | None:
    """Write the renewal of the period after ``membership_id``'s current one, once (the
    unique membership + period start), when that period has come; return it — or ``None``
    when nothing is to be billed: the membership was cancelled at period end (it becomes
    ``cancelled`` once its last day has passed), is not billed by CoreSync, or is not due.

    The renewal's plan is the downgrade the member chose (``next_plan``), else the plan.
    """
    today = _today(now)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().select_related("plan").get(pk=membership_id)
        )
        if (
            membership.status not in BENEFIT_STATUSES
            or membership.billing_anchor_day is None
            or membership.current_period_end is None
            or membership.current_period_end > today
        ):
            return None
        if membership.ends_on is not None:
            if membership.ends_on < today:
                previous = membership.status
                membership.status = MembershipStatus.CANCELLED
                membership.save(update_fields=["status"])
                record(
                    membership,
                    "membership.cancelled",
                    from_status=previous,
                    to_status=MembershipStatus.CANCELLED,
                    data={"ends_on": str(membership.ends_on)},
                )
            return None
        period_start = membership.current_period_end
        plan = membership.next_plan or membership.plan
        renewal, _ = MembershipRenewal.objects.get_or_create(
            membership=membership,
            period_start=period_start,
            defaults={
                "period_end": next_period_start(period_start, membership.billing_anchor_day),
                "plan": plan,
                "amount": plan.monthly_price,
                "next_attempt_at": renewal_due_at(period_start, get_settings().zone),
            },
        )
        return renewal


def complete_renewal(
    renewal_id: int, *, now: datetime | None = None, data: dict[str, Any] | None = None
) -> bool:
    """Record a renewal paid (or, paying at the spa, rolled over): the membership's period
    moves on, its credits start again, a chosen downgrade takes effect, a past-due membership
    is active again. Return whether anything changed (False for a renewal already done)."""
    with transaction.atomic():
        renewal = MembershipRenewal.objects.select_for_update().get(pk=renewal_id)
        if renewal.status not in OPEN_RENEWAL_STATUSES:
            return False
        membership = (
            Membership.objects.select_for_update()
            .select_related("plan")
            .get(pk=renewal.membership_id)
        )
        renewal.status = RenewalStatus.SUCCEEDED
        renewal.next_attempt_at = None
        renewal.last_error = ""
        renewal.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
        if membership.current_period_end != renewal.period_start:
            return True  # a stale renewal (the period was moved by hand): money only
        previous_status, old_plan = membership.status, membership.plan
        membership.current_period_start = renewal.period_start
        membership.current_period_end = renewal.period_end
        membership.credits_used = 0
        membership.status = MembershipStatus.ACTIVE
        membership.plan_id = renewal.plan_id
        membership.next_plan = None
        membership.save(
            update_fields=[
                "current_period_start",
                "current_period_end",
                "credits_used",
                "status",
                "plan",
                "next_plan",
            ]
        )
        membership.refresh_from_db(fields=["plan"])
        details = {
            "period_start": str(renewal.period_start),
            "period_end": str(renewal.period_end),
            "amount": f"{renewal.amount:.2f}",
            **(data or {}),
        }
        record(
            membership,
            "membership.renewed",
            from_status=previous_status,
            to_status=MembershipStatus.ACTIVE,
            from_plan=old_plan,
            to_plan=membership.plan,
            data=details,
        )
        if old_plan.pk != membership.plan_id:
            record(
                membership,
                "membership.downgraded",
                from_status=MembershipStatus.ACTIVE,
                to_status=MembershipStatus.ACTIVE,
                from_plan=old_plan,
                to_plan=membership.plan,
            )
            events.publish(membership, "membership.plan_changed", {"at": now})
        return True


@dataclass(frozen=True)
class DeclinedRenewal:
    """What a declined renewal attempt led to: ``retry_at`` (the next attempt), or
    ``expired`` (no attempt left: the membership expired)."""

    renewal: MembershipRenewal
    attempt: int
    retry_at: datetime | None
    expired: bool
    changed: bool = True


def renewal_declined(
    renewal_id: int,
    *,
    attempt: int,
    reason: str,
    attempt_days: Sequence[int],
    now: datetime | None = None,
) -> DeclinedRenewal:
    """Record that attempt number ``attempt`` of a renewal was declined (or no card was on
    file). With attempts left, the membership is ``past_due`` (it keeps its benefits during
    the grace period) and the next attempt is scheduled ``attempt_days[attempt]`` days after
    the period's start (spa-local midnight); after the last, the renewal fails and the
    membership ``expired`` — the member books as a non-member from then on; bookings already
    made stay.

    An attempt recorded already (a job run twice) changes nothing (``changed`` False).
    """
    now = now or clock_now()
    today = _today(now)
    zone = get_settings().zone
    with transaction.atomic():
        renewal = MembershipRenewal.objects.select_for_update().get(pk=renewal_id)
        if renewal.status not in OPEN_RENEWAL_STATUSES or renewal.attempts >= attempt:
            return DeclinedRenewal(renewal, renewal.attempts, None, False, changed=False)
        membership = Membership.objects.select_for_update().get(pk=renewal.membership_id)
        renewal.attempts = attempt
        renewal.last_error = reason[:500]
        expired = attempt >= len(attempt_days)
        retry_at = None
        if expired:
            renewal.status = RenewalStatus.FAILED
            renewal.next_attempt_at = None
        else:
            renewal.status = RenewalStatus.RETRYING
            retry_day = renewal.period_start + timedelta(days=attempt_days[attempt])
            retry_at = max(renewal_due_at(retry_day, zone), now)
            renewal.next_attempt_at = retry_at
        renewal.save()
        previous = membership.status
        record(
            membership,
            "membership.renewal_failed",
            from_status=previous,
            to_status=previous,
            data={
                "period_start": str(renewal.period_start),
                "attempt": attempt,
                "reason": reason[:200],
                "retry_at": retry_at.isoformat() if retry_at else None,
            },
        )
        if expired:
            membership.status = MembershipStatus.EXPIRED
            membership.ends_on = max(membership.started_on, today - timedelta(days=1))
            membership.pending_plan = membership.next_plan = None
            membership.save(update_fields=["status", "ends_on", "pending_plan", "next_plan"])
            record(
                membership,
                "membership.expired",
                from_status=previous,
                to_status=MembershipStatus.EXPIRED,
                data={"period_start": str(renewal.period_start), "attempts": attempt},
            )
        elif previous != MembershipStatus.PAST_DUE:
            membership.status = MembershipStatus.PAST_DUE
            membership.save(update_fields=["status"])
            record(
                membership,
                "membership.past_due",
                from_status=previous,
                to_status=MembershipStatus.PAST_DUE,
                data={"period_start": str(renewal.period_start)},
            )
        return DeclinedRenewal(renewal, attempt, retry_at, expired)


# -- plans (managers) ----------------------------------------------------------------------

PLAN_REQUIRED = ("slug", "name", "tier", "advance_days", "discount_percent", "monthly_price")
PLAN_READERS = {
    # The fields' rules are PlanFields'; an amount may be a Decimal or a number.
    **field_readers(PlanFields, is_active="active"),
    "monthly_price": amount,
    "birthday_discount_percent": read.optional(read.percent(0, 100)),
    # Cancellation overrides: None means "the spa's policy" (SPEC §4 "policy per tier").
    "free_cancellation_hours": read.optional(read.integer(0, 24 * 365)),
    "late_cancellation_fee_percent": read.optional(read.percent(0, 100)),
    "no_show_fee_percent": read.optional(read.percent(0, 100)),
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
