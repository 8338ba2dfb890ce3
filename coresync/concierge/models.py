"""Concierge requests ``CR-YYYY-NNNNNN``: flowers, wine, gifts… found by the staff for a
Premium or VIP member to pick up at the spa (SPEC §8)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class RequestCategory(models.TextChoices):
    ALCOHOL = "alcohol", "Wine and spirits"
    FLOWERS = "flowers", "Flowers"
    FOOD = "food", "Food"
    JEWELRY = "jewelry", "Jewelry"
    LUXURY = "luxury", "Luxury goods"
    GIFTS = "gifts", "Gifts"
    OTHER = "other", "Something else"


class RequestStatus(models.TextChoices):
    """pending → approved → processing → ready → completed, or declined / cancelled."""

    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    PROCESSING = "processing", "Being found"
    READY = "ready", "Ready for pickup"
    COMPLETED = "completed", "Picked up"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class ConciergeRequest(models.Model):
    """One request. Money in USD ``Decimal``; ``pickup_date`` is a spa-local date;
    ``review_due_at`` is 24 hours after it was made (the staff's target for a first answer)."""

    reference = models.CharField(max_length=20, unique=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concierge_requests"
    )
    category = models.CharField(max_length=20, choices=RequestCategory.choices)
    title = models.CharField(max_length=150)
    description = models.TextField()
    link = models.URLField(max_length=500, blank=True)
    budget_min = models.DecimalField(max_digits=10, decimal_places=2)
    budget_max = models.DecimalField(max_digits=10, decimal_places=2)
    pickup_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decline_reason = models.TextField(blank=True)
    staff_notes = models.TextField(blank=True)
    actual_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_due_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "review_due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min__gte=0) & Q(budget_min__lte=F("budget_max")),
                name="concierge_budget_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"
