"""Cross-cutting records: the audit log of manager edits and money changes.

(The API's idempotency records gave way to the key kept on the row a step creates,
:mod:`coresync.core.idempotency`; migration ``0002``.)"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditEntry(models.Model):
    """One change to a row that is not a booking (bookings keep their own
    ``BookingHistory``): who (``actor``; empty for the system, e.g. a Stripe webhook), when,
    what (``action``, a dotted name such as ``service.changed`` or ``payment.succeeded``),
    on which row (``subject``: its type and primary key, with a label kept for rows deleted
    since) and the details (``data``: the fields changed and their new values, an amount…).

    Written by :func:`coresync.core.audit.record` in the transaction of the change.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["subject_type", "subject_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M}Z {self.action} {self.subject_label}"
