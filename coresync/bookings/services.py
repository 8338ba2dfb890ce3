"""Booking state changes (SPEC §4): create, confirm, cancel, reschedule, check in, complete,
no-show, expire holds. Each is a named function with a status guard, one transaction, a
history entry, and no side effect before commit (STYLE.md "Domain logic").

Double booking: inside the transaction the chosen technicians and room are locked in a fixed
order (``select_for_update``, technicians then rooms, by primary key), availability is checked
again under the lock with the same engine that lists slots, then allocations are written; on
PostgreSQL the exclusion constraint refuses any overlap that slipped through, and that
``IntegrityError`` becomes :class:`~coresync.scheduling.errors.SlotUnavailable`.
"""

import dataclasses
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction

from coresync.bookings import events
from coresync.bookings.errors import (
    CustomerBusy,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
    InvalidTransition,
    TooLate,
)
from coresync.bookings.models import (
    ACTIVE_STATUSES,
    CANCELLABLE_STATUSES,
    RESCHEDULABLE_STATUSES,
    Allocation,
    Booking,
    BookingAddOn,
    BookingHistory,
    BookingStatus,
    BookingTier,
    room_unit_key,
    technician_key,
)
from coresync.bookings.policy import ensure_may_change, policy_for, policy_for_plan
from coresync.catalog.models import Service
from coresync.catalog.pricing import Quote, with_member_benefits
from coresync.core.clock import local_date, local_midnight_utc, within_calendar
from coresync.core.clock import now as clock_now
from coresync.core.errors import DomainError, Forbidden, InvalidInput
from coresync.giftcards import services as giftcards
from coresync.memberships import credits as member_credits
from coresync.memberships.models import Tier
from coresync.memberships.selectors import (
    CustomerAccess,
    get_customer_access,
    non_member_access,
    plan_access,
)
from coresync.resources.models import Room, Technician
from coresync.scheduling import cache as availability_cache
from coresync.scheduling.engine import Slot
from coresync.scheduling.errors import SlotUnavailable
from coresync.scheduling.loader import candidate_rooms, candidate_technicians
from coresync.scheduling.selectors import (
    AvailabilityRequest,
    build_availability_request,
    find_start,
    price_list_for,
)
from coresync.spa.selectors import get_settings
from coresync.spa.services import issue_reference

logger = logging.getLogger(__name__)

LOCK_TIMEOUT = "5s"

ANY_TECHNICIAN = "any"
"""``technician`` value of a reschedule that lets the engine choose (ARCHITECTURE.md)."""

GUEST_NAME_MAX_LENGTH = 150

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    BookingStatus.PENDING: (
        BookingStatus.CONFIRMED,
        BookingStatus.CANCELLED,
        BookingStatus.EXPIRED,
    ),
    BookingStatus.CONFIRMED: (
        BookingStatus.IN_PROGRESS,
        BookingStatus.CANCELLED,
        BookingStatus.NO_SHOW,
    ),
    BookingStatus.IN_PROGRESS: (BookingStatus.COMPLETED,),
}
"""Every status change a booking may make; anything else raises ``InvalidTransition``."""


def log_action(
    booking: Booking,
    action: str,
    *,
    actor=None,
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
) -> BookingHistory:
    """Write one booking history row (who, when, what) — the single place changes are logged —
    and publish it to subscribers in the same transaction (:mod:`coresync.bookings.events`)."""
    entry = BookingHistory.objects.create(
        booking=booking,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )
    events.publish(booking, action, entry.data)
    return entry


def _guard(booking: Booking, target: str) -> None:
    if target not in ALLOWED_TRANSITIONS.get(booking.status, ()):
        raise InvalidTransition(
            f"A {booking.get_status_display().lower()} booking cannot become {target}.",
            status=booking.status,
            target=target,
        )


def check_start(start: datetime) -> None:
    """Refuse a requested ``start`` that no booking can have.

    Raises:
        InvalidInput: naive (no UTC offset; ARCHITECTURE.md "API datetimes without an offset
            are refused") or outside 1900-01-01..2199-12-31 (:func:`within_calendar`).
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise InvalidInput(
            "start must include a UTC offset.", fields={"start": "Add a UTC offset."}
        )
    if not within_calendar(start):
        raise InvalidInput(
            "start must lie between 1900 and 2199.", fields={"start": "Out of range."}
        )


def _fingerprint(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _booking_tier(access: CustomerAccess, slot: Slot) -> str:
    """Return the access a booking is made under (SPEC §4 "Booking tier recorded")."""
    if access.tier == Tier.VIP:
        return BookingTier.VIP
    if access.is_member:
        return BookingTier.MEMBER_PRIORITY if slot.member_only else BookingTier.MEMBER_STANDARD
    return BookingTier.NON_MEMBER


def _lock_candidates(request: AvailabilityRequest) -> None:
    """Lock every technician and room that could serve ``request``: technicians first, then
    rooms, each in primary-key order, so concurrent bookings queue in one order and never
    deadlock. Availability read after these locks sees every booking committed before.
    (The caller, :func:`_reserve`, has set the lock timeout.)"""
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


def _expire_stale_holds(resource_keys: Sequence[str], now: datetime) -> None:
    """Expire pending bookings whose payment hold on these resources has run out, so their
    allocations no longer block the database constraint."""
    stale = (
        Allocation.objects.filter(
            resource_key__in=resource_keys, is_active=True, expires_at__lte=now
        )
        .values_list("booking_id", flat=True)
        .distinct()
    )
    for booking in Booking.objects.filter(pk__in=list(stale), status=BookingStatus.PENDING):
        _set_status(booking, BookingStatus.EXPIRED, actor=None, now=now)


def _resource_keys(slot: Slot) -> list[str]:
    keys = [technician_key(pk) for pk in slot.technician_ids]
    keys += [room_unit_key(slot.room_id, unit) for unit in slot.room_units]
    return sorted(keys)


def _write_allocations(
    booking: Booking, slot: Slot, buffer_before: int, buffer_after: int, expires_at
) -> None:
    starts_at = slot.start - timedelta(minutes=buffer_before)
    ends_at = slot.end + timedelta(minutes=buffer_after)
    rows = [
        Allocation(
            booking=booking,
            resource_key=technician_key(pk),
            technician_id=pk,
            starts_at=starts_at,
            ends_at=ends_at,
            expires_at=expires_at,
        )
        for pk in slot.technician_ids
    ] + [
        Allocation(
            booking=booking,
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


def _lock_customer(customer) -> None:
    """Lock the customer's row so two bookings for one customer are checked one at a time
    (the overlap rule below has no database constraint to fall back on)."""
    if getattr(customer, "pk", None) is None:
        return
    get_user_model().objects.select_for_update().filter(pk=customer.pk).values_list(
        "pk", flat=True
    ).first()


def customer_overlap(
    customer,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> Booking | None:
    """Return a booking of ``customer`` for themself (no ``guest_name``) whose service time
    overlaps ``start``–``end`` (aware; buffers excluded, half-open), or ``None``.

    Active bookings count (pending with a live payment hold, confirmed, in progress);
    bookings made for another guest do not: the customer is not in that room.
    Source: issue 18 item 4, ARCHITECTURE.md "One customer never holds two bookings…".
    """
    if getattr(customer, "pk", None) is None:
        return None
    overlapping = (
        Booking.objects.filter(
            customer_id=customer.pk,
            status__in=ACTIVE_STATUSES,
            guest_name="",
            start__lt=end,
            end__gt=start,
        )
        .exclude(status=BookingStatus.PENDING, hold_expires_at__lte=now)
        .order_by("start")
    )
    if exclude_booking_id is not None:
        overlapping = overlapping.exclude(pk=exclude_booking_id)
    return overlapping.first()


def _refuse_overlap(
    customer,
    slot: Slot,
    *,
    guest_name: str,
    now: datetime,
    exclude_booking_id: int | None = None,
) -> None:
    """Raise ``CustomerBusy`` when a booking for the customer themself (blank
    ``guest_name``) at ``slot`` would overlap another of theirs."""
    if guest_name:
        return
    clash = customer_overlap(
        customer, slot.start, slot.end, now=now, exclude_booking_id=exclude_booking_id
    )
    if clash is not None:
        zone = get_settings().zone
        raise CustomerBusy(
            f"You already have {clash.service.name} at "
            f"{clash.start.astimezone(zone).strftime('%I:%M %p').lstrip('0')} that day "
            f"({clash.reference}). "
            "To book for someone else, add their name as the guest.",
            fields={"start": "You already have a booking at this time."},
            booking=clash.reference,
        )


class _DuplicateIdempotencyKey(Exception):
    """A concurrent request with the same idempotency key committed its booking first."""


def _reserve(
    request: AvailabilityRequest,
    start: datetime,
    access: CustomerAccess,
    now: datetime,
    *,
    exclude_booking_id: int | None,
    enforce_booking_window: bool,
    write,
    customer=None,
):
    """Lock the customer (when given), then the candidate resources, find the slot for
    ``start`` under the locks and call ``write(slot)`` in the same transaction.

    Raises:
        SlotUnavailable: taken (also on an exclusion-constraint violation or a lock timeout).
        OutsideBookingWindow, OutsideWorkingHours, InvalidInput: from :func:`find_start`.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            _lock_customer(customer)
            _lock_candidates(request)
            slot = find_start(
                request,
                start,
                access,
                now=now,
                exclude_booking_id=exclude_booking_id,
                enforce_booking_window=enforce_booking_window,
            )
            _expire_stale_holds(_resource_keys(slot), now)
            return write(slot)
    except IntegrityError as error:
        if _is_exclusion_violation(error):
            logger.info("Allocation refused by the exclusion constraint at %s", start)
            raise SlotUnavailable(start=start) from error
        if "idempotency_key" in str(error):
            raise _DuplicateIdempotencyKey from error
        raise
    except OperationalError as error:
        if not _is_busy(error):
            raise  # the database connection was lost: not "taken", the API answers 503
        logger.warning("Booking lock not acquired at %s: %s", start, error)
        raise SlotUnavailable(
            "That time is being booked by someone else right now. Please try again.",
            start=start,
        ) from error


def _is_busy(error: OperationalError) -> bool:
    """Tell "busy, try again" — a lock not acquired in time (PostgreSQL ``lock_timeout``,
    SQLSTATE 55P03), a deadlock or serialization failure (class 40), SQLite's "database is
    locked" — from a lost connection (a failover, a cut, a terminated backend), which is no
    reason to tell the guest that someone else is booking their slot."""
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "55P03" or sqlstate.startswith("40")
    return getattr(cause, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _is_exclusion_violation(error: IntegrityError) -> bool:
    """Tell whether ``error`` is PostgreSQL's exclusion_violation (SQLSTATE 23P01)."""
    return getattr(error.__cause__, "sqlstate", None) == "23P01"


def create_booking(
    *,
    customer,
    service: Service | str,
    start: datetime,
    duration_minutes: int | None = None,
    addon_slugs: Sequence[str] = (),
    guests: int = 1,
    technician: Technician | str | None = None,
    room: Room | str | None = None,
    preferences: dict[str, Any] | None = None,
    notes: str = "",
    guest_name: str = "",
    idempotency_key: str | None = None,
    technicians: Sequence[Technician | str] = (),
    actor=None,
    now: datetime | None = None,
    enforce_booking_window: bool = True,
    awaiting_payment: bool = False,
    gift_card_code: str = "",
) -> Booking:
    """Book ``service`` at aware ``start`` for ``customer`` and return the booking.

    Args:
        customer: the user the booking is for (their membership decides tier and price).
        service: a Service or its slug; ``duration_minutes`` defaults to the shortest.
        start: aware datetime on the service's grid (any offset; stored in UTC).
        addon_slugs, guests, technician, room: the choices; technician/room ``None`` = any.
        technicians: for a group (couples) booking, the technicians it must include besides
            ``technician`` — one per guest at most; the engine chooses the rest.
        preferences, notes: the guest's wishes (pressure, temperature, music…).
        guest_name: who the booking is for when not the customer (up to 150 characters;
            blank = the customer). A booking for the customer themself may not overlap
            another of theirs (service times, buffers excluded).
        idempotency_key: a repeat with the same key and request returns the same booking
            (its ``was_replayed`` attribute is True); the same key with another request
            raises ``IdempotencyKeyReused``.
        actor: who acts (defaults to the customer); recorded in the history.
        now: the clock reading for the whole operation.
        enforce_booking_window: False lets staff and imports book outside notice/window.
        awaiting_payment: create ``pending`` and hold the slot for the spa's hold minutes
            instead of confirming at once (the offline "pay at the spa" default confirms).
        gift_card_code: a gift card paying what it can of the total (its balance keeps the
            rest); ``gift_card_amount`` records what it paid.

    Raises:
        InvalidInput (400), OutsideBookingWindow (422), OutsideWorkingHours (422),
        SlotUnavailable (409), CustomerBusy (409), IdempotencyKeyReused (422).
    """
    now = now or clock_now()
    spa_settings = get_settings()
    guest_name = _clean_guest_name(guest_name)
    service_slug = service.slug if isinstance(service, Service) else service
    technician_slug = technician.slug if isinstance(technician, Technician) else technician
    room_slug = room.slug if isinstance(room, Room) else room
    named_slugs = [row.slug if isinstance(row, Technician) else row for row in technicians]
    check_start(start)
    day = local_date(start, spa_settings.zone)
    request = build_availability_request(
        service_slug=service_slug,
        date_from=day,
        date_to=day,
        duration=duration_minutes,
        addon_slugs=addon_slugs,
        guests=guests,
        technician_slug=technician_slug,
        room_slug=room_slug,
        technician_slugs=named_slugs,
    )
    fingerprinted = {
        "service": service_slug,
        "start": start.astimezone(spa_settings.zone).isoformat(),
        "duration": request.minutes,
        "addons": sorted(addon.slug for addon in request.addons),
        "guests": guests,
        "technician": technician_slug,
        "room": room_slug,
        "preferences": preferences or {},
        "notes": notes,
    }
    # Only when given, so requests made before these fields existed replay as before.
    if request.technician_slugs:
        fingerprinted["technicians"] = sorted(request.technician_slugs)
    if guest_name:
        fingerprinted["guest_name"] = guest_name
    if gift_card_code:
        fingerprinted["gift_card"] = gift_card_code
    fingerprint = _fingerprint(fingerprinted)
    if idempotency_key:
        replayed = _replay(customer, idempotency_key, fingerprint)
        if replayed is not None:
            return replayed

    gift_card = giftcards.find_redeemable(gift_card_code) if gift_card_code else None
    access = get_customer_access(customer, local_date(now, spa_settings.zone), spa_settings)
    prices = price_list_for(request, access, spa_settings)
    service_row = request.service
    booking_policy = policy_for_plan(
        access.membership.plan if access.membership is not None else None
    ).as_dict()

    def write(slot: Slot) -> Booking:
        _refuse_overlap(customer, slot, guest_name=guest_name, now=now)
        room_row = Room.objects.get(pk=slot.room_id)
        quote: Quote = prices.quote(slot.start, guests, room_row.premium_modifier_percent)
        reference = issue_reference("CS", now)
        used = _take_benefits(access, customer, request, guests, slot, reference, actor or customer)
        quote = with_member_benefits(
            quote,
            credit=used.credit,
            birthday_percent=used.birthday_percent,
            package=used.package.package.name if used.package else "",
        )
        hold_expires_at = (
            now + timedelta(minutes=spa_settings.hold_minutes) if awaiting_payment else None
        )
        status = BookingStatus.PENDING if awaiting_payment else BookingStatus.CONFIRMED
        booking = Booking.objects.create(
            reference=reference,
            credits_used=1 if used.credit else 0,
            credit_period_start=access.membership.current_period_start if used.credit else None,
            birthday_benefit_year=local_date(slot.start, spa_settings.zone).year
            if used.birthday_percent
            else None,
            package_purchase=used.package,
            customer=customer,
            service=service_row,
            duration_minutes=request.minutes,
            technician_id=slot.technician_ids[0] if slot.technician_ids else None,
            room_id=slot.room_id,
            guests=guests,
            start=slot.start,
            end=slot.end,
            status=status,
            tier=_booking_tier(access, slot),
            customer_tier=access.tier,
            membership=access.membership,
            plan=access.membership.plan if access.membership is not None else None,
            cancellation_policy=booking_policy,
            preferences=preferences or {},
            notes=notes,
            guest_name=guest_name,
            price_lines=quote.stored_lines(),
            subtotal=quote.subtotal,
            tax=quote.tax,
            total=quote.total,
            currency=quote.currency,
            idempotency_key=idempotency_key or None,
            request_fingerprint=fingerprint,
            hold_expires_at=hold_expires_at,
        )
        BookingAddOn.objects.bulk_create(
            BookingAddOn(
                booking=booking, addon=addon, price=addon.price, extra_minutes=addon.extra_minutes
            )
            for addon in request.addons
        )
        _write_allocations(
            booking, slot, service_row.buffer_before, service_row.buffer_after, hold_expires_at
        )
        if gift_card is not None and quote.total > 0:
            booking.gift_card_amount = giftcards.redeem(gift_card.pk, quote.total, booking=booking)
            booking.save(update_fields=["gift_card_amount"])
        log_action(
            booking,
            "booking.created",
            actor=actor or customer,
            to_status=status,
            data={
                "start": slot.start.isoformat(),
                "technicians": list(slot.technician_slugs),
                "room": slot.room_slug,
                "total": str(quote.total),
            },
        )
        return booking

    try:
        booking = _reserve(
            request,
            start,
            access,
            now,
            exclude_booking_id=None,
            enforce_booking_window=enforce_booking_window,
            write=write,
            customer=customer,
        )
    except (SlotUnavailable, CustomerBusy, _DuplicateIdempotencyKey) as error:
        # A concurrent request with the same key may have won the race.
        replayed = _replay(customer, idempotency_key, fingerprint) if idempotency_key else None
        if replayed is not None:
            return replayed
        if isinstance(error, _DuplicateIdempotencyKey):
            raise IdempotencyRequestInProgress(key=idempotency_key) from error
        raise
    booking.was_replayed = False
    return booking


@dataclass(frozen=True)
class UsedBenefits:
    """What a new booking used: an included credit, a package session, or the birthday
    benefit (at most one of them)."""

    credit: bool = False
    package: Any = None
    birthday_percent: Decimal | None = None


def _take_benefits(
    access: CustomerAccess,
    customer,
    request: AvailabilityRequest,
    guests: int,
    slot: Slot,
    reference: str,
    actor,
) -> UsedBenefits:
    """Use, in this order, the member's included credit, a package session for this service,
    or the birthday benefit, for a booking at ``slot`` (under the customer's lock; each use is
    a conditional update, so nothing is used twice). Return what was used."""
    membership = access.membership
    day = local_date(slot.start, get_settings().zone)
    offered = member_credits.benefits_for(membership, customer, guests=guests, day=day)
    if offered.credit and member_credits.take_credit(
        membership, booking_reference=reference, actor=actor
    ):
        return UsedBenefits(credit=True)
    if guests == 1:
        package = giftcards.usable_package(customer, request.service, request.minutes, day)
        if package is not None and giftcards.take_session(package):
            return UsedBenefits(package=package)
    if offered.credit:  # the last credit went meanwhile: maybe the birthday benefit
        offered = member_credits.benefits_for(
            membership, customer, guests=guests, day=day, with_credits=False
        )
    if offered.birthday_percent and member_credits.take_birthday_benefit(
        membership, year=day.year, booking_reference=reference
    ):
        return UsedBenefits(birthday_percent=offered.birthday_percent)
    return UsedBenefits()


def _give_back_benefits(booking: Booking) -> None:
    """Give back the credit or birthday benefit a booking used (a free cancellation, an
    expired hold); a new period's credits are not touched."""
    if booking.package_purchase_id:
        giftcards.give_back_session(booking.package_purchase_id)
    if booking.membership_id is None:
        return
    if booking.credits_used:
        member_credits.give_back_credit(
            booking.membership_id,
            period_start=booking.credit_period_start,
            booking_reference=booking.reference,
        )
    if booking.birthday_benefit_year:
        member_credits.give_back_birthday_benefit(
            booking.membership_id,
            year=booking.birthday_benefit_year,
            booking_reference=booking.reference,
        )


def _with_recorded_benefits(booking: Booking, quote: Quote) -> Quote:
    """Re-apply to a new quote (a reschedule) the benefits ``booking`` used."""
    percent = booking.plan.birthday_discount_percent if booking.plan_id else None
    return with_member_benefits(
        quote,
        credit=booking.credits_used > 0,
        birthday_percent=percent if booking.birthday_benefit_year else None,
        package=booking.package_purchase.package.name if booking.package_purchase_id else "",
    )


def _clean_guest_name(guest_name: str | None) -> str:
    """Return ``guest_name`` stripped, or raise ``InvalidInput`` when it is too long."""
    guest_name = " ".join((guest_name or "").split())
    if len(guest_name) > GUEST_NAME_MAX_LENGTH:
        raise InvalidInput(
            f"The guest's name is at most {GUEST_NAME_MAX_LENGTH} characters.",
            fields={"guest_name": f"At most {GUEST_NAME_MAX_LENGTH} characters."},
        )
    return guest_name


def _replay(customer, idempotency_key: str, fingerprint: str) -> Booking | None:
    existing = Booking.objects.filter(customer=customer, idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(key=idempotency_key)
    existing.was_replayed = True
    return existing


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().get(pk=booking.pk)


def _set_status(booking: Booking, target: str, *, actor, now: datetime, **changes: Any) -> Booking:
    """Move a (locked) booking to ``target``, deactivating allocations when it stops holding
    its resources, and log it."""
    _guard(booking, target)
    previous = booking.status
    booking.status = target
    for name, value in changes.items():
        setattr(booking, name, value)
    booking.save(update_fields=["status", "updated_at", *changes])
    if target not in ACTIVE_STATUSES and target != BookingStatus.COMPLETED:
        Allocation.objects.filter(booking=booking, is_active=True).update(is_active=False)
        availability_cache.invalidate_interval(booking.start, booking.end)
    if target == BookingStatus.EXPIRED:
        _give_back_benefits(booking)  # never paid for: the credit was not used
    if target in (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS):
        Allocation.objects.filter(booking=booking, is_active=True).update(expires_at=None)
        availability_cache.invalidate_interval(booking.start, booking.end)
    data = {key: str(value) for key, value in changes.items() if key != "cancelled_by"}
    log_action(
        booking,
        f"booking.{target}",
        actor=actor,
        from_status=previous,
        to_status=target,
        data=data,
    )
    return booking


def confirm_booking(booking: Booking, *, actor=None, now: datetime | None = None) -> Booking:
    """Confirm a pending booking (payment received). A hold that has run out is expired
    instead and ``SlotUnavailable`` raised, so the caller refunds.

    Raises:
        InvalidTransition: not pending. SlotUnavailable: the payment hold expired.
    """
    now = now or clock_now()
    expired = False
    with transaction.atomic():
        booking = _locked(booking)
        if (
            booking.status == BookingStatus.PENDING
            and booking.hold_expires_at
            and (booking.hold_expires_at <= now)
        ):
            _set_status(booking, BookingStatus.EXPIRED, actor=actor, now=now)
            expired = True
        else:
            _set_status(
                booking, BookingStatus.CONFIRMED, actor=actor, now=now, hold_expires_at=None
            )
    if expired:
        raise SlotUnavailable("The payment hold on this booking expired.", start=booking.start)
    return booking


def cancel_booking(
    booking: Booking,
    *,
    actor,
    now: datetime | None = None,
    waive_fee: bool = False,
    reason: str = "",
) -> Booking:
    """Cancel a pending or confirmed booking before it starts, recording the policy's fee.

    The fee is 0.00 until ``free_until_hours`` (elapsed) before the start, then the late fee
    percent of the total (SPEC §4). Only a manager may waive it.

    Raises:
        InvalidTransition: not pending/confirmed. TooLate: the booking has started.
        Forbidden: ``actor`` is neither the customer, the front desk nor a manager (a
            technician); ``waive_fee`` by someone who is not a manager.
    """
    now = now or clock_now()
    ensure_may_change(booking, actor)
    if waive_fee and not getattr(actor, "is_manager", False):
        raise Forbidden("Only a manager can waive a cancellation fee.")
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status not in CANCELLABLE_STATUSES:
            _guard(booking, BookingStatus.CANCELLED)
        if now >= booking.start:
            raise TooLate("The booking has already started; it can no longer be cancelled.")
        policy = policy_for(booking)
        fee = policy.cancellation_fee(booking, now)
        booking = _set_status(
            booking,
            BookingStatus.CANCELLED,
            actor=actor,
            now=now,
            cancelled_at=now,
            cancelled_by=actor if getattr(actor, "pk", None) else None,
            cancellation_fee=Decimal("0.00") if waive_fee else fee,
            fee_waived=waive_fee and fee > 0,
            cancellation_reason=reason[:200],
        )
        if now <= policy.free_until(booking.start):
            # Cancelled in the free window: the included credit or birthday benefit comes
            # back. A late cancellation (even of a booking the credit made free) keeps it.
            _give_back_benefits(booking)
        return booking


def booked_technician_slugs(booking: Booking) -> tuple[str, ...]:
    """Return the slugs of the technicians ``booking`` holds (its active allocations; all of
    them for a couples booking), sorted; ``()`` for a self-guided service."""
    slugs = set(
        booking.allocations.filter(is_active=True, technician__isnull=False).values_list(
            "technician__slug", flat=True
        )
    )
    if not slugs and booking.technician_id:
        slugs = {booking.technician.slug}
    return tuple(sorted(slugs))


def recorded_access(booking: Booking, spa_settings) -> CustomerAccess:
    """Return the access (tier, discount) ``booking`` was made under: the plan recorded on
    it when it was made (``Booking.plan``, not the membership's plan of today), or a
    non-member's. A reschedule is priced with it, so a booking keeps its tier and price
    until the guest books anew (issue 19 item 3)."""
    if booking.plan_id is not None:
        return plan_access(booking.plan, booking.membership)
    return non_member_access(spa_settings)


@dataclass(frozen=True)
class ReschedulePlan:
    """What a reschedule of ``booking`` to ``slot`` would be (nothing written).

    ``quote``: the new price under the booking's recorded tier; ``price_difference``:
    new total minus the current one (negative = cheaper); ``technician_slugs``: who serves
    the new time; ``kept_technicians``: whether they are the booked ones.
    """

    booking: Booking
    slot: Slot
    quote: Quote
    technician_slugs: tuple[str, ...]
    kept_technicians: bool

    @property
    def price_difference(self) -> Decimal:
        return self.quote.total - self.booking.total


def _reschedule_request(
    booking: Booking, start: datetime, technician, spa_settings
) -> AvailabilityRequest:
    """Build the availability question of moving ``booking`` to ``start`` with
    ``technician`` (see :func:`reschedule_availability_request`).

    Raises:
        InvalidInput: a start without offset or outside 1900-2199 (:func:`check_start`).
    """
    check_start(start)
    return reschedule_availability_request(
        booking, local_date(start, spa_settings.zone), technician
    )


def reschedule_availability_request(
    booking: Booking, day: date, technician: Technician | str | None
) -> AvailabilityRequest:
    """Return the availability question of moving ``booking`` to spa-local ``day``: the same
    service, duration, add-ons and guests, with ``technician`` ``None`` keeping the booked
    technician(s) (both of a couples booking), :data:`ANY_TECHNICIAN` letting the engine
    choose, and a slug or ``Technician`` naming another (ARCHITECTURE.md "HTTP API").

    Raises:
        InvalidInput: as :func:`build_availability_request` (e.g. a technician who does not
            give the service).
    """
    if isinstance(technician, Technician):
        technician = technician.slug
    kept: tuple[str, ...] = ()
    if technician is None:
        kept = booked_technician_slugs(booking)
        technician = kept[0] if len(kept) == 1 else None
    elif technician == ANY_TECHNICIAN:
        technician = None
    request = build_availability_request(
        service_slug=booking.service.slug,
        date_from=day,
        date_to=day,
        duration=booking.duration_minutes,
        addon_slugs=[item.addon.slug for item in booking.booking_addons.all()],
        guests=booking.guests,
        technician_slug=technician,
    )
    if len(kept) > 1:
        request = dataclasses.replace(request, technician_slugs=kept)
    return request


def _check_reschedulable(booking: Booking, actor, now: datetime) -> bool:
    """Refuse a reschedule the caller's role, the status or the cut-off forbids; return
    whether ``actor`` is a manager (who may move a booking until its start, outside the
    booking window)."""
    ensure_may_change(booking, actor)
    if booking.status not in RESCHEDULABLE_STATUSES:
        raise InvalidTransition(
            f"A {booking.get_status_display().lower()} booking cannot be rescheduled."
        )
    is_manager = getattr(actor, "is_manager", False)
    cutoff = booking.start if is_manager else policy_for(booking).free_until(booking.start)
    if now > cutoff:
        raise TooLate("It is too late to reschedule this booking; it can still be cancelled.")
    return is_manager


def preview_reschedule(
    booking: Booking,
    *,
    start: datetime,
    actor,
    technician: Technician | str | None = None,
    now: datetime | None = None,
) -> ReschedulePlan:
    """Return what :func:`reschedule_booking` with the same arguments would do, writing
    nothing: the slot, who serves it and the price under the booking's recorded tier (the
    site's review step). The same checks run, without locks, so a later commit may still
    be refused if someone takes the time meanwhile.

    Raises:
        the errors of :func:`reschedule_booking`.
    """
    now = now or clock_now()
    spa_settings = get_settings()
    is_manager = _check_reschedulable(booking, actor, now)
    request = _reschedule_request(booking, start, technician, spa_settings)
    access = get_customer_access(booking.customer, local_date(now, spa_settings.zone), spa_settings)
    slot = find_start(
        request,
        start,
        access,
        now=now,
        exclude_booking_id=booking.pk,
        enforce_booking_window=not is_manager,
    )
    _refuse_overlap(
        booking.customer,
        slot,
        guest_name=booking.guest_name,
        now=now,
        exclude_booking_id=booking.pk,
    )
    prices = price_list_for(request, recorded_access(booking, spa_settings), spa_settings)
    room_row = Room.objects.get(pk=slot.room_id)
    quote = prices.quote(slot.start, booking.guests, room_row.premium_modifier_percent)
    quote = _with_recorded_benefits(booking, quote)
    return ReschedulePlan(
        booking=booking,
        slot=slot,
        quote=quote,
        technician_slugs=tuple(slot.technician_slugs),
        kept_technicians=tuple(sorted(slot.technician_slugs)) == booked_technician_slugs(booking),
    )


def reschedule_booking(
    booking: Booking,
    *,
    start: datetime,
    actor,
    technician: Technician | str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking to a new start, keeping its reference, choices, tier and history.

    Rules (ARCHITECTURE.md "HTTP API", issue 18 items 3-4, issue 19 item 3):

    1. ``technician`` ``None`` keeps the booked technician(s) (both of a couples booking);
       if one of them is busy at the new start → ``SlotUnavailable``. ``"any"``
       (:data:`ANY_TECHNICIAN`) lets the engine choose; a slug or ``Technician`` names
       another.
    2. The new start passes the same availability check as a new booking under the
       customer's current access (window, member holds); the booking's own allocations are
       ignored.
    3. The price is quoted again for the new time (peak hours, room) under the tier the
       booking was made under (:func:`recorded_access`), never the customer's plan of today;
       ``tier`` and ``customer_tier`` stay as recorded.
    4. A booking for the customer themself may not overlap another of theirs.
    5. Customers may reschedule until the free-cancellation cut-off; managers until the
       start, outside the booking window.

    Raises:
        InvalidTransition: not pending/confirmed. TooLate: past the cut-off.
        InvalidInput, OutsideBookingWindow, OutsideWorkingHours, SlotUnavailable,
        CustomerBusy.
    """
    now = now or clock_now()
    spa_settings = get_settings()
    is_manager = _check_reschedulable(booking, actor, now)
    request = _reschedule_request(booking, start, technician, spa_settings)
    access = get_customer_access(booking.customer, local_date(now, spa_settings.zone), spa_settings)
    prices = price_list_for(request, recorded_access(booking, spa_settings), spa_settings)
    service = request.service

    def write(slot: Slot) -> Booking:
        locked = _locked(booking)
        if locked.status not in RESCHEDULABLE_STATUSES:
            raise InvalidTransition("The booking changed meanwhile; it cannot be rescheduled.")
        _refuse_overlap(
            locked.customer,
            slot,
            guest_name=locked.guest_name,
            now=now,
            exclude_booking_id=locked.pk,
        )
        old = {
            "start": locked.start.isoformat(),
            "total": str(locked.total),
            "technicians": list(booked_technician_slugs(locked)),
        }
        Allocation.objects.filter(booking=locked, is_active=True).update(is_active=False)
        availability_cache.invalidate_interval(locked.start, locked.end)
        room_row = Room.objects.get(pk=slot.room_id)
        quote = prices.quote(slot.start, locked.guests, room_row.premium_modifier_percent)
        quote = _with_recorded_benefits(locked, quote)
        _write_allocations(
            locked,
            slot,
            service.buffer_before,
            service.buffer_after,
            locked.hold_expires_at if locked.status == BookingStatus.PENDING else None,
        )
        locked.start, locked.end = slot.start, slot.end
        locked.technician_id = slot.technician_ids[0] if slot.technician_ids else None
        locked.room_id = slot.room_id
        locked.price_lines = quote.stored_lines()
        locked.subtotal, locked.tax, locked.total = quote.subtotal, quote.tax, quote.total
        locked.reschedule_count += 1
        locked.save(
            update_fields=[
                "start",
                "end",
                "technician",
                "room",
                "price_lines",
                "subtotal",
                "tax",
                "total",
                "reschedule_count",
                "updated_at",
            ]
        )
        log_action(
            locked,
            "booking.rescheduled",
            actor=actor,
            from_status=locked.status,
            to_status=locked.status,
            data={
                "from": old,
                "to": {"start": slot.start.isoformat(), "total": str(quote.total)},
                "technicians": list(slot.technician_slugs),
                "room": slot.room_slug,
            },
        )
        return locked

    return _reserve(
        request,
        start,
        access,
        now,
        exclude_booking_id=booking.pk,
        enforce_booking_window=not is_manager,
        write=write,
        customer=booking.customer,
    )


def check_in_window(booking: Booking, spa_settings=None) -> tuple[datetime, datetime]:
    """Return ``(opens, closes)``, the aware instants between which ``booking`` may be
    checked in: from ``SpaSettings.check_in_window_minutes`` (default 120) before its start,
    but not before its spa-local day begins, until that day ends (half-open).
    Source: issue 18 item 5 ("check-in only on the day, a configurable window before the
    start")."""
    spa_settings = spa_settings or get_settings()
    zone = spa_settings.zone
    day = local_date(booking.start, zone)
    day_starts = local_midnight_utc(day, zone)
    opens = max(booking.start - timedelta(minutes=spa_settings.check_in_window_minutes), day_starts)
    return opens, local_midnight_utc(day + timedelta(days=1), zone)


def can_check_in(booking: Booking, now: datetime) -> bool:
    """Tell whether ``booking`` may be checked in at ``now`` (confirmed, inside
    :func:`check_in_window`)."""
    if booking.status != BookingStatus.CONFIRMED:
        return False
    opens, closes = check_in_window(booking)
    return opens <= now < closes


def check_in_booking(
    booking: Booking, *, actor, now: datetime | None = None, enforce_window: bool = True
) -> Booking:
    """Mark the guest arrived and the service started (confirmed → in_progress), on the
    booking's spa-local day from the spa's check-in window before the start.

    ``enforce_window`` False is for restoring a spa file's ``in_progress`` bookings only.

    Raises:
        InvalidTransition: not confirmed, or outside :func:`check_in_window`.
    """
    now = now or clock_now()
    with transaction.atomic():
        booking = _locked(booking)
        if enforce_window and booking.status == BookingStatus.CONFIRMED:
            opens, closes = check_in_window(booking)
            if not opens <= now < closes:
                zone = get_settings().zone
                raise InvalidTransition(
                    "A guest can be checked in on the day of the booking only, from "
                    f"{opens.astimezone(zone).strftime('%I:%M %p').lstrip('0')}.",
                    status=booking.status,
                    target=BookingStatus.IN_PROGRESS,
                )
        return _set_status(
            booking, BookingStatus.IN_PROGRESS, actor=actor, now=now, checked_in_at=now
        )


def complete_booking(booking: Booking, *, actor, now: datetime | None = None) -> Booking:
    """Mark the service done (in_progress → completed): only a checked-in booking can be
    completed (issue 18 item 5).

    Raises:
        InvalidTransition: any other status (a confirmed booking must be checked in first).
    """
    now = now or clock_now()
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status == BookingStatus.CONFIRMED:
            raise InvalidTransition(
                "Check the guest in before completing the booking.",
                status=booking.status,
                target=BookingStatus.COMPLETED,
            )
        return _set_status(booking, BookingStatus.COMPLETED, actor=actor, now=now, completed_at=now)


def mark_no_show(booking: Booking, *, actor, now: datetime | None = None) -> Booking:
    """Record that the guest did not come (confirmed → no_show, after the start), with the
    policy's no-show fee, and free the rest of the booked time.

    Raises:
        InvalidTransition: not confirmed, or the start has not come yet.
    """
    now = now or clock_now()
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status == BookingStatus.CONFIRMED and now < booking.start:
            raise InvalidTransition("A guest can only be a no-show once the start time has passed.")
        fee = policy_for(booking).no_show_fee(booking)
        return _set_status(
            booking, BookingStatus.NO_SHOW, actor=actor, now=now, cancellation_fee=fee
        )


def expire_holds(now: datetime | None = None) -> int:
    """Expire every pending booking whose payment hold ran out; return how many.

    Run every minute by the scheduler; availability already ignores expired holds, this
    makes their status and allocations say so too.
    """
    now = now or clock_now()
    count = 0
    due = Booking.objects.filter(status=BookingStatus.PENDING, hold_expires_at__lte=now)
    for booking_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            booking = Booking.objects.select_for_update().get(pk=booking_id)
            if booking.status == BookingStatus.PENDING and booking.hold_expires_at <= now:
                _set_status(booking, BookingStatus.EXPIRED, actor=None, now=now)
                count += 1
    return count


def quote_booking(
    *,
    customer,
    service: str,
    start: datetime | None = None,
    duration_minutes: int | None = None,
    addon_slugs: Sequence[str] = (),
    guests: int = 1,
    room: str | None = None,
    now: datetime | None = None,
) -> Quote:
    """Price a booking without making it (the ``POST quotes/`` endpoint).

    With a ``start``, peak pricing applies and the room is the one the engine would choose
    (or ``room``); without one, no peak or room modifier is applied.

    Raises:
        InvalidInput: as :func:`build_availability_request`, or a start without offset.
    """
    now = now or clock_now()
    spa_settings = get_settings()
    if start is not None:
        check_start(start)
    day = local_date(start or now, spa_settings.zone)
    request = build_availability_request(
        service_slug=service,
        date_from=day,
        date_to=day,
        duration=duration_minutes,
        addon_slugs=addon_slugs,
        guests=guests,
        room_slug=room,
    )
    access = get_customer_access(customer, local_date(now, spa_settings.zone), spa_settings)
    prices = price_list_for(request, access, spa_settings)
    if start is None:
        return prices.price(guests, peak_percent=Decimal("0"), room_percent=Decimal("0"))
    room_row = Room.objects.filter(slug=room).first() if room else None
    if room_row is None:
        try:
            slot = find_start(request, start, access, now=now, enforce_booking_window=False)
            room_row = Room.objects.get(pk=slot.room_id)
        except DomainError:
            room_row = None  # not bookable at that start: quote without a room modifier
    modifier = room_row.premium_modifier_percent if room_row else Decimal("0")
    return prices.quote(start, guests, modifier)
