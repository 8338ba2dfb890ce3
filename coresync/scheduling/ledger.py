"""Writing the occupancy ledger (:class:`~coresync.scheduling.models.Allocation`): lock the
candidates of a booking, take a slot's resource units, release or keep them. Bookings call
these inside their own transaction; the database's exclusion constraint (PostgreSQL) is the
last line against double booking (ARCHITECTURE.md "No double booking").

Every write bumps the availability cache for the interval it touches (after commit,
:mod:`coresync.scheduling.cache`).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from coresync.resources.models import Technician
from coresync.scheduling import cache as availability_cache
from coresync.scheduling.engine import Slot
from coresync.scheduling.loader import candidate_rooms, candidate_technicians
from coresync.scheduling.models import Allocation, room_unit_key, technician_key
from coresync.scheduling.selectors import AvailabilityRequest


def lock_candidates(request: AvailabilityRequest) -> None:
    """Lock (``SELECT … FOR UPDATE``) every technician and room that could serve
    ``request``: technicians first, then rooms, each in primary-key order, so concurrent
    bookings queue in one order and never deadlock. Availability read after these locks sees
    every booking committed before. Call inside a transaction."""
    group = request.guests > 1
    technicians = candidate_technicians(request.service, None if group else request.technician_slug)
    list(
        Technician.objects.select_for_update()
        .filter(pk__in=[technician.pk for technician in technicians])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rooms = candidate_rooms(
        request.service, request.guests, room_slug=request.room_slug, room_type=request.room_type
    )
    list(rooms.select_for_update().order_by("pk").values_list("pk", flat=True))


def resource_keys(slot: Slot) -> list[str]:
    """Return the sorted ledger keys of every unit ``slot`` occupies (its technicians, then its
    room's places)."""
    keys = [technician_key(pk) for pk in slot.technician_ids]
    keys += [room_unit_key(slot.room_id, unit) for unit in slot.room_units]
    return sorted(keys)


def expired_holders(keys: Sequence[str], now: datetime) -> list[int]:
    """Return the ids of the bookings whose payment hold on any of ``keys`` ran out at or
    before ``now`` (UTC) while their allocations still count: the caller expires them before
    taking the units, so the database constraint does not refuse a free slot."""
    return list(
        Allocation.objects.filter(resource_key__in=keys, is_active=True, expires_at__lte=now)
        .values_list("booking_id", flat=True)
        .distinct()
    )


def allocate(
    booking_id: int,
    slot: Slot,
    *,
    buffer_before: int,
    buffer_after: int,
    expires_at: datetime | None,
) -> None:
    """Write one allocation per unit of ``slot`` for the booking ``booking_id``, covering the
    service time plus ``buffer_before``/``buffer_after`` minutes; a pending booking's units
    stop counting at ``expires_at`` (UTC, ``None`` for a confirmed one).

    Raises:
        django.db.IntegrityError: PostgreSQL's exclusion constraint found an overlap
            (SQLSTATE 23P01); the caller turns it into ``SlotUnavailable``.
    """
    starts_at = slot.start - timedelta(minutes=buffer_before)
    ends_at = slot.end + timedelta(minutes=buffer_after)
    rows = [
        Allocation(
            booking_id=booking_id,
            resource_key=technician_key(pk),
            technician_id=pk,
            starts_at=starts_at,
            ends_at=ends_at,
            expires_at=expires_at,
        )
        for pk in slot.technician_ids
    ] + [
        Allocation(
            booking_id=booking_id,
            resource_key=room_unit_key(slot.room_id, unit),
            room_id=slot.room_id,
            unit=unit,
            starts_at=starts_at,
            ends_at=ends_at,
            expires_at=expires_at,
        )
        for unit in slot.room_units
    ]
    rows.sort(key=lambda row: row.resource_key)
    for row in rows:
        # One insert per row, in resource order, so concurrent writers meet in the same order.
        row.save(force_insert=True)
    availability_cache.invalidate_interval(starts_at, ends_at)


def release(booking_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Free every unit the booking ``booking_id`` holds (cancelled, expired, moved); the
    booking's service time ``starts_at``–``ends_at`` (UTC) names the days to recompute."""
    Allocation.objects.filter(booking_id=booking_id, is_active=True).update(is_active=False)
    availability_cache.invalidate_interval(starts_at, ends_at)


def keep(booking_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Make the units of the booking ``booking_id`` count for good (its payment hold ends:
    confirmed or checked in)."""
    Allocation.objects.filter(booking_id=booking_id, is_active=True).update(expires_at=None)
    availability_cache.invalidate_interval(starts_at, ends_at)
