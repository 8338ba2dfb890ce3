"""The transactional outbox and the record of every notification sent (SPEC §6).

:class:`OutboxMessage` is written in the same transaction as the change that causes it
(ARCHITECTURE.md "Background work"), then claimed and run by the dispatcher in
:mod:`coresync.notifications.outbox`. :class:`EmailLog` and :class:`NotificationLog` record
each send (or skip) per outbox message, which is also what makes handlers idempotent: a
message whose send is already logged as done is not sent again.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class OutboxStatus(models.TextChoices):
    """Life cycle of an outbox row.

    ``pending`` → ``processing`` (claimed, under a lease) → ``done``; a failed attempt goes to
    ``failed`` (retried at ``available_at``), and after the last attempt or a permanent error to
    ``dead`` (shown in the admin, "retry now" revives it). ``cancelled``: superseded before it
    ran (a reminder of a booking that moved).
    """

    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed, will retry"
    DEAD = "dead", "Dead (gave up)"
    CANCELLED = "cancelled", "Cancelled"


WAITING_STATUSES = (OutboxStatus.PENDING, OutboxStatus.FAILED)
"""Statuses of rows the dispatcher runs once ``available_at`` has come."""


class OutboxMessage(models.Model):
    """One unit of outbound work (an email, a push, a sync call) and its delivery state.

    ``payload`` is plain JSON (ids and ISO-8601 strings, never model instances).
    ``dedupe_key``: at most one row per key, so enqueueing twice does nothing.
    ``attempts`` counts claims (a crash mid-run counts too). ``locked_until``/``lock_token``:
    the lease of the worker running it; an expired lease means the worker died and the row
    is claimed again.
    """

    topic = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    # NULL, not "", when absent: the unique constraint applies only to real keys.
    dedupe_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(help_text="Not run before this instant (UTC).")
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["available_at", "pk"]
        indexes = [
            models.Index(fields=["status", "available_at"]),
            models.Index(fields=["status", "locked_until"]),
            models.Index(fields=["topic", "status"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} ({self.status})"


class OutboxAttempt(models.Model):
    """One run of an outbox message by a worker: when, how long, and how it ended."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id} attempt {self.number}"


class DeliveryStatus(models.TextChoices):
    """Outcome of one send. ``skipped_opt_out``: the user turned the channel off;
    ``skipped``: nothing to send any more, the reason in ``error`` (the booking was cancelled
    or moved, the customer has no phone number…)."""

    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED_OPT_OUT = "skipped_opt_out", "Skipped: opted out"
    SKIPPED = "skipped", "Skipped"


FINAL_DELIVERY_STATUSES = (
    DeliveryStatus.SENT,
    DeliveryStatus.SKIPPED_OPT_OUT,
    DeliveryStatus.SKIPPED,
)
"""Outcomes after which an outbox message is never sent again (at most one per message)."""


class EmailLog(models.Model):
    """One email send (or skip) of an outbox message: to whom, what, and how it went."""

    outbox_message = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.EmailField()
    kind = models.CharField(max_length=50)
    subject = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "email log entry"
        verbose_name_plural = "email log"
        indexes = [models.Index(fields=["kind", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["outbox_message"],
                condition=Q(status__in=["sent", "skipped_opt_out", "skipped"]),
                name="email_log_one_final_per_outbox_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"


class NotificationLog(models.Model):
    """One SMS or push send (or skip) of an outbox message (log-only providers write only
    this row)."""

    outbox_message = models.ForeignKey(
        OutboxMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10)
    to = models.CharField(max_length=255, blank=True, help_text="Phone number or user id.")
    kind = models.CharField(max_length=50)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices)
    error = models.TextField(blank=True)
    provider = models.CharField(max_length=50, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["channel", "kind", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["outbox_message"],
                condition=Q(status__in=["sent", "skipped_opt_out", "skipped"]),
                name="notification_log_one_final_per_outbox_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} to {self.to} ({self.status})"
