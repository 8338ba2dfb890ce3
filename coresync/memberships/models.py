"""Membership plans, explicit tier prices and customers' memberships (SPEC §3)."""

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Tier(models.TextChoices):
    """Membership tiers; ``non_member`` is the tier of anyone without an active membership."""

    NON_MEMBER = "non_member", "Non-member"
    BASE = "base", "Base"
    PREMIUM = "premium", "Premium"
    VIP = "vip", "Unlimited / VIP"


PLAN_TIERS = [Tier.BASE, Tier.PREMIUM, Tier.VIP]


class MembershipPlan(models.Model):
    """A plan customers subscribe to.

    ``advance_days``: spa-local calendar days ahead its members may book.
    ``priority``: may book slots held for priority members (``member_only_until`` holds).
    ``vip``: may also book VIP-only holds. The ``*_override`` cancellation fields, when set,
    replace the spa-wide policy for this plan's members (SPEC §4 "policy per tier").
    """

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    tier = models.CharField(max_length=20, choices=[(t.value, t.label) for t in PLAN_TIERS])
    advance_days = models.PositiveIntegerField()
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    priority = models.BooleanField(default=False)
    vip = models.BooleanField(default=False)
    monthly_price = models.DecimalField(max_digits=10, decimal_places=2)
    included_credits = models.PositiveIntegerField(default=0)
    benefits = models.JSONField(default=list, blank=True)
    birthday_benefit = models.CharField(max_length=200, blank=True)
    birthday_discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Taken off the service of one booking in the member's birthday month, once "
        "a year (empty: none).",
    )
    free_cancellation_hours = models.PositiveIntegerField(null=True, blank=True)
    late_cancellation_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    no_show_fee_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["monthly_price"]

    def __str__(self) -> str:
        return self.name


class TierPrice(models.Model):
    """An explicit price for a tier on one service duration; overrides the plan discount."""

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="tier_prices"
    )
    tier = models.CharField(max_length=20, choices=[(t.value, t.label) for t in PLAN_TIERS])
    minutes = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["service", "tier", "minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "tier", "minutes"], name="tier_price_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.minutes} min ({self.tier}): {self.price}"


class MembershipStatus(models.TextChoices):
    """``pending``: chosen by the customer, not paid yet; gives no benefits until the spa
    activates it on payment (docs/memberships.md)."""

    PENDING = "pending", "Pending payment"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


BENEFIT_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE)
"""Statuses that give the plan's tier (within the dates): ``past_due`` keeps it during the
renewal's grace period (docs/memberships.md "Renewals"); ``expired`` does not."""


def new_member_number() -> str:
    """Return a fresh member number: 9 random digits and a Luhn check digit (10 digits, never
    starting with 0). Random, not the row id: a number on a card says nothing about how many
    members there are and cannot be guessed from another's."""
    import secrets

    body = str(secrets.randbelow(9 * 10**8) + 10**8)
    return body + _luhn_digit(body)


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, character in enumerate(reversed(digits)):
        value = int(character)
        if index % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return str((10 - total % 10) % 10)


def is_valid_member_number(number: str) -> bool:
    """Tell whether ``number`` (spaces ignored) has 10 digits and a valid Luhn check digit."""
    digits = number.replace(" ", "")
    return len(digits) == 10 and digits.isdigit() and _luhn_digit(digits[:-1]) == digits[-1]


class Membership(models.Model):
    """A customer's subscription to a plan. It gives its tier while ``status`` is active and
    the local date lies in ``[started_on, ends_on]`` (``ends_on`` empty = open-ended)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(
        max_length=20, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    started_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    current_period_start = models.DateField(null=True, blank=True)
    current_period_end = models.DateField(null=True, blank=True)
    credits_used = models.PositiveIntegerField(default=0)
    billing_anchor_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The day of the month each billing period starts (1-31; the month's last "
        "day when it is shorter). Empty: not billed by CoreSync (legacy or imported).",
    )
    next_plan = models.ForeignKey(
        MembershipPlan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A downgrade the member chose: the plan of the next period.",
    )
    birthday_benefit_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The year the birthday benefit was last used."
    )
    pending_plan = models.ForeignKey(
        MembershipPlan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="An upgrade the customer asked for, applied when the difference is paid.",
    )
    number = models.CharField(
        max_length=10,
        default=new_member_number,
        db_index=True,
        editable=False,
        help_text="The member number on the card: random, with a Luhn check digit; a "
        "returning member keeps the number of their first membership.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("started_on")),
                name="membership_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(billing_anchor_day__isnull=True)
                | models.Q(billing_anchor_day__gte=1, billing_anchor_day__lte=31),
                name="membership_anchor_day_in_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} – {self.plan} ({self.status})"

    def is_current(self, today: date) -> bool:
        """Tell whether this membership gives its tier on the spa-local date ``today``."""
        return (
            self.status in BENEFIT_STATUSES
            and self.started_on <= today
            and (self.ends_on is None or today <= self.ends_on)
        )


class MembershipHistory(models.Model):
    """One change to a membership: who, when, what (the audit trail of docs/memberships.md).

    ``action`` is a dotted name: ``membership.subscribed``, ``.activated``, ``.renewed``,
    ``.renewal_failed``, ``.past_due``, ``.expired``, ``.cancel_scheduled``, ``.cancelled``,
    ``.upgraded``, ``.upgrade_requested``, ``.downgrade_scheduled``, ``.downgraded``,
    ``.credit_used``, ``.credit_returned``, ``.birthday_benefit_used``; ``data`` holds details
    (period, amount, attempt, booking reference…).
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    from_plan = models.ForeignKey(
        MembershipPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_plan = models.ForeignKey(
        MembershipPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "membership history"
        indexes = [models.Index(fields=["membership", "action"])]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.action}"


class RenewalStatus(models.TextChoices):
    """``due``: written, first attempt not run yet; ``retrying``: an attempt was declined, the
    next is scheduled (the membership is past due); ``succeeded``: paid (or, paying at the spa,
    rolled over); ``failed``: every attempt declined, the membership expired; ``skipped``: the
    membership was cancelled or ended before the charge."""

    DUE = "due", "Due"
    RETRYING = "retrying", "Declined, retry scheduled"
    SUCCEEDED = "succeeded", "Paid"
    FAILED = "failed", "Failed, membership expired"
    SKIPPED = "skipped", "Skipped"


OPEN_RENEWAL_STATUSES = (RenewalStatus.DUE, RenewalStatus.RETRYING)


class MembershipRenewal(models.Model):
    """The renewal of one membership for one billing period, written once: the unique
    (membership, period_start) is what makes a period billed once however often the
    scheduler runs (docs/decisions/0003-membership-renewals.md).

    ``attempts`` counts charges tried; ``next_attempt_at`` is when the next runs (retries with
    backoff over the grace period, ``MEMBERSHIP_RENEWAL_ATTEMPT_DAYS``).
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="renewals")
    period_start = models.DateField()
    period_end = models.DateField()
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=20, choices=RenewalStatus.choices, default=RenewalStatus.DUE
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "period_start"], name="membership_renewal_once_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="membership_renewal_period_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"Renewal of {self.membership_id} from {self.period_start} ({self.status})"
