"""Conversations with the booking assistant: messages, one row per tool call, and the one
pending proposal a "yes" may execute (SPEC §9, ARCHITECTURE.md "Assistant")."""

import uuid

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "Website chat"
    PHONE = "phone", "Phone"
    API = "api", "API"


class Role(models.TextChoices):
    USER = "user", "Guest"
    ASSISTANT = "assistant", "Assistant"


class Operation(models.TextChoices):
    BOOK = "book", "Book"
    CANCEL = "cancel", "Cancel"
    RESCHEDULE = "reschedule", "Reschedule"


class Outcome(models.TextChoices):
    OK = "ok", "Done"
    REFUSED = "refused", "Refused by a rule"


class Conversation(models.Model):
    """One conversation: its owner (``None`` for a guest, who may carry a site session
    key), the channel and the dialogue state between turns (``state``: the slots filled so
    far — service, day, time, technician, add-ons, the booking talked about)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assistant_conversations",
    )
    session_key = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    language = models.CharField(max_length=8, default="en")
    state = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_activity_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} conversation {self.id}"


class Message(models.Model):
    """One message: the guest's words or the assistant's reply with its ``actions`` (the
    contract's action objects) and how long the turn took (``latency_ms``)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    actions = models.JSONField(default=list, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"


class ToolCall(models.Model):
    """One call of a tool (``coresync.assistant.tools``) during a turn: its arguments, its
    outcome and, when a rule refused it, the domain error code (e.g. ``slot_unavailable``)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="tool_calls"
    )
    tool = models.CharField(max_length=40)
    arguments = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tool} ({self.outcome})"


class Proposal(models.Model):
    """What the assistant offered to do in its last turn, stored on the server: the only
    thing a "yes" can execute, once, before ``expires_at``. ``payload`` holds the server's
    own values (service slug, start, technician, add-ons, booking reference)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="proposals"
    )
    operation = models.CharField(max_length=12, choices=Operation.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    discarded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.operation} proposal {self.id}"
