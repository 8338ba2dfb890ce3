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
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q

from coresync.accounts.models import acts_for_every_customer
from coresync.bookings import events
from coresync.bookings.errors import (
    CustomerBusy,
    IdempotencyRequestInProgress,
    InvalidTransition,
    TooLate,
)
from coresync.bookings.models import (
    ACTIVE_STATUSES,
    CANCELLABLE_STATUSES,
    RESCHEDULABLE_STATUSES,
    Booking,
    BookingAddOn,
    BookingHistory,
    BookingStatus,
    BookingTier,
)
from coresync.bookings.policy import ensure_may_change, policy_for, policy_for_plan
from coresync.catalog.models import Service
from coresync.catalog.pricing import Quote, with_member_benefits
from coresync.core import idempotency
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
from coresync.resources.models import AvailabilityException, Room, Technician
from coresync.scheduling import ledger
from coresync.scheduling.engine import DayException, Slot, exception_span
from coresync.scheduling.errors import SlotUnavailable
from coresync.scheduling.models import Allocation
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
        BookingStatus.NEEDS_REASSIGNMENT,
    ),
    BookingStatus.IN_PROGRESS: (BookingStatus.COMPLETED,),
    BookingStatus.NEEDS_REASSIGNMENT: (BookingStatus.CONFIRMED, BookingStatus.CANCELLED),
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


def _booking_tier(access: CustomerAccess, slot: Slot) -> str:
    """Return the access a booking is made under (SPEC §4 "Booking tier recorded")."""
    if access.tier == Tier.VIP:
        return BookingTier.VIP
    if access.is_member:
        return BookingTier.MEMBER_PRIORITY if slot.member_only else BookingTier.MEMBER_STANDARD
    return BookingTier.NON_MEMBER


def _expire_stale_holds(resource_keys: Sequence[str], now: datetime) -> None:
    """Expire pending bookings whose payment hold on these resources has run out, so their
    allocations no longer block the database constraint."""
    stale = ledger.expired_holders(resource_keys, now)
    for booking in Booking.objects.filter(pk__in=stale, status=BookingStatus.PENDING):
        _set_status(booking, BookingStatus.EXPIRED, actor=None, now=now)


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
            ledger.lock_candidates(request)
            slot = find_start(
                request,
                start,
                access,
                now=now,
                exclude_booking_id=exclude_booking_id,
                enforce_booking_window=enforce_booking_window,
            )
            _expire_stale_holds(ledger.resource_keys(slot), now)
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
            raises ``IdempotencyKeyReused`` (the rules of :mod:`coresync.core.idempotency`).
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
    guest_name = _clean_guest_name(guest_name)
    idempotency_key = idempotency.clean_key(idempotency_key)
    technician_slug = technician.slug if isinstance(technician, Technician) else technician
    room_slug = room.slug if isinstance(room, Room) else room
    check_start(start)
    question = _prepare(
        customer,
        service=service,
        day_of=start,
        duration_minutes=duration_minutes,
        addon_slugs=addon_slugs,
        guests=guests,
        technician_slug=technician_slug,
        room_slug=room_slug,
        technician_slugs=[row.slug if isinstance(row, Technician) else row for row in technicians],
        now=now,
    )
    fingerprint = _booking_fingerprint(
        question,
        start=start,
        technician_slug=technician_slug,
        room_slug=room_slug,
        preferences=preferences or {},
        notes=notes,
        guest_name=guest_name,
        gift_card_code=gift_card_code,
    )
    if idempotency_key:
        replayed = _replay(customer, idempotency_key, fingerprint)
        if replayed is not None:
            return replayed
    draft = _NewBooking(
        question=question,
        customer=customer,
        actor=actor or customer,
        preferences=preferences or {},
        notes=notes,
        guest_name=guest_name,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        awaiting_payment=awaiting_payment,
        gift_card=giftcards.find_redeemable(gift_card_code) if gift_card_code else None,
    )
    try:
        booking = _reserve(
            question.request,
            start,
            question.access,
            question.now,
            exclude_booking_id=None,
            enforce_booking_window=enforce_booking_window,
            write=functools.partial(_write_new_booking, draft),
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
class _Question:
    """What create, quote and reschedule work out before looking at the calendar: the clock
    reading, the spa's settings, the availability question, the customer's access today and
    the prices that access pays."""

    now: datetime
    spa_settings: Any
    request: AvailabilityRequest
    access: CustomerAccess
    prices: Any


def _prepare(
    customer,
    *,
    service: Service | str,
    day_of: datetime,
    duration_minutes: int | None,
    addon_slugs: Sequence[str],
    guests: int,
    technician_slug: str | None = None,
    room_slug: str | None = None,
    technician_slugs: Sequence[str] = (),
    now: datetime | None,
) -> _Question:
    """Build the availability question for the local day of ``day_of`` and the customer's
    access and prices (the one preparation step of :func:`create_booking` and
    :func:`quote_booking`).

    Raises:
        InvalidInput: as :func:`build_availability_request`.
    """
    now = now or clock_now()
    spa_settings = get_settings()
    day = local_date(day_of, spa_settings.zone)
    request = build_availability_request(
        service_slug=service.slug if isinstance(service, Service) else service,
        date_from=day,
        date_to=day,
        duration=duration_minutes,
        addon_slugs=addon_slugs,
        guests=guests,
        technician_slug=technician_slug,
        room_slug=room_slug,
        technician_slugs=technician_slugs,
    )
    access = get_customer_access(customer, local_date(now, spa_settings.zone), spa_settings)
    prices = price_list_for(request, access, spa_settings)
    return _Question(now, spa_settings, request, access, prices)


def _booking_fingerprint(
    question: _Question,
    *,
    start: datetime,
    technician_slug: str | None,
    room_slug: str | None,
    preferences: dict[str, Any],
    notes: str,
    guest_name: str,
    gift_card_code: str = "",
) -> str:
    """Return the idempotency fingerprint of a booking request: its normalized choices
    (:func:`coresync.core.idempotency.fingerprint`)."""
    request = question.request
    fingerprinted = {
        "service": request.service.slug,
        "start": start.astimezone(question.spa_settings.zone).isoformat(),
        "duration": request.minutes,
        "addons": sorted(addon.slug for addon in request.addons),
        "guests": request.guests,
        "technician": technician_slug,
        "room": room_slug,
        "preferences": preferences,
        "notes": notes,
    }
    # Only when given, so requests made before these fields existed replay as before.
    if request.technician_slugs:
        fingerprinted["technicians"] = sorted(request.technician_slugs)
    if guest_name:
        fingerprinted["guest_name"] = guest_name
    if gift_card_code:
        fingerprinted["gift_card"] = gift_card_code
    return idempotency.fingerprint(fingerprinted)


@dataclass(frozen=True)
class _NewBooking:
    """A booking decided but not yet placed: what :func:`_write_new_booking` writes once
    :func:`_reserve` has found its slot under the locks."""

    question: _Question
    customer: Any
    actor: Any
    preferences: dict[str, Any]
    notes: str
    guest_name: str
    idempotency_key: str | None
    fingerprint: str
    awaiting_payment: bool
    gift_card: Any = None


def _quote_slot(prices, slot: Slot, guests: int) -> Quote:
    """Price ``slot`` for ``guests``: peak hours at its start, its room's premium."""
    room = Room.objects.get(pk=slot.room_id)
    return prices.quote(slot.start, guests, room.premium_modifier_percent)


def _write_new_booking(draft: _NewBooking, slot: Slot) -> Booking:
    """Write the booking of ``draft`` at ``slot`` (inside :func:`_reserve`'s transaction):
    the row with its recorded tier, plan, policy and price, its add-ons, its allocations and
    the history entry (whose event writes the outbox rows)."""
    question = draft.question
    now, request, access = question.now, question.request, question.access
    _refuse_overlap(draft.customer, slot, guest_name=draft.guest_name, now=now)
    reference = issue_reference("CS", now)
    used = _take_benefits(
        access, draft.customer, request, request.guests, slot, reference, draft.actor
    )
    quote = with_member_benefits(
        _quote_slot(question.prices, slot, request.guests),
        credit=used.credit,
        birthday_percent=used.birthday_percent,
        package=used.package.package.name if used.package else "",
    )
    hold_expires_at = (
        now + timedelta(minutes=question.spa_settings.hold_minutes)
        if draft.awaiting_payment
        else None
    )
    status = BookingStatus.PENDING if draft.awaiting_payment else BookingStatus.CONFIRMED
    plan = access.membership.plan if access.membership is not None else None
    booking = Booking.objects.create(
        reference=reference,
        credits_used=1 if used.credit else 0,
        credit_period_start=access.membership.current_period_start if used.credit else None,
        birthday_benefit_year=local_date(slot.start, question.spa_settings.zone).year
        if used.birthday_percent
        else None,
        package_purchase=used.package,
        customer=draft.customer,
        service=request.service,
        duration_minutes=request.minutes,
        technician_id=slot.technician_ids[0] if slot.technician_ids else None,
        room_id=slot.room_id,
        guests=request.guests,
        start=slot.start,
        end=slot.end,
        status=status,
        tier=_booking_tier(access, slot),
        customer_tier=access.tier,
        membership=access.membership,
        plan=plan,
        cancellation_policy=policy_for_plan(plan).as_dict(),
        preferences=draft.preferences,
        notes=draft.notes,
        guest_name=draft.guest_name,
        price_lines=quote.stored_lines(),
        subtotal=quote.subtotal,
        tax=quote.tax,
        total=quote.total,
        currency=quote.currency,
        idempotency_key=draft.idempotency_key,
        request_fingerprint=draft.fingerprint,
        hold_expires_at=hold_expires_at,
    )
    BookingAddOn.objects.bulk_create(
        BookingAddOn(
            booking=booking, addon=addon, price=addon.price, extra_minutes=addon.extra_minutes
        )
        for addon in request.addons
    )
    ledger.allocate(
        booking.pk,
        slot,
        buffer_before=request.service.buffer_before,
        buffer_after=request.service.buffer_after,
        expires_at=hold_expires_at,
    )
    if draft.gift_card is not None and quote.total > 0:
        booking.gift_card_amount = giftcards.redeem(
            draft.gift_card.pk, quote.total, booking=booking
        )
        booking.save(update_fields=["gift_card_amount"])
    log_action(
        booking,
        "booking.created",
        actor=draft.actor,
        to_status=status,
        data={
            "start": slot.start.isoformat(),
            "technicians": list(slot.technician_slugs),
            "room": slot.room_slug,
            "total": str(quote.total),
        },
    )
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
    return idempotency.replay(
        Booking.objects.filter(customer=customer), idempotency_key, fingerprint
    )


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
        ledger.release(booking.pk, booking.start, booking.end)
    if target == BookingStatus.EXPIRED:
        _give_back_benefits(booking)  # never paid for: the credit was not used
    if target in (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS):
        ledger.keep(booking.pk, booking.start, booking.end)
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
            # Time off or maintenance given while the payment was awaited: the booking is
            # kept but flagged.
            review_absences(
                booking_technician_ids(booking),
                room_ids=booking.allocations.filter(is_active=True, room__isnull=False)
                .values_list("room_id", flat=True)
                .distinct(),
                now=now,
            )
            booking.refresh_from_db(fields=["status"])
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
    whether ``actor`` is a manager or the front desk (who may move a booking until its start,
    outside the booking window)."""
    ensure_may_change(booking, actor)
    if booking.status not in RESCHEDULABLE_STATUSES:
        raise InvalidTransition(
            f"A {booking.get_status_display().lower()} booking cannot be rescheduled."
        )
    # The front desk moves the day's bookings on the day board like a manager
    # (docs/decisions/0010-front-desk-moves-bookings-until-the-start.md).
    is_manager = acts_for_every_customer(actor)
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
    5. Customers may reschedule until the free-cancellation cut-off; managers and the front
       desk until the start, outside the booking window.

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
    move = _Move(
        booking=booking,
        actor=actor,
        now=now,
        service=request.service,
        prices=price_list_for(request, recorded_access(booking, spa_settings), spa_settings),
    )
    return _reserve(
        request,
        start,
        access,
        now,
        exclude_booking_id=booking.pk,
        enforce_booking_window=not is_manager,
        write=functools.partial(_write_move, move),
        customer=booking.customer,
    )


@dataclass(frozen=True)
class _Move:
    """A reschedule decided but not yet placed (:func:`_write_move`)."""

    booking: Booking
    actor: Any
    now: datetime
    service: Service
    prices: Any


def _write_move(move: _Move, slot: Slot) -> Booking:
    """Move the booking of ``move`` to ``slot`` (inside :func:`_reserve`'s transaction):
    release its units, take the new ones, price it again under its recorded tier, log it."""
    locked = _locked(move.booking)
    if locked.status not in RESCHEDULABLE_STATUSES:
        raise InvalidTransition("The booking changed meanwhile; it cannot be rescheduled.")
    _refuse_overlap(
        locked.customer,
        slot,
        guest_name=locked.guest_name,
        now=move.now,
        exclude_booking_id=locked.pk,
    )
    old = {
        "start": locked.start.isoformat(),
        "total": str(locked.total),
        "technicians": list(booked_technician_slugs(locked)),
    }
    ledger.release(locked.pk, locked.start, locked.end)
    quote = _with_recorded_benefits(locked, _quote_slot(move.prices, slot, locked.guests))
    ledger.allocate(
        locked.pk,
        slot,
        buffer_before=move.service.buffer_before,
        buffer_after=move.service.buffer_after,
        expires_at=locked.hold_expires_at if locked.status == BookingStatus.PENDING else None,
    )
    locked.start, locked.end = slot.start, slot.end
    locked.technician_id = slot.technician_ids[0] if slot.technician_ids else None
    locked.room_id = slot.room_id
    locked.price_lines = quote.stored_lines()
    locked.subtotal, locked.tax, locked.total = quote.subtotal, quote.tax, quote.total
    locked.reschedule_count += 1
    previous_status = locked.status
    if locked.status == BookingStatus.NEEDS_REASSIGNMENT:
        # The engine placed it with technicians free at the new start: resolved.
        locked.status = BookingStatus.CONFIRMED
    locked.save(
        update_fields=[
            "status",
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
        actor=move.actor,
        from_status=previous_status,
        to_status=locked.status,
        data={
            "from": old,
            "to": {"start": slot.start.isoformat(), "total": str(quote.total)},
            "technicians": list(slot.technician_slugs),
            "room": slot.room_slug,
        },
    )
    return locked


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


def can_check_in(booking: Booking, now: datetime, spa_settings=None) -> bool:
    """Tell whether ``booking`` may be checked in at ``now`` (confirmed, inside
    :func:`check_in_window`); pass ``spa_settings`` when asking for many bookings."""
    if booking.status != BookingStatus.CONFIRMED:
        return False
    opens, closes = check_in_window(booking, spa_settings)
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
    if start is not None:
        check_start(start)
    question = _prepare(
        customer,
        service=service,
        day_of=start or now or clock_now(),
        duration_minutes=duration_minutes,
        addon_slugs=addon_slugs,
        guests=guests,
        room_slug=room,
        now=now,
    )
    prices = question.prices
    if start is None:
        return prices.price(guests, peak_percent=Decimal("0"), room_percent=Decimal("0"))
    room_row = Room.objects.filter(slug=room).first() if room else None
    if room_row is None:
        try:
            slot = find_start(
                question.request,
                start,
                question.access,
                now=question.now,
                enforce_booking_window=False,
            )
            room_row = Room.objects.get(pk=slot.room_id)
        except DomainError:
            room_row = None  # not bookable at that start: quote without a room modifier
    modifier = room_row.premium_modifier_percent if room_row else Decimal("0")
    return prices.quote(start, guests, modifier)


# -- technicians' absences over booked time --------------------------------------------------


@dataclass
class AbsenceReview:
    """What :func:`review_absences` changed: bookings now ``needs_reassignment`` and bookings
    whose technicians are all available again (back to ``confirmed``)."""

    flagged: list[Booking] = field(default_factory=list)
    cleared: list[Booking] = field(default_factory=list)


def booking_technician_ids(booking: Booking) -> list[int]:
    """Return the ids of the technicians ``booking`` holds (active allocations, else its
    technician)."""
    ids = set(
        booking.allocations.filter(is_active=True, technician__isnull=False).values_list(
            "technician_id", flat=True
        )
    )
    if not ids and booking.technician_id:
        ids = {booking.technician_id}
    return sorted(ids)


def absence_spans(
    technician_ids: Iterable[int], since: date, zone, *, room_ids: Iterable[int] = ()
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Return, per resource key (``technician:<id>``, ``room:<id>``), the UTC spans their
    exceptions (day off, vacation, sick leave, part days…; a room's maintenance) take away
    from local day ``since`` on, as the engine cuts them
    (:func:`coresync.scheduling.engine.exception_span`). One query."""
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    rows = AvailabilityException.objects.filter(
        Q(technician_id__in=list(technician_ids)) | Q(room_id__in=list(room_ids))
    ).filter(Q(end_date__isnull=True, date__gte=since) | Q(end_date__gte=since))
    for technician_id, room_id, first, last, start, end in rows.values_list(
        "technician_id", "room_id", "date", "end_date", "start", "end"
    ):
        span = exception_span(DayException(first, last or first, start, end), zone)
        if span is not None:
            key = f"technician:{technician_id}" if technician_id else f"room:{room_id}"
            spans[key].append(span)
    return spans


def _allocation_key(allocation: Allocation) -> str:
    if allocation.technician_id:
        return f"technician:{allocation.technician_id}"
    return f"room:{allocation.room_id}"


def review_absences(
    technician_ids: Iterable[int] = (),
    *,
    room_ids: Iterable[int] = (),
    actor=None,
    now: datetime | None = None,
) -> AbsenceReview:
    """Bring the status of the upcoming bookings of ``technician_ids`` and ``room_ids`` in
    line with their time off and maintenance (ARCHITECTURE.md: an exception over existing
    bookings keeps them but gives each the status ``needs_reassignment``).

    1. Find the bookings these technicians or rooms hold that have not ended: confirmed
       ones, and ones already ``needs_reassignment``.
    2. For each, see whether any of its technicians (both of a couples booking) is away, or
       its room closed, during its allocation (service time and buffers, as the engine
       would refuse it).
    3. Under a row lock: a confirmed booking over an absence or a closure becomes
       ``needs_reassignment`` (history ``booking.needs_reassignment``, naming the absent
       technicians and the closed rooms; the event tells the customer and the managers); a
       flagged booking whose technicians are all back and rooms open (the exception was
       deleted or shortened) becomes ``confirmed`` again.

    Runs in the caller's transaction (its own when there is none), so the status change and
    its outbox rows commit with the exception that caused them. Called when an exception is
    saved or deleted (wherever from: API, admin, portal approval, spa file) and when a
    pending booking is confirmed.
    """
    now = now or clock_now()
    zone = get_settings().zone
    review = AbsenceReview()
    technician_ids, room_ids = list(technician_ids), list(room_ids)
    if not technician_ids and not room_ids:
        return review
    watched = (BookingStatus.CONFIRMED, BookingStatus.NEEDS_REASSIGNMENT)
    booking_ids = set(
        Allocation.objects.filter(
            Q(technician_id__in=technician_ids) | Q(room_id__in=room_ids),
            is_active=True,
            booking__status__in=watched,
            booking__end__gt=now,
        ).values_list("booking_id", flat=True)
    )
    if not booking_ids:
        return review
    allocations: dict[int, list[Allocation]] = defaultdict(list)
    for allocation in Allocation.objects.filter(
        Q(technician__isnull=False) | Q(room__isnull=False),
        booking_id__in=booking_ids,
        is_active=True,
    ).select_related("technician", "room"):
        allocations[allocation.booking_id].append(allocation)
    rows = [row for booked in allocations.values() for row in booked]
    spans = absence_spans(
        {row.technician_id for row in rows if row.technician_id},
        local_date(now, zone) - timedelta(days=1),
        zone,
        room_ids={row.room_id for row in rows if row.room_id},
    )
    with transaction.atomic():
        bookings = Booking.objects.select_for_update().filter(pk__in=booking_ids).order_by("pk")
        for booking in bookings:
            unavailable = [
                row
                for row in allocations[booking.pk]
                if any(
                    start < row.ends_at and row.starts_at < end
                    for start, end in spans.get(_allocation_key(row), ())
                )
            ]
            absent = sorted({row.technician.slug for row in unavailable if row.technician_id})
            closed = sorted({row.room.slug for row in unavailable if not row.technician_id})
            if unavailable and booking.status == BookingStatus.CONFIRMED:
                _guard(booking, BookingStatus.NEEDS_REASSIGNMENT)
                booking.status = BookingStatus.NEEDS_REASSIGNMENT
                booking.save(update_fields=["status", "updated_at"])
                log_action(
                    booking,
                    "booking.needs_reassignment",
                    actor=actor,
                    from_status=BookingStatus.CONFIRMED,
                    to_status=BookingStatus.NEEDS_REASSIGNMENT,
                    data={
                        "absent_technicians": absent,
                        **({"closed_rooms": closed} if closed else {}),
                    },
                )
                review.flagged.append(booking)
            elif not unavailable and booking.status == BookingStatus.NEEDS_REASSIGNMENT:
                _set_status(booking, BookingStatus.CONFIRMED, actor=actor, now=now)
                review.cleared.append(booking)
    return review
