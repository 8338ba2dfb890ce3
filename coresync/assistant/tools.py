"""The tool layer: the only way the assistant touches the spa (ARCHITECTURE.md "Assistant").

Each tool calls the same services and selectors as the API and the site, as the caller
(a signed-in user, or a guest), so windows, notice, prices, fees and ownership are the
site's. Each call is recorded as a :class:`~coresync.assistant.models.ToolCall` row. A
rule's refusal is a :class:`~coresync.core.errors.DomainError` the dialogue turns into a
reply.

Read tools: ``search_services``, ``check_availability``, ``quote``, ``my_bookings``,
``spa_info``. Proposal tools (``propose_booking``, ``propose_cancel``,
``propose_reschedule``) check everything the write would, write nothing and store a
:class:`~coresync.assistant.models.Proposal`. Write tools (``book``, ``cancel``,
``reschedule``) take only such a proposal, confirmed by the caller in the next turn and not
expired: the engine never supplies an id the server did not give it.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from coresync.assistant.dates import PARTS_OF_DAY
from coresync.assistant.models import Conversation, Operation, Outcome, Proposal, ToolCall
from coresync.bookings.models import Booking
from coresync.bookings.policy import can_cancel, ensure_may_change, policy_for
from coresync.bookings.selectors import bookings_visible_to
from coresync.bookings.services import (
    cancel_booking,
    preview_reschedule,
    quote_booking,
    reschedule_booking,
)
from coresync.catalog.models import Service
from coresync.checkout.services import BookingChoice, checkout_booking
from coresync.core.clock import local_date
from coresync.core.errors import DomainError, InvalidTransition, NotFound
from coresync.core.money import format_amount
from coresync.memberships.models import MembershipPlan
from coresync.memberships.selectors import get_customer_access
from coresync.resources.models import WorkingHours
from coresync.scheduling.selectors import (
    OfferRow,
    build_availability_request,
    find_start,
    list_availability,
)
from coresync.spa.models import SpaSettings


class SignInRequired(DomainError):
    """A guest asked for something only a signed-in customer may do (booking, changes)."""

    code = "sign_in_required"
    status = 401
    default_message = "Please sign in to book; I'll keep this conversation."


class ProposalMissing(DomainError):
    """A write without a confirmed, unexpired proposal of the previous turn."""

    code = "no_proposal"
    status = 409
    default_message = "There is nothing waiting for your yes."


@dataclass
class ToolContext:
    """Who asks and when: the caller (a user or ``AnonymousUser``), the clock read once
    for the turn, the spa's settings and the conversation the calls are recorded on."""

    user: Any
    now: datetime
    spa_settings: SpaSettings
    conversation: Conversation
    had_open_proposal: bool = False
    confirmable: Proposal | None = None

    @property
    def signed_in(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @property
    def zone(self):
        return self.spa_settings.zone

    @property
    def today(self) -> date:
        return local_date(self.now, self.zone)


def _record(context: ToolContext, tool: str, arguments: dict, error: DomainError | None) -> None:
    ToolCall.objects.create(
        conversation=context.conversation,
        tool=tool,
        arguments=arguments,
        outcome=Outcome.REFUSED if error else Outcome.OK,
        error_code=error.code if error else "",
        created_at=context.now,
    )


def _tool(function):
    """Record each call of ``function`` (its keyword arguments, outcome and error code)."""

    @functools.wraps(function)
    def wrapper(context: ToolContext, **arguments):
        recorded = {key: _jsonable(value) for key, value in arguments.items()}
        try:
            result = function(context, **arguments)
        except DomainError as error:
            _record(context, function.__name__, recorded, error)
            raise
        _record(context, function.__name__, recorded, None)
        return result

    return wrapper


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Proposal):
        return str(value.pk)
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def _iso(instant: datetime, context: ToolContext) -> str:
    return instant.astimezone(context.zone).isoformat()


def slot_json(row: OfferRow) -> dict:
    """One slot as the ``slots`` action lists it (ARCHITECTURE.md "Assistant")."""
    return {
        "start": row.start,
        "end": row.end,
        "technician": row.technician_slugs[0] if row.technician_slugs else None,
        "room": row.room_slug,
        "price": {"total": row.price["total"]},
    }


# --- read tools -----------------------------------------------------------------------


@_tool
def search_services(context: ToolContext) -> list[dict]:
    """Return the active services with their durations and the caller's price for each
    (``quote_booking`` without a start: no peak or room modifier)."""
    services = []
    for service in Service.objects.filter(is_active=True).prefetch_related("variants"):
        variants = []
        for variant in sorted(service.variants.all(), key=lambda v: v.minutes):
            quote = quote_booking(
                customer=context.user,
                service=service.slug,
                duration_minutes=variant.minutes,
                now=context.now,
            )
            variants.append({"minutes": variant.minutes, "total": format_amount(quote.total)})
        services.append({"slug": service.slug, "name": service.name, "variants": variants})
    return services


@_tool
def check_availability(
    context: ToolContext,
    *,
    service: str,
    day: date,
    days: int = 1,
    duration: int | None = None,
    addons: list[str] | tuple = (),
    technician: str | None = None,
    part_of_day: str | None = None,
) -> list[OfferRow]:
    """Return the caller's free slots for ``service`` from local ``day`` over ``days``
    days: the listing ``GET availability/`` gives this caller, optionally cut to a part of
    the day (morning, afternoon, evening).

    Raises:
        InvalidInput: as :func:`coresync.scheduling.selectors.build_availability_request`.
    """
    access = get_customer_access(context.user, context.today, context.spa_settings)
    listing = list_availability(
        service_slug=service,
        date_from=day,
        date_to=day + timedelta(days=days - 1),
        duration=duration,
        addon_slugs=addons,
        technician_slug=technician,
        access=access,
        now=context.now,
        spa_settings=context.spa_settings,
    )
    rows = listing.rows
    if part_of_day in PARTS_OF_DAY:
        low, high = PARTS_OF_DAY[part_of_day]
        rows = [row for row in rows if low <= datetime.fromisoformat(row.start).time() < high]
    return rows


@_tool
def quote(
    context: ToolContext,
    *,
    service: str,
    duration: int | None = None,
    addons: list[str] | tuple = (),
    start: datetime | None = None,
) -> dict:
    """Return the caller's price for ``service`` (``quote_booking``, the ``POST quotes/``
    service) as the ``quote`` action's ``price``."""
    result = quote_booking(
        customer=context.user,
        service=service,
        start=start,
        duration_minutes=duration,
        addon_slugs=addons,
        now=context.now,
    )
    return result.as_dict()


@_tool
def my_bookings(context: ToolContext) -> list[Booking]:
    """Return the caller's upcoming pending or confirmed bookings (at most 5), as
    ``bookings_visible_to`` shows them (a guest has none)."""
    if not context.signed_in:
        raise SignInRequired("Please sign in to see your bookings.")
    return list(
        bookings_visible_to(context.user)
        .filter(end__gt=context.now, status__in=("pending", "confirmed"))
        .order_by("start")[:5]
    )


def _opening_hours(context: ToolContext) -> str:
    hours = WorkingHours.objects.filter(room__isnull=False, room__is_active=True)
    starts = [row.start for row in hours]
    ends = [row.end for row in hours]
    if not starts:
        return ""
    return f"{min(starts):%H:%M}–{max(ends):%H:%M}"


@_tool
def spa_info(context: ToolContext, *, topic: str = "all") -> dict:
    """Return the spa's facts: hours (the rooms' opening hours), address, phone, email,
    parking (settings ``ASSISTANT_SPA_FACTS``), the cancellation policy and the membership
    plans (``MembershipPlan``)."""
    spa = context.spa_settings
    plans = [
        {
            "name": plan.name,
            "monthly_price": format_amount(plan.monthly_price),
            "discount_percent": str(plan.discount_percent.normalize()),
            "advance_days": plan.advance_days,
        }
        for plan in MembershipPlan.objects.filter(is_active=True).order_by("monthly_price")
    ]
    return {
        "name": spa.name,
        "hours": _opening_hours(context),
        **settings.ASSISTANT_SPA_FACTS,
        "free_cancellation_hours": spa.free_cancellation_hours,
        "late_cancellation_fee_percent": str(spa.late_cancellation_fee_percent.normalize()),
        "min_notice_minutes": spa.min_notice_minutes,
        "plans": plans,
    }


# --- proposals ------------------------------------------------------------------------


def _store_proposal(context: ToolContext, operation: str, payload: dict) -> Proposal:
    return Proposal.objects.create(
        conversation=context.conversation,
        operation=operation,
        payload=payload,
        created_at=context.now,
        expires_at=context.now + timedelta(minutes=settings.ASSISTANT_PROPOSAL_MINUTES),
    )


def _require_customer(context: ToolContext) -> None:
    if not context.signed_in:
        raise SignInRequired()


@_tool
def propose_booking(
    context: ToolContext,
    *,
    service: str,
    start: datetime,
    duration: int | None = None,
    addons: list[str] | tuple = (),
    technician: str | None = None,
) -> tuple[Proposal, dict]:
    """Check that the caller may book ``service`` at aware ``start`` (the engine that books:
    window, notice, hours, members-only days, free resources) and store the proposal;
    return it and the ``proposal`` action.

    Raises:
        SignInRequired: a guest. OutsideBookingWindow, OutsideWorkingHours,
        SlotUnavailable, InvalidInput: as :func:`coresync.scheduling.selectors.find_start`.
    """
    _require_customer(context)
    access = get_customer_access(context.user, context.today, context.spa_settings)
    day = local_date(start, context.zone)
    request = build_availability_request(
        service_slug=service,
        date_from=day,
        date_to=day,
        duration=duration,
        addon_slugs=addons,
        technician_slug=technician,
    )
    slot = find_start(request, start, access, now=context.now)
    chosen = technician or (slot.technician_slugs[0] if slot.technician_slugs else None)
    price = quote_booking(
        customer=context.user,
        service=service,
        start=start,
        duration_minutes=duration,
        addon_slugs=addons,
        now=context.now,
    )
    payload = {
        "service": request.service.slug,
        "start": _iso(slot.start, context),
        "duration": request.minutes,
        "addons": list(addons),
        "technician": chosen,
    }
    proposal = _store_proposal(context, Operation.BOOK, payload)
    action = {
        "type": "proposal",
        "operation": "book",
        "service": payload["service"],
        "start": payload["start"],
        "technician": chosen,
        "price": {"total": format_amount(price.total)},
    }
    return proposal, action


def _visible_booking(context: ToolContext, reference: str) -> Booking:
    booking = bookings_visible_to(context.user).filter(reference__iexact=reference).first()
    if booking is None:
        raise NotFound(f"I can't find a booking {reference} on your account.")
    ensure_may_change(booking, context.user)
    return booking


@_tool
def propose_cancel(context: ToolContext, *, reference: str) -> tuple[Proposal, dict]:
    """Check that the caller may cancel booking ``reference`` now, work out its fee under
    the booking's recorded policy (``bookings.policy``) and store the proposal.

    Raises:
        SignInRequired, NotFound (not the caller's), Forbidden (a technician),
        InvalidTransition (not pending/confirmed, or already started).
    """
    _require_customer(context)
    booking = _visible_booking(context, reference)
    if not can_cancel(booking, context.now):
        raise InvalidTransition(f"{booking.reference} can no longer be cancelled.")
    fee = policy_for(booking).cancellation_fee(booking, context.now)
    payload = {"reference": booking.reference, "cancellation_fee": format_amount(fee)}
    proposal = _store_proposal(context, Operation.CANCEL, payload)
    action = {
        "type": "proposal",
        "operation": "cancel",
        "service": booking.service.slug,
        "start": _iso(booking.start, context),
        "reference": booking.reference,
        "cancellation_fee": payload["cancellation_fee"],
    }
    return proposal, action


@_tool
def propose_reschedule(
    context: ToolContext, *, reference: str, start: datetime, technician: str | None = None
) -> tuple[Proposal, dict]:
    """Check a move of booking ``reference`` to aware ``start`` with ``preview_reschedule``
    (the same checks as the move, nothing written) and store the proposal.

    Raises:
        SignInRequired, NotFound, Forbidden, and the errors of
        :func:`coresync.bookings.services.reschedule_booking`.
    """
    _require_customer(context)
    booking = _visible_booking(context, reference)
    plan = preview_reschedule(
        booking, start=start, actor=context.user, technician=technician, now=context.now
    )
    payload = {
        "reference": booking.reference,
        "start": _iso(plan.slot.start, context),
        "technician": technician,
    }
    proposal = _store_proposal(context, Operation.RESCHEDULE, payload)
    action = {
        "type": "proposal",
        "operation": "reschedule",
        "service": booking.service.slug,
        "start": payload["start"],
        "technician": plan.technician_slugs[0] if plan.technician_slugs else None,
        "reference": booking.reference,
        "price": {"total": format_amount(plan.quote.total)},
    }
    return proposal, action


# --- writes ---------------------------------------------------------------------------


def close_previous_proposals(context: ToolContext, plain_yes: bool) -> Proposal | None:
    """Start a turn: return the open proposal of the previous turns that this message may
    execute — the newest, and only when the message is a plain yes — and discard every
    other open proposal of the conversation. Sets ``context.had_open_proposal`` and
    ``context.confirmable``."""
    open_proposals = Proposal.objects.filter(
        conversation=context.conversation, used_at__isnull=True, discarded=False
    )
    context.had_open_proposal = open_proposals.exists()
    wanted = open_proposals.order_by("-created_at").first() if plain_yes else None
    open_proposals.exclude(pk=getattr(wanted, "pk", None)).update(discarded=True)
    context.confirmable = wanted
    return wanted


@_tool
def claim_confirmed(context: ToolContext, *, proposal_id: str, operation: str) -> Proposal:
    """Claim proposal ``proposal_id`` for its write, for an engine that names proposals by
    id (the LLM engines): it must be the proposal this turn's plain yes confirmed
    (``context.confirmable``), of ``operation``, unused and unexpired — any other id, one
    made up, or one proposed in this same turn is refused.

    Raises:
        ProposalMissing.
    """
    confirmable = context.confirmable
    if (
        confirmable is None
        or str(confirmable.pk) != str(proposal_id).strip()
        or confirmable.operation != operation
    ):
        raise ProposalMissing()
    return take_proposal(context, operation, proposal_id=confirmable.pk)


def take_proposal(context: ToolContext, operation: str, proposal_id=None) -> Proposal:
    """Claim the conversation's newest open proposal of ``operation``, or the one with
    ``proposal_id`` (once: it is marked used in the same transaction that reads it).

    Raises:
        ProposalMissing: none, expired, or used already.
    """
    with transaction.atomic():
        candidates = Proposal.objects.select_for_update()
        if proposal_id is not None:
            candidates = candidates.filter(pk=proposal_id)
        proposal = (
            candidates.filter(
                conversation=context.conversation,
                operation=operation,
                used_at__isnull=True,
                discarded=False,
                expires_at__gt=context.now,
            )
            .order_by("-created_at")
            .first()
        )
        if proposal is None:
            raise ProposalMissing()
        proposal.used_at = context.now
        proposal.save(update_fields=["used_at"])
    return proposal


@_tool
def book(context: ToolContext, *, proposal: Proposal) -> Booking:
    """Book the confirmed ``proposal`` through ``checkout_booking`` (every rule again, under
    its locks), with an idempotency key derived from the proposal.

    Raises:
        SignInRequired; everything ``checkout_booking`` raises.
    """
    _require_customer(context)
    if proposal.operation != Operation.BOOK:
        raise ProposalMissing()
    payload = proposal.payload
    result = checkout_booking(
        customer=context.user,
        choice=BookingChoice(
            service=payload["service"],
            start=datetime.fromisoformat(payload["start"]),
            duration_minutes=payload["duration"],
            addon_slugs=tuple(payload["addons"]),
            technician=payload["technician"],
        ),
        idempotency_key=f"assistant-{proposal.pk}",
        actor=context.user,
        now=context.now,
    )
    return result.booking


@_tool
def cancel(context: ToolContext, *, proposal: Proposal) -> Booking:
    """Cancel the booking of the confirmed ``proposal`` with ``cancel_booking`` (the fee of
    the policy at this moment, as the proposal showed).

    Raises:
        the errors of :func:`coresync.bookings.services.cancel_booking`; NotFound.
    """
    _require_customer(context)
    if proposal.operation != Operation.CANCEL:
        raise ProposalMissing()
    booking = _visible_booking(context, proposal.payload["reference"])
    return cancel_booking(booking, actor=context.user, now=context.now, reason="assistant")


@_tool
def reschedule(context: ToolContext, *, proposal: Proposal) -> Booking:
    """Move the booking of the confirmed ``proposal`` with ``reschedule_booking``.

    Raises:
        the errors of :func:`coresync.bookings.services.reschedule_booking`; NotFound.
    """
    _require_customer(context)
    if proposal.operation != Operation.RESCHEDULE:
        raise ProposalMissing()
    booking = _visible_booking(context, proposal.payload["reference"])
    return reschedule_booking(
        booking,
        start=datetime.fromisoformat(proposal.payload["start"]),
        technician=proposal.payload["technician"],
        actor=context.user,
        now=context.now,
    )
