"""Payments (SPEC §5): customers at the provider, payments, refunds and received Stripe events.

Amounts are ``Decimal`` in the currency's major unit (dollars); the Stripe provider converts
to minor units at its edge. Every row that leads to a call to the provider is written *before*
the call, with a UUID from which the provider idempotency key is derived, so a call retried
after a crash (or by a second worker) reaches the same object at the provider.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class PaymentProviderName(models.TextChoices):
    """The payment providers of :mod:`coresync.payments.providers`."""

    ONSITE = "onsite", "Pay at the spa"
    STRIPE = "stripe", "Stripe"


class PaymentKind(models.TextChoices):
    """What a payment is for."""

    DEPOSIT = "deposit", "Booking deposit"
    FULL = "full", "Booking, paid in full"
    FEE = "fee", "Cancellation or no-show fee"
    MEMBERSHIP = "membership", "Membership charge"
    GIFT_CARD = "gift_card", "Gift card"
    PACKAGE = "package", "Package of services"
    ORDER = "order", "Shop order"


BOOKING_PAYMENT_KINDS = (PaymentKind.DEPOSIT, PaymentKind.FULL)
"""Kinds whose success confirms the booking they pay for."""


class PaymentStatus(models.TextChoices):
    """Life cycle of a payment.

    ``pending``: created, waiting for the customer (or for the call to the provider);
    ``processing``: the provider is still settling it; ``succeeded``: money captured;
    ``failed``: the last attempt failed (a booking payment may still be retried by the
    customer with the same client secret, so ``failed`` can still become ``succeeded``);
    ``canceled``: abandoned, no money moved. Refunds are :class:`Refund` rows;
    ``amount_refunded`` sums those not failed.
    """

    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


OPEN_PAYMENT_STATUSES = (PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.FAILED)
"""Payments that may still capture money."""


class PaymentCustomer(models.Model):
    """A user's customer record at the provider, and the card kept on file there.

    The row is created before the provider's customer (``provider_customer_id`` empty until
    then); ``uuid`` keys the creation call so a retry never makes a second customer.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customer"
    )
    provider = models.CharField(
        max_length=20, choices=PaymentProviderName.choices, default=PaymentProviderName.STRIPE
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider_customer_id = models.CharField(max_length=255, blank=True)
    default_payment_method_id = models.CharField(
        max_length=255, blank=True, help_text="The card on file (a Stripe PaymentMethod id)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_customer_id"],
                condition=~Q(provider_customer_id=""),
                name="payment_customer_provider_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.provider_customer_id or 'not created yet'})"

    @property
    def has_card_on_file(self) -> bool:
        return bool(self.provider_customer_id and self.default_payment_method_id)


class Payment(models.Model):
    """Money asked of a customer for a booking (deposit, full, fee) or a membership.

    ``purpose_key`` says what the payment is for, once: ``booking:<id>:full``,
    ``booking:<id>:fee``, ``membership:<id>:first:<plan id>``, ``renewal:<id>:attempt:<n>``,
    ``membership:<id>:upgrade:<plan id>:<period start>``, ``gift_card:<id>``,
    ``package:<id>``; its unique constraint is what makes a fee charged once however often
    the no-show is processed, and a renewal attempt charged once however often its job runs.
    ``uuid`` keys the calls to the provider.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    purpose_key = models.CharField(max_length=200, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    booking = models.ForeignKey(
        "bookings.Booking",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    membership = models.ForeignKey(
        "memberships.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    kind = models.CharField(max_length=20, choices=PaymentKind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    amount_refunded = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    provider = models.CharField(max_length=20, choices=PaymentProviderName.choices)
    provider_payment_id = models.CharField(
        max_length=255, blank=True, help_text="The Stripe PaymentIntent id."
    )
    provider_customer_id = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["booking", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="payment_provider_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("amount")),
                name="payment_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.status})"

    @property
    def refundable_amount(self) -> Decimal:
        """Return what may still be refunded: captured money not yet (being) refunded."""
        if self.status != PaymentStatus.SUCCEEDED:
            return Decimal("0.00")
        return self.amount - self.amount_refunded


class RefundStatus(models.TextChoices):
    """``pending``: written, call to the provider not done or not settled yet;
    ``succeeded``; ``failed`` (the money stays with the spa; shown in the admin);
    ``canceled``."""

    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class RefundReason(models.TextChoices):
    BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled (amount per policy)"
    BOOKING_NO_SHOW = "booking_no_show", "No-show (paid more than the fee)"
    HOLD_EXPIRED = "hold_expired", "Paid after the slot's hold had expired"
    REQUESTED = "requested", "Requested by staff"


class Refund(models.Model):
    """Money given back on a :class:`Payment`. ``purpose_key`` makes each refund decision
    happen once; ``uuid`` keys the provider call."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    purpose_key = models.CharField(max_length=200, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(
        max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    reason = models.CharField(max_length=30, choices=RefundReason.choices)
    provider_refund_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} of payment {self.payment_id} ({self.status})"


class StripeEventStatus(models.TextChoices):
    """``received``: stored, not processed yet (or processing rolled back);
    ``processed``; ``ignored``: a type CoreSync does not handle (acknowledged, logged);
    ``failed``: processing raised; Stripe delivers again and it is retried."""

    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (type not handled)"
    FAILED = "failed", "Failed, awaiting redelivery"


class StripeEvent(models.Model):
    """A verified Stripe webhook event, stored once by its id before it is processed."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(
        max_length=20, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["type", "status"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} ({self.status})"
