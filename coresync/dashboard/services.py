"""The front desk's changes (SPEC §7, issue 12): each one a booking service with its own rules
and history; this module only checks that the actor is the desk and picks the service.

Nothing here re-implements a booking rule: check-in windows, the no-show fee of the policy,
cancellation fees, reschedule rules and availability all stay in
:mod:`coresync.bookings.services` and :mod:`coresync.scheduling.selectors`.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from coresync.accounts.models import Role, User, acts_for_every_customer
from coresync.accounts.validation import normalize_phone
from coresync.bookings import services as bookings
from coresync.bookings.models import Booking
from coresync.core.clock import now as clock_now
from coresync.dashboard.errors import Forbidden, InvalidInput
from coresync.scheduling.selectors import next_free_slot

DESK_ACTIONS: dict[str, Callable[..., Booking]] = {
    "check_in": bookings.check_in_booking,
    "complete": bookings.complete_booking,
    "no_show": bookings.mark_no_show,
    "cancel": bookings.cancel_booking,
}
"""The board's buttons and the booking service each one calls. Checking in starts the
service (confirmed → in_progress, issue 18): "check in" and "start" are one step."""


def ensure_desk(actor) -> None:
    """Raise :class:`Forbidden` unless ``actor`` is the front desk, a manager or a superuser
    (technicians and customers never act on the board)."""
    if not acts_for_every_customer(actor):
        raise Forbidden("Only the front desk or a manager can do that.")


def run_desk_action(
    booking: Booking, action: str, *, actor, now: datetime | None = None, reason: str = ""
) -> Booking:
    """Apply one of :data:`DESK_ACTIONS` to ``booking`` for the desk.

    Args:
        action: ``check_in``, ``complete``, ``no_show`` or ``cancel``.
        actor: the signed-in staff member (recorded in the booking's history).
        now: the clock reading; read once here when omitted.
        reason: a cancellation's reason (shown to the guest).

    Raises:
        Forbidden: ``actor`` is not the desk. InvalidInput: unknown ``action``.
        InvalidTransition, TooLate…: the booking service's own refusals, unchanged.
    """
    ensure_desk(actor)
    service = DESK_ACTIONS.get(action)
    if service is None:
        raise InvalidInput("Unknown action.", fields={"action": "invalid"})
    now = now or clock_now()
    if action == "cancel":
        return service(booking, actor=actor, now=now, reason=reason)
    return service(booking, actor=actor, now=now)


def move_booking(
    booking: Booking, *, start: datetime, actor, technician: str | None = None, now=None
) -> Booking:
    """Move ``booking`` to aware ``start`` (and ``technician``: a slug, ``"any"``, or
    ``None`` to keep theirs) through :func:`coresync.bookings.services.reschedule_booking`.

    Raises:
        Forbidden: ``actor`` is not the desk; the reschedule service's refusals otherwise.
    """
    ensure_desk(actor)
    return bookings.reschedule_booking(
        booking, start=start, actor=actor, technician=technician or None, now=now
    )


def book_for_customer(*, actor, customer: User, **choices: Any) -> Booking:
    """Book on behalf of ``customer`` at the desk: :func:`create_booking` with the desk as
    actor and without the customer's notice and advance window (staff may book any free
    time; the engine's other rules all apply).

    Raises:
        Forbidden: ``actor`` is not the desk; ``create_booking``'s refusals otherwise.
    """
    ensure_desk(actor)
    return bookings.create_booking(
        customer=customer, actor=actor, enforce_booking_window=False, **choices
    )


def book_walk_in(
    *,
    actor,
    customer: User,
    service: str,
    duration_minutes: int | None = None,
    addon_slugs: Sequence[str] = (),
    guests: int = 1,
    now: datetime | None = None,
) -> Booking:
    """Book the next free start of today for a guest at the desk
    (:func:`coresync.scheduling.selectors.next_free_slot`: the engine's slots for the spa-local
    day from now on, notice waived) with the technicians and room the engine chose.
    ``duration_minutes`` (None: the shortest), ``addon_slugs`` and ``guests`` as for
    :func:`coresync.bookings.services.create_booking`.

    Raises:
        Forbidden: not the desk. InvalidInput: no free start is left today (``fields``
        ``service``). ``create_booking``'s refusals (a race lost: ``SlotUnavailable``).
    """
    ensure_desk(actor)
    now = now or clock_now()
    slot = next_free_slot(
        service=service,
        duration_minutes=duration_minutes,
        addon_slugs=addon_slugs,
        guests=guests,
        customer=customer,
        now=now,
    )
    if slot is None:
        raise InvalidInput(
            "No free time is left today for that service.", fields={"service": "full"}
        )
    return bookings.create_booking(
        customer=customer,
        actor=actor,
        service=service,
        duration_minutes=duration_minutes,
        addon_slugs=tuple(addon_slugs),
        guests=guests,
        start=slot.start,
        # One technician per guest: the ones the engine chose for this start.
        technician=slot.technician_slugs[0] if slot.technician_slugs else None,
        technicians=tuple(slot.technician_slugs[1:]),
        room=slot.room_slug,
        enforce_booking_window=False,
        now=now,
    )


def add_customer(*, actor, name: str, email: str, phone: str = "") -> User:
    """Create a customer account at the desk (no password: the customer sets one through
    "forgot password" if they ever sign in).

    Raises:
        Forbidden: not the desk. InvalidInput: a missing name, a malformed or taken email, a
        bad phone number (``fields`` name them).
    """
    ensure_desk(actor)
    name, email = (name or "").strip(), (email or "").strip().lower()
    fields: dict[str, str] = {}
    if not name or len(name) > 150:
        fields["name"] = "Enter the guest's name (up to 150 characters)."
    try:
        validate_email(email)
    except ValidationError:
        fields["email"] = "Enter a valid email address."
    try:
        phone = normalize_phone(phone)
    except InvalidInput as error:
        fields.update(error.fields)
    if "email" not in fields and User.objects.filter(email__iexact=email).exists():
        fields["email"] = "An account with this email already exists: search for it."
    if fields:
        raise InvalidInput("; ".join(fields.values()), fields=fields)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=None, name=name, phone=phone, role=Role.CUSTOMER
            )
    except IntegrityError as error:
        raise InvalidInput(
            "An account with this email already exists.", fields={"email": "taken"}
        ) from error
