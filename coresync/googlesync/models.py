"""Google Calendar two-way sync (SPEC §6, §12): which Google calendar is each technician's,
the events CoreSync pushed there for bookings, and what changed on Google's side.

CoreSync stays the source of truth: bookings are pushed to the technician's calendar; the
technician's other events come back as :class:`~coresync.resources.models.ExternalBusyBlock`
rows; an event of ours changed or deleted in Google is flagged for the front desk
(:attr:`BookingEvent.flag`), never applied to the booking.
"""

from django.db import models


class CredentialKind(models.TextChoices):
    OAUTH = "oauth", "The technician's own Google account (OAuth)"
    SERVICE_ACCOUNT = "service_account", "The workspace's service account"


class CalendarLink(models.Model):
    """A technician's Google calendar. ``credentials_encrypted``: the OAuth user credentials
    (JSON of ``google.oauth2.credentials.Credentials``, Fernet-encrypted); empty for a
    service account, which acts for ``calendar_id`` by domain-wide delegation.
    ``sync_token``: Google's incremental sync token (empty: the next pull is a full one)."""

    technician = models.OneToOneField(
        "resources.Technician", on_delete=models.CASCADE, related_name="google_calendar"
    )
    kind = models.CharField(max_length=20, choices=CredentialKind.choices)
    calendar_id = models.CharField(
        max_length=255, default="primary", help_text='"primary" or the calendar\'s address.'
    )
    credentials_encrypted = models.TextField(blank=True)
    sync_token = models.TextField(blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    channel_id = models.CharField(max_length=64, blank=True)
    channel_resource_id = models.CharField(max_length=255, blank=True)
    channel_token = models.CharField(max_length=64, blank=True)
    channel_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.technician} → {self.calendar_id}"


class EventFlag(models.TextChoices):
    NONE = "", "—"
    CHANGED = "changed_in_google", "Moved or edited in Google"
    DELETED = "deleted_in_google", "Deleted in Google"


class BookingEvent(models.Model):
    """The event of one booking in one technician's calendar. ``event_id`` is derived from
    the booking and the technician (:func:`coresync.googlesync.calendar.event_id_for`), so
    an insert retried after a lost answer finds the same event (Google answers 409).
    ``pushed_start``/``pushed_end``: what we last wrote, to tell our writes from edits made
    in Google."""

    link = models.ForeignKey(CalendarLink, on_delete=models.CASCADE, related_name="events")
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, related_name="google_events"
    )
    event_id = models.CharField(max_length=1024)
    pushed_start = models.DateTimeField(null=True, blank=True)
    pushed_end = models.DateTimeField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    flag = models.CharField(max_length=30, choices=EventFlag.choices, blank=True, default="")
    flagged_at = models.DateTimeField(null=True, blank=True)
    flag_details = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "event_id"], name="booking_event_once"),
        ]
        indexes = [models.Index(fields=["flag"])]

    def __str__(self) -> str:
        return f"{self.booking} in {self.link}"
