"""Gift cards and packages of services (docs/gift-cards.md).

Balances never go negative, whatever runs at the same time: each change is one conditional
``UPDATE`` with an ``F()`` expression (``balance = balance - x WHERE balance >= x``), and a
database check constraint refuses a negative balance (or one above the card's amount) as
the last line. Every change of a balance is a row of the card's ledger.
"""

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I: a code read aloud or typed from paper is not misread."""


def new_code() -> str:
    """Return a fresh gift card code: 16 characters of :data:`CODE_ALPHABET` (80 random bits),
    grouped ``XXXX-XXXX-XXXX-XXXX``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[index : index + 4] for index in range(0, 16, 4))


def normalize_code(code: str) -> str:
    """Return ``code`` as stored: upper case, groups of four joined by dashes (spaces and
    dashes as typed are ignored)."""
    raw = "".join(character for character in (code or "").upper() if character.isalnum())
    return "-".join(raw[index : index + 4] for index in range(0, len(raw), 4))


class GiftCardStatus(models.TextChoices):
    """``pending``: bought, not paid yet (cannot be redeemed); ``active``; ``void``:
    cancelled by staff."""

    PENDING = "pending", "Waiting for payment"
    ACTIVE = "active", "Active"
    VOID = "void", "Void"


class GiftCard(models.Model):
    """A gift card: an amount to spend on bookings, by its code, in as many bookings as it
    lasts (the rest of the balance is kept)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=19, unique=True, default=new_code, editable=False)
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("1.00"))]
    )
    balance = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(
        max_length=20, choices=GiftCardStatus.choices, default=GiftCardStatus.PENDING
    )
    purchaser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gift_cards_bought",
    )
    sender_name = models.CharField(max_length=150, blank=True)
    recipient_email = models.EmailField()
    recipient_name = models.CharField(max_length=150, blank=True)
    message = models.TextField(max_length=1000, blank=True)
    deliver_on = models.DateField(help_text="The spa-local day the card is emailed.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("amount")),
                name="gift_card_balance_within_amount",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="gift_card_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Gift card …{self.code[-4:]} ({self.balance} of {self.amount} {self.currency})"

    @property
    def masked_code(self) -> str:
        return f"••••-{self.code[-4:]}"


class GiftCardTransaction(models.Model):
    """One change of a card's balance: ``amount`` negative when spent on a booking,
    positive when given back (a cancellation refunded to the card)."""

    gift_card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="transactions")
    booking = models.ForeignKey(
        "bookings.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gift_card_transactions",
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    balance_after = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.gift_card_id}: {self.amount}"


class Package(models.Model):
    """A package on sale: ``sessions`` of one service duration at ``price`` (e.g. five
    60-minute Swedish massages for 450.00), redeemed like included credits."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveIntegerField()
    sessions = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price = models.DecimalField(max_digits=10, decimal_places=2)
    valid_days = models.PositiveIntegerField(default=365)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price"]

    def __str__(self) -> str:
        return self.name


class PackagePurchase(models.Model):
    """A customer's package: ``sessions_left`` of its service, until ``expires_on``."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="packages"
    )
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="purchases")
    sessions_total = models.PositiveIntegerField()
    sessions_left = models.IntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=20, choices=GiftCardStatus.choices, default=GiftCardStatus.PENDING
    )
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions_left__gte=0) & Q(sessions_left__lte=F("sessions_total")),
                name="package_sessions_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package} ({self.sessions_left}/{self.sessions_total})"
