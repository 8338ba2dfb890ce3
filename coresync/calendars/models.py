"""Private calendar feeds (SPEC §6): an unguessable URL per customer, technician or room that
Google Calendar, Apple Calendar and Outlook subscribe to.

The token in the URL is the only credential, so a feed is revoked by stamping ``revoked_at``
(the row stays, for the audit trail) and rotated by revoking it and issuing a new token for the
same owner. At most one feed per owner is live at a time (a partial unique constraint).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FeedKind(models.TextChoices):
    """Whose bookings a feed lists."""

    CUSTOMER = "customer", "Customer (own bookings)"
    TECHNICIAN = "technician", "Technician (assigned bookings)"
    ROOM = "room", "Room (bookings in the room)"


class CalendarFeedQuerySet(models.QuerySet):
    def live(self) -> "CalendarFeedQuerySet":
        """Feeds that still answer: not revoked."""
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """One private ICS feed at ``/calendars/<token>.ics``.

    Exactly one owner field is set, the one named by ``kind``: ``user`` for a customer feed,
    ``technician`` or ``room`` for a staff feed. ``token`` is 43 URL-safe characters from
    ``secrets.token_urlsafe(32)`` (256 bits). ``created_by``/``revoked_by`` are who asked (the
    customer, the technician, a manager); a rotation revokes the old feed and creates the new
    one in one transaction. Times are UTC.
    """

    kind = models.CharField(max_length=20, choices=FeedKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    technician = models.ForeignKey(
        "resources.Technician",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    room = models.ForeignKey(
        "resources.Room",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind=FeedKind.CUSTOMER,
                    user__isnull=False,
                    technician__isnull=True,
                    room__isnull=True,
                )
                | Q(
                    kind=FeedKind.TECHNICIAN,
                    user__isnull=True,
                    technician__isnull=False,
                    room__isnull=True,
                )
                | Q(
                    kind=FeedKind.ROOM,
                    user__isnull=True,
                    technician__isnull=True,
                    room__isnull=False,
                ),
                name="calendar_feed_owner_matches_kind",
            ),
            *(
                models.UniqueConstraint(
                    fields=[field],
                    condition=Q(kind=kind, revoked_at__isnull=True),
                    name=f"calendar_feed_one_live_per_{field}",
                )
                for kind, field in (
                    (FeedKind.CUSTOMER, "user"),
                    (FeedKind.TECHNICIAN, "technician"),
                    (FeedKind.ROOM, "room"),
                )
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"{self.get_kind_display()} feed of {self.owner} ({state})"

    @property
    def owner(self):
        """The user, technician or room whose bookings the feed lists."""
        return {FeedKind.CUSTOMER: self.user, FeedKind.TECHNICIAN: self.technician}.get(
            self.kind, self.room
        )

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
