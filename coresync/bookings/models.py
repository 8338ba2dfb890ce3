"""Bookings and their history (SPEC §4).

The resources a booking occupies are its allocations, rows of the occupancy ledger in
``coresync.scheduling.models`` (``booking.allocations``): the database refuses double booking
there.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from coresync.memberships.models import Tier


class BookingStatus(models.TextChoices):
    """Life cycle of a booking. ``expired``: a pending booking whose payment hold ran out.
    ``needs_reassignment``: a confirmed booking whose technician has since been given time
    off over it (ARCHITECTURE.md "HTTP API"); it keeps its time and room until a manager moves
    it to another technician (a reschedule) or it is cancelled, free of charge."""

    PENDING = "pending", "Pending payment"
    CONFIRMED = "confirmed", "Confirmed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    RESCHEDULED = "rescheduled", "Rescheduled"
    EXPIRED = "expired", "Expired"
    NEEDS_REASSIGNMENT = "needs_reassignment", "Needs reassignment"


ACTIVE_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.IN_PROGRESS,
    BookingStatus.NEEDS_REASSIGNMENT,
)
"""Statuses of bookings that hold their time (allocations active, the customer busy)."""
CANCELLABLE_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.NEEDS_REASSIGNMENT,
)
RESCHEDULABLE_STATUSES = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.NEEDS_REASSIGNMENT,
)
REFERENCE_PATTERN = r"[A-Za-z0-9-]{1,20}"
"""What a booking reference in a URL may look like (``CS-2026-000123``; the column holds 20
characters): the API's ``bookings/{reference}/`` and the site's paths match it, so anything
else is a 404 before any query (a NUL byte would be a 500 on PostgreSQL)."""


class BookingTier(models.TextChoices):
    """The access under which a booking was made (SPEC §4)."""

    MEMBER_PRIORITY = "member_priority", "Member, priority period or hold"
    MEMBER_STANDARD = "member_standard", "Member"
    NON_MEMBER = "non_member", "Non-member"
    VIP = "vip", "VIP"


class Booking(models.Model):
    """A customer's booking of one service for ``guests`` people.

    ``start``/``end`` are UTC and cover the service itself (duration + add-on minutes);
    buffers live on the allocations. ``price_lines`` is the quote stored when the booking was
    made: ``[{"code", "label", "amount"}]`` with amounts as strings.
    """

    reference = models.CharField(max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="bookings"
    )
    duration_minutes = models.PositiveIntegerField()
    technician = models.ForeignKey(
        "resources.Technician",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
        help_text="The (first) technician; couples bookings list all on their allocations.",
    )
    room = models.ForeignKey("resources.Room", on_delete=models.PROTECT, related_name="bookings")
    guests = models.PositiveIntegerField(default=1)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=BookingStatus.choices)
    tier = models.CharField(max_length=20, choices=BookingTier.choices)
    customer_tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.NON_MEMBER)
    membership = models.ForeignKey(
        "memberships.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    plan = models.ForeignKey(
        "memberships.MembershipPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The plan the booking was made under (empty: a non-member's). A reschedule "
        "is priced with it, whatever the customer's plan is later.",
    )
    cancellation_policy = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "The policy accepted when booking: free_until_hours, late_fee_percent, "
            "no_show_fee_percent. Fees follow it, not the customer's later plan."
        ),
    )
    guest_name = models.CharField(
        max_length=150,
        blank=True,
        help_text="Who the booking is for when it is not the customer (a gift, a companion).",
    )
    credits_used = models.PositiveSmallIntegerField(
        default=0, help_text="Included service credits of the membership this booking used."
    )
    credit_period_start = models.DateField(
        null=True, blank=True, help_text="The membership period whose credit was used."
    )
    birthday_benefit_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The year whose birthday benefit this booking used."
    )
    package_purchase = models.ForeignKey(
        "giftcards.PackagePurchase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
        help_text="The package whose session this booking used.",
    )
    gift_card_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="What gift cards paid of the total when booking (the rest is paid online "
        "or at the spa).",
    )
    preferences = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    price_lines = models.JSONField(default=list)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    tax = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    # NULL, not "", when absent: the per-customer unique constraint applies only to real keys.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    request_fingerprint = models.CharField(max_length=64, blank=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancellation_reason = models.CharField(max_length=200, blank=True)
    cancellation_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    fee_waived = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reschedule_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["start"]),
            models.Index(fields=["status", "hold_expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="booking_idempotency_key_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="booking_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def cancellation_fee_or_zero(self) -> Decimal:
        return self.cancellation_fee or Decimal("0.00")


class BookingAddOn(models.Model):
    """An add-on chosen for a booking, with the price and minutes it had then."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="booking_addons")
    addon = models.ForeignKey("catalog.AddOn", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    extra_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["addon__slug"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "addon"], name="booking_addon_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.booking} + {self.addon}"


class BookingHistory(models.Model):
    """One change to a booking: who, when, what (SPEC §4). ``action`` is a dotted name such as
    ``booking.created``, ``booking.cancelled``, ``booking.rescheduled``; ``data`` holds the
    details (old and new start, fee…)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "booking history"

    def __str__(self) -> str:
        return f"{self.booking} {self.action}"
