"""A member's benefits used by bookings: included service credits per period and the
birthday benefit once a year (docs/memberships.md "Credits and the birthday benefit").

Imported by the booking services (a lower layer than notifications), so this module reads and
writes membership rows only. Each use or return is one conditional UPDATE — the count never
goes past the plan's credits or below zero, whatever runs at the same time — and a history
row.

- A credit is used by a booking for one guest of a member whose membership has a billing
  period (memberships made in CoreSync; imported ones have none) with credits left; it is
  given back when the booking is cancelled free of charge, or its payment hold runs out, in
  the same period. A late cancellation or a no-show keeps it used.
- The birthday benefit (the plan's ``birthday_discount_percent``) applies to a booking in the
  member's birthday month (the booking's spa-local date), once a calendar year, when no
  credit is used; given back like a credit.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q

from coresync.memberships.models import Membership, MembershipHistory


@dataclass(frozen=True)
class Benefits:
    """What a booking would get: ``credit`` (the service included), or a
    ``birthday_percent`` off it; ``credits_left`` before this booking."""

    credit: bool = False
    birthday_percent: Decimal | None = None
    credits_left: int = 0

    @property
    def any(self) -> bool:
        return self.credit or bool(self.birthday_percent)


NO_BENEFITS = Benefits()


def credits_left(membership: Membership | None) -> int:
    """Return the included credits ``membership`` has left in its current period (0 without
    a billing period)."""
    if membership is None or membership.current_period_start is None:
        return 0
    return max(membership.plan.included_credits - membership.credits_used, 0)


def benefits_for(
    membership: Membership | None,
    customer,
    *,
    guests: int,
    day: date,
    with_credits: bool = True,
) -> Benefits:
    """Return the benefits a booking on spa-local ``day`` for ``guests`` would get (nothing
    is written); ``with_credits`` False: the birthday benefit only."""
    if membership is None or guests != 1:
        return NO_BENEFITS
    left = credits_left(membership) if with_credits else 0
    if left > 0:
        return Benefits(credit=True, credits_left=left)
    percent = membership.plan.birthday_discount_percent
    birthday = getattr(customer, "birthday", None)
    if (
        percent
        and birthday is not None
        and birthday.month == day.month
        and membership.birthday_benefit_year != day.year
    ):
        return Benefits(birthday_percent=percent, credits_left=0)
    return Benefits(credits_left=left)


def _log(membership_id: int, action: str, data: dict, actor=None) -> None:
    MembershipHistory.objects.create(
        membership_id=membership_id,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        data=data,
    )


def take_credit(membership: Membership, *, booking_reference: str, actor=None) -> bool:
    """Use one credit of ``membership``'s current period; return False when none is left
    (someone used the last one meanwhile)."""
    included = membership.plan.included_credits
    used = (
        Membership.objects.filter(
            pk=membership.pk,
            current_period_start=membership.current_period_start,
            credits_used__lt=included,
        ).update(credits_used=F("credits_used") + 1)
        == 1
    )
    if used:
        _log(
            membership.pk,
            "membership.credit_used",
            {"booking": booking_reference, "period_start": str(membership.current_period_start)},
            actor,
        )
    return used


def give_back_credit(
    membership_id: int, *, period_start: date | None, booking_reference: str
) -> bool:
    """Give back a credit a booking used, if its period is still the current one (a new
    period starts with all its credits anyway); return whether it was given back."""
    returned = (
        Membership.objects.filter(
            pk=membership_id, current_period_start=period_start, credits_used__gt=0
        ).update(credits_used=F("credits_used") - 1)
        == 1
    )
    if returned:
        _log(
            membership_id,
            "membership.credit_returned",
            {"booking": booking_reference, "period_start": str(period_start)},
        )
    return returned


def take_birthday_benefit(membership: Membership, *, year: int, booking_reference: str) -> bool:
    """Mark the birthday benefit of ``year`` used; False when it was already."""
    taken = (
        Membership.objects.filter(pk=membership.pk)
        .filter(Q(birthday_benefit_year__isnull=True) | ~Q(birthday_benefit_year=year))
        .update(birthday_benefit_year=year)
        == 1
    )
    if taken:
        _log(
            membership.pk,
            "membership.birthday_benefit_used",
            {"booking": booking_reference, "year": year},
        )
    return taken


def give_back_birthday_benefit(membership_id: int, *, year: int, booking_reference: str) -> bool:
    """Make the birthday benefit of ``year`` usable again (its booking was cancelled free)."""
    returned = (
        Membership.objects.filter(pk=membership_id, birthday_benefit_year=year).update(
            birthday_benefit_year=None
        )
        == 1
    )
    if returned:
        _log(
            membership_id,
            "membership.birthday_benefit_returned",
            {"booking": booking_reference, "year": year},
        )
    return returned
