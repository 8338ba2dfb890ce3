"""The occupancy ledger: which resource unit is taken when (ARCHITECTURE.md "No double
booking").

Each booking writes one :class:`Allocation` per resource unit it occupies (a technician, or
one place of a room), covering the service time plus buffers. On PostgreSQL an exclusion
constraint (``bookings`` migration ``0002``, on this same table) forbids two active
allocations of one resource key from overlapping; SQLite serializes write transactions.

The ledger knows a booking only as the row it belongs to (a string reference, as Saleor's
warehouse allocations know their order line): scheduling never imports bookings.
"""

from django.db import models
from django.db.models import Q


class Allocation(models.Model):
    """One resource unit a booking occupies from ``starts_at`` to ``ends_at`` (UTC, buffers
    included, half-open). ``resource_key`` is ``"technician:<id>"`` or ``"room:<id>:<unit>"``;
    while ``is_active`` no two allocations of one key may overlap (PostgreSQL exclusion
    constraint). A pending booking's allocations stop counting at ``expires_at``."""

    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, related_name="allocations"
    )
    resource_key = models.CharField(max_length=40)
    technician = models.ForeignKey(
        "resources.Technician", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    room = models.ForeignKey(
        "resources.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["resource_key", "starts_at"]
        db_table = "bookings_allocation"  # the table predates the ledger's move to scheduling
        indexes = [
            models.Index(
                fields=["is_active", "starts_at", "ends_at"], name="bookings_al_is_acti_45f9e3_idx"
            ),
            models.Index(
                fields=["resource_key", "starts_at"], name="bookings_al_resourc_9b4801_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="allocation_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_key} {self.starts_at:%Y-%m-%d %H:%M}Z-{self.ends_at:%H:%M}Z"


def technician_key(technician_id: int) -> str:
    """Return the allocation ``resource_key`` of a technician."""
    return f"technician:{technician_id}"


def room_unit_key(room_id: int, unit: int) -> str:
    """Return the allocation ``resource_key`` of one place (``unit``, from 1) of a room."""
    return f"room:{room_id}:{unit}"
