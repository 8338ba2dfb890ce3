"""Accounting (SPEC §5): the QuickBooks Online connection, the income-account mapping, the
ledger of receipts sent (or to send) and the nightly reconciliation's findings.

Amounts are ``Decimal`` dollars. A :class:`LedgerReceipt` is one money movement of the spa (a
captured payment, a refund, a completed shop order) as QuickBooks should know it: its
``document`` is what is sent, ``version`` grows when the document changes, and the request id
sent to Intuit is derived from the entity and the version, so a retried send never makes a
second receipt.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q


class QuickBooksConnection(models.Model):
    """The spa's one QuickBooks company (``pk=1``) and its OAuth2 tokens, encrypted at rest
    (:mod:`coresync.core.crypto`). The refresh token rotates: every refresh writes the new one
    under a row lock (:func:`coresync.accounting.connection.access_token`)."""

    realm_id = models.CharField(max_length=50, blank=True, help_text="The QuickBooks company id.")
    environment = models.CharField(max_length=20, default="sandbox")
    access_token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_count = models.PositiveIntegerField(default=0)
    connected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "QuickBooks connection"

    def __str__(self) -> str:
        return f"QuickBooks company {self.realm_id or '(not connected)'}"

    @property
    def is_connected(self) -> bool:
        return bool(self.realm_id and self.refresh_token_encrypted)


class IncomeCategory(models.TextChoices):
    """What a receipt line sells, for the income-account mapping. Service lines are mapped
    per service category (``service:<category slug>``), products per product category
    (``product:<category>``); these are the other keys."""

    ADDON = "addon", "Add-ons"
    MEMBERSHIP = "membership", "Membership charges"
    FEE = "fee", "Cancellation and no-show fees"
    GIFT_CARD = "gift_card", "Gift cards"
    PACKAGE = "package", "Packages of services"
    ADJUSTMENT = "adjustment", "Discounts and price modifiers"
    DEFAULT = "default", "Anything not mapped"


class IncomeAccountMapping(models.Model):
    """The QuickBooks income account (and the item it is sold as) of one category key:
    ``service:massage``, ``product:skincare``, ``addon``, ``membership``, ``fee``, …"""

    category = models.CharField(max_length=80, unique=True)
    account_id = models.CharField(max_length=50, help_text="The QuickBooks Account Id.")
    account_name = models.CharField(max_length=150, blank=True)
    item_id = models.CharField(
        max_length=50, blank=True, help_text="The QuickBooks Item (service) lines are sold as."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.category} → {self.account_name or self.account_id}"


class ReceiptKind(models.TextChoices):
    SALES = "sales", "Sales receipt"
    REFUND = "refund", "Refund receipt"


class ReceiptStatus(models.TextChoices):
    """``pending``: this version not in QuickBooks yet (queued in the outbox); ``sent``;
    ``failed``: QuickBooks refused it for good (a 4xx; fix the mapping and resend)."""

    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class LedgerReceipt(models.Model):
    """One money movement as a QuickBooks receipt.

    ``entity``: ``payment:<id>``, ``refund:<id>`` or ``order:<id>``, once. ``document``: the
    receipt's JSON (lines, tax, total, customer; see :mod:`coresync.accounting.documents`);
    ``digest`` its hash; ``version`` counts its changes; ``sent_version`` the last one
    QuickBooks has. ``txn_date`` is the spa-local day the money moved (the reconciliation's
    day).
    """

    entity = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=ReceiptKind.choices)
    version = models.PositiveIntegerField(default=1)
    sent_version = models.PositiveIntegerField(default=0)
    document = models.JSONField()
    digest = models.CharField(max_length=64)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    txn_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.PENDING
    )
    quickbooks_id = models.CharField(max_length=50, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-txn_date", "-pk"]
        indexes = [models.Index(fields=["txn_date"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_version__lte=models.F("version")),
                name="ledger_receipt_sent_version_not_ahead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.entity} v{self.version} ({self.status})"

    @property
    def request_id(self) -> str:
        """The Intuit ``requestid`` of this version (at most 50 characters)."""
        return request_id(self.entity, self.version)


def request_id(entity: str, version: int) -> str:
    """Return the Intuit ``requestid`` of ``entity`` at ``version``: ``coresync-payment-12-v1``.

    Intuit answers a repeated request id with the first answer instead of creating the object
    again (Intuit docs, "Idempotency: requestid"), so a retry after a timeout is safe.
    """
    return f"coresync-{entity.replace(':', '-')}-v{version}"


class MismatchKind(models.TextChoices):
    MISSING = "missing", "Missing in QuickBooks"
    AMOUNT_DIFFERS = "amount_differs", "Amount differs"
    DUPLICATE = "duplicate", "Duplicate in QuickBooks"
    UNKNOWN = "unknown", "In QuickBooks, not in CoreSync"
    STRIPE_MISSING = "stripe_missing", "Stripe charge without a CoreSync payment"
    STRIPE_AMOUNT = "stripe_amount", "Stripe amount differs from the payment"
    STRIPE_REFUND_MISSING = "refund_missing", "Stripe refund without a CoreSync refund"
    STRIPE_REFUND_AMOUNT = "refund_amount", "Stripe refund amount differs from CoreSync's"


class ReconciliationRun(models.Model):
    """One reconciliation of a spa-local ``day``: Stripe charges, CoreSync payments and
    refunds, QuickBooks receipts. ``error``: the run could not finish (a provider down)."""

    day = models.DateField()
    ran_at = models.DateTimeField()
    checked = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day", "-ran_at"]

    def __str__(self) -> str:
        return f"Reconciliation of {self.day}"


class Mismatch(models.Model):
    """One difference found by a :class:`ReconciliationRun`; amounts in dollars."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="mismatches")
    kind = models.CharField(max_length=20, choices=MismatchKind.choices)
    entity = models.CharField(max_length=60, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Booking, order, intent.")
    expected = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    quickbooks_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "kind", "entity"]
        verbose_name_plural = "mismatches"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.entity or self.reference}"

    @property
    def difference(self) -> Decimal | None:
        if self.expected is None or self.actual is None:
            return None
        return self.actual - self.expected


class QuickBooksCustomer(models.Model):
    """The QuickBooks Customer a CoreSync customer's receipts are made out to (found by its
    display name, or created once with a request id derived from the email)."""

    email = models.EmailField(unique=True)
    quickbooks_id = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email} → QuickBooks customer {self.quickbooks_id}"
