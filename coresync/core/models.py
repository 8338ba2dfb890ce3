"""Cross-cutting records: API idempotency keys."""

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """One ``Idempotency-Key`` a client sent to a creating endpoint (STYLE.md: "Public POSTs
    that create things take an Idempotency-Key and replay the stored response").

    Written and committed *before* the request is processed (state ``in_progress``), so a
    concurrent repeat sees it and gets 409; on success the response is stored (``done``) and
    replayed for a repeat with the same fingerprint; a failed request deletes its record so
    the client may retry with the same key.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    scope = models.CharField(max_length=100, help_text="The endpoint, e.g. bookings.create.")
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} ({self.state})"
