"""The default dialogue engine: no external service (docs/assistant.md "How it works").

Each turn: understand the message (:mod:`coresync.assistant.nlu`), merge what it names into
the conversation's state (service → day → time → technician → add-ons), call tools
(:mod:`coresync.assistant.tools`) and answer with a reply and the contract's actions.

The confirm-before-write rule lives here and in the tools: a turn first closes the
proposals of the previous turn; only a "yes" to one of them (not expired) runs a write
tool. Anything the guest writes that is not a yes — including sentences that try to give
the assistant orders — changes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from coresync.assistant import tools
from coresync.assistant.dates import WhenMention, local_instant
from coresync.assistant.models import Operation, Proposal
from coresync.assistant.nlu import Catalog, Understanding, build_catalog, understand
from coresync.bookings.selectors import bookings_visible_to
from coresync.catalog.models import AddOn, Service
from coresync.core.errors import DomainError
from coresync.resources.models import Technician
from coresync.scheduling.selectors import OfferRow

SLOTS_SHOWN = 6
ALTERNATIVES = 3
ALTERNATIVE_DAYS = 3
STATE_KEYS = ("service", "duration", "addons", "technician", "day", "clock", "part", "mode")


@dataclass
class Turn:
    """The engine's answer to one message."""

    reply: str
    actions: list[dict] = field(default_factory=list)


def load_catalog() -> Catalog:
    """Return the spa's vocabulary (three queries)."""
    return build_catalog(
        Service.objects.filter(is_active=True).prefetch_related("variants"),
        AddOn.objects.filter(is_active=True),
        Technician.objects.filter(is_active=True),
    )


def _say_time(instant: datetime, context: tools.ToolContext) -> str:
    local = instant.astimezone(context.zone)
    return f"{local:%A} {local.day} {local:%B} at {local:%I:%M %p}".replace(" 0", " ")


def _say_clock(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%I:%M %p}".lstrip("0")


def _distinct_starts(rows: list[OfferRow]) -> list[OfferRow]:
    seen, chosen = set(), []
    for row in rows:
        if row.start not in seen:
            seen.add(row.start)
            chosen.append(row)
    return chosen


class OfflineEngine:
    """Intent rules, nearest examples and a small state machine for slot filling."""

    def respond(self, context: tools.ToolContext, text: str) -> Turn:
        """Answer ``text`` for ``context`` (the conversation's ``state`` is updated in
        place; the caller saves it)."""
        catalog = load_catalog()
        state = context.conversation.state
        understanding = understand(text, catalog, context.today)
        pending = self._close_previous_proposals(context, understanding)
        handler = getattr(self, f"_on_{understanding.intent}", self._on_book)
        return handler(context, understanding, catalog, state, pending)

    # --- proposals ----------------------------------------------------------------------

    def _close_previous_proposals(
        self, context: tools.ToolContext, understanding: Understanding
    ) -> Proposal | None:
        """Return the open proposal a yes in this message may execute (``None`` for any
        other message); close every other open proposal of the conversation."""
        plain_yes = (
            understanding.intent == "confirm"
            and not understanding.when.day
            and not understanding.when.clock
        )
        return tools.close_previous_proposals(context, plain_yes)

    def _on_confirm(self, context, understanding, catalog, state, pending) -> Turn:
        if understanding.when.day or understanding.when.clock:
            return self._on_book(context, understanding, catalog, state, None)
        if pending is None:
            if state.get("awaiting_sign_in") and context.signed_in:
                state.pop("awaiting_sign_in", None)
                return self._on_book(context, understanding, catalog, state, None)
            return Turn("There is nothing waiting for your yes. What would you like to do?")
        try:
            proposal = tools.take_proposal(context, pending.operation)
        except tools.ProposalMissing:
            return Turn("That offer has expired. Shall I check the time again?")
        try:
            if proposal.operation == Operation.BOOK:
                booking = tools.book(context, proposal=proposal)
                self._forget_choice(state)
                state["reference"] = booking.reference
                return Turn(
                    f"Booked: {booking.service.name}, {_say_time(booking.start, context)}. "
                    f"Your reference is {booking.reference}.",
                    [
                        {
                            "type": "booking_created",
                            "reference": booking.reference,
                            "status": booking.status,
                            "start": booking.start.astimezone(context.zone).isoformat(),
                        }
                    ],
                )
            if proposal.operation == Operation.CANCEL:
                booking = tools.cancel(context, proposal=proposal)
                fee = f"{booking.cancellation_fee:.2f}"
                state.pop("mode", None)
                charged = "no fee" if booking.cancellation_fee == 0 else f"a fee of ${fee}"
                return Turn(
                    f"{booking.reference} is cancelled, with {charged}.",
                    [
                        {
                            "type": "booking_cancelled",
                            "reference": booking.reference,
                            "cancellation_fee": fee,
                        }
                    ],
                )
            booking = tools.reschedule(context, proposal=proposal)
            self._forget_choice(state)
            state["reference"] = booking.reference
            return Turn(
                f"{booking.reference} now starts {_say_time(booking.start, context)}.",
                [
                    {
                        "type": "booking_rescheduled",
                        "reference": booking.reference,
                        "start": booking.start.astimezone(context.zone).isoformat(),
                    }
                ],
            )
        except DomainError as error:
            return Turn(f"I couldn't do that: {error.message}")

    def _on_deny(self, context, understanding, catalog, state, pending) -> Turn:
        if (
            understanding_is_cancel_that(understanding)
            and not context.had_open_proposal
            and state.get("reference")
        ):
            return self._propose_cancel(context, state["reference"], state)
        self._forget_choice(state)
        return Turn("All right, nothing has changed. Anything else I can help with?")

    def _on_another_time(self, context, understanding, catalog, state, pending) -> Turn:
        if not state.get("service") or not state.get("day"):
            return Turn("Which treatment and which day would you like?")
        avoided = state.pop("clock", None)
        day = date.fromisoformat(state["day"])
        rows = self._safe_rows(context, state, day, days=1)
        rows = [row for row in _distinct_starts(rows) if row.start[11:16] != avoided]
        if not rows:
            rows = _distinct_starts(self._safe_rows(context, state, day + timedelta(days=1), 3))
        return self._offer(context, state, rows, "Here are other free times")

    # --- information --------------------------------------------------------------------

    def _on_handoff(self, context, understanding, catalog, state, pending) -> Turn:
        info = tools.spa_info(context, topic="contact")
        return Turn(
            f"I'll pass you to our front desk: call {info['phone']} or write to {info['email']}.",
            [{"type": "handoff", "reason": "requested"}],
        )

    def _on_info(self, context, understanding, catalog, state, pending) -> Turn:
        info = tools.spa_info(context, topic="all")
        lowered = understanding_text(understanding)
        parts = []
        if re.search(r"hour|open|clos", lowered):
            parts.append(f"We are open {info['hours']} every day.")
        if re.search(r"address|where|locat", lowered):
            parts.append(f"We are at {info['address']}.")
        if re.search(r"park", lowered):
            parts.append(info["parking"])
        if re.search(r"phone|email|contact", lowered):
            parts.append(f"Call {info['phone']} or write to {info['email']}.")
        if re.search(r"polic|cancel", lowered):
            parts.append(
                f"Cancel free until {info['free_cancellation_hours']} hours before your "
                f"time; later, the fee is {info['late_cancellation_fee_percent']}% of the "
                f"total. Book at least {info['min_notice_minutes']} minutes ahead."
            )
        if re.search(r"member|benefit|tier|plan", lowered) or not parts:
            plans = "; ".join(
                f"{plan['name']} ${plan['monthly_price']}/month, {plan['discount_percent']}% "
                f"off, booking {plan['advance_days']} days ahead"
                for plan in info["plans"]
            )
            if plans:
                parts.append(f"Memberships: {plans}.")
        return Turn(" ".join(parts) or f"{info['name']}, {info['address']}.")

    def _on_services(self, context, understanding, catalog, state, pending) -> Turn:
        services = tools.search_services(context)
        listed = "; ".join(
            f"{service['name']} ("
            + ", ".join(f"{v['minutes']} min ${v['total']}" for v in service["variants"])
            + ")"
            for service in services
        )
        return Turn(f"We offer: {listed}. Which would you like?")

    def _on_greet(self, context, understanding, catalog, state, pending) -> Turn:
        return Turn(
            "Hello! I can find free times, tell you prices, and book, move or cancel a "
            "visit. What would you like?"
        )

    def _on_price(self, context, understanding, catalog, state, pending) -> Turn:
        self._merge(understanding, state)
        if not state.get("service"):
            return self._on_services(context, understanding, catalog, state, pending)
        try:
            price = tools.quote(
                context,
                service=state["service"],
                duration=state.get("duration"),
                addons=state.get("addons", []),
            )
        except DomainError as error:
            return Turn(error.message)
        name = catalog.service_names.get(state["service"], state["service"])
        return Turn(
            f"{name} is ${price['total']} for you, tax included.",
            [{"type": "quote", "service": state["service"], "price": price}],
        )

    def _on_my_bookings(self, context, understanding, catalog, state, pending) -> Turn:
        try:
            bookings = tools.my_bookings(context)
        except tools.SignInRequired as error:
            return Turn(error.message, [{"type": "sign_in_required"}])
        if not bookings:
            return Turn("You have no upcoming bookings.")
        listed = "; ".join(
            f"{booking.reference}: {booking.service.name}, {_say_time(booking.start, context)}"
            for booking in bookings
        )
        return Turn(f"Your upcoming bookings: {listed}.")

    # --- changes ------------------------------------------------------------------------

    def _reference(self, context, understanding, state) -> str | None:
        if understanding.reference:
            return understanding.reference
        if state.get("reference"):
            return state["reference"]
        if context.signed_in:
            upcoming = tools.my_bookings(context)
            if len(upcoming) == 1:
                return upcoming[0].reference
        return None

    def _on_cancel(self, context, understanding, catalog, state, pending) -> Turn:
        if not context.signed_in:
            return Turn("Please sign in to change a booking.", [{"type": "sign_in_required"}])
        if understanding_is_cancel_that(understanding) and (
            context.had_open_proposal or not state.get("reference")
        ):
            self._forget_choice(state)
            return Turn("All right, nothing has changed.")
        reference = self._reference(context, understanding, state)
        if reference is None:
            return Turn("Which booking? Please give its reference, like CS-2026-000123.")
        return self._propose_cancel(context, reference, state)

    def _propose_cancel(self, context, reference: str, state: dict) -> Turn:
        if not context.signed_in:
            return Turn("Please sign in to change a booking.", [{"type": "sign_in_required"}])
        try:
            _proposal, action = tools.propose_cancel(context, reference=reference)
        except DomainError as error:
            return Turn(error.message)
        state["reference"] = action["reference"]
        fee = action["cancellation_fee"]
        cost = "free of charge" if fee == "0.00" else f"with a late cancellation fee of ${fee}"
        when = _say_time(datetime.fromisoformat(action["start"]), context)
        return Turn(
            f"Cancel {action['reference']} ({when}) {cost}? Say yes to confirm.",
            [action],
        )

    def _on_reschedule(self, context, understanding, catalog, state, pending) -> Turn:
        if not context.signed_in:
            return Turn("Please sign in to change a booking.", [{"type": "sign_in_required"}])
        reference = self._reference(context, understanding, state)
        if reference is None:
            return Turn("Which booking? Please give its reference, like CS-2026-000123.")
        state["reference"] = reference
        state["mode"] = "reschedule"
        self._merge_when(understanding.when, state)
        if understanding.technician:
            state["technician"] = understanding.technician
        return self._reschedule_step(context, state)

    def _reschedule_step(self, context, state: dict) -> Turn:
        if not state.get("day"):
            return Turn(f"To which day should I move {state['reference']}?")
        day = date.fromisoformat(state["day"])
        if not state.get("clock"):
            booking = bookings_visible_to(context.user).filter(reference=state["reference"]).first()
            if booking is None:
                return Turn(f"I can't find a booking {state['reference']} on your account.")
            state["service"] = booking.service.slug
            state["duration"] = booking.duration_minutes
            rows = _distinct_starts(self._safe_rows(context, state, day, 1))
            return self._offer(context, state, rows, "Free times that day")
        start = local_instant(day, time.fromisoformat(state["clock"]), context.zone)
        if start is None:
            return Turn("That time does not exist that day (the clocks move). Another time?")
        try:
            _proposal, action = tools.propose_reschedule(
                context,
                reference=state["reference"],
                start=start,
                technician=state.get("technician"),
            )
        except DomainError as error:
            return Turn(f"I can't move it there: {error.message}")
        return Turn(
            f"Move {action['reference']} to {_say_time(start, context)}? Say yes to confirm.",
            [action],
        )

    # --- booking ------------------------------------------------------------------------

    def _on_unknown(self, context, understanding, catalog, state, pending) -> Turn:
        if understanding.service or understanding.when or understanding.technician:
            return self._on_book(context, understanding, catalog, state, pending)
        return Turn(
            "Sorry, I didn't get that. I can find free times, tell you prices, and book, "
            "move or cancel a visit."
        )

    def _on_book(self, context, understanding, catalog, state, pending) -> Turn:
        if state.get("mode") == "reschedule" and not understanding.service:
            self._merge_when(understanding.when, state)
            return self._reschedule_step(context, state)
        state.pop("mode", None)
        self._merge(understanding, state)
        if not state.get("service"):
            names = ", ".join(catalog.service_names.values())
            return Turn(f"Which treatment would you like? We offer {names}.")
        if not state.get("day"):
            if state.get("clock"):
                return Turn("Which day would you like?")
            day = context.today
            rows = _distinct_starts(self._safe_rows(context, state, day, 7))
            return self._offer(context, state, rows, "The next free times")
        day = date.fromisoformat(state["day"])
        if day < context.today:
            state.pop("day", None)
            return Turn("That day has passed. Which day would you like?")
        if not state.get("clock"):
            rows = _distinct_starts(self._safe_rows(context, state, day, 1))
            if not rows:
                later = _distinct_starts(self._safe_rows(context, state, day + timedelta(1), 3))
                return self._offer(
                    context, state, later, "Nothing is free that day. The next free times"
                )
            return self._offer(context, state, rows, "Free times")
        start = local_instant(day, time.fromisoformat(state["clock"]), context.zone)
        if start is None:
            state.pop("clock", None)
            return Turn("That time does not exist that day (the clocks move). Another time?")
        return self._propose_booking(context, state, start)

    def _propose_booking(self, context, state: dict, start: datetime) -> Turn:
        arguments = {
            "service": state["service"],
            "start": start,
            "duration": state.get("duration"),
            "addons": state.get("addons", []),
            "technician": state.get("technician"),
        }
        if not context.signed_in:
            return self._guest_choice(context, state, start)
        try:
            _proposal, action = tools.propose_booking(context, **arguments)
        except DomainError as error:
            if error.code in ("slot_unavailable",):
                alternatives = self._nearest(context, state, start)
                return self._offer(
                    context,
                    state,
                    alternatives,
                    f"{_say_time(start, context)} is not available. The nearest free times",
                    clear_clock=True,
                )
            state.pop("clock", None)
            return Turn(f"I can't book that: {error.message}")
        who = f" with {action['technician'].title()}" if action["technician"] else ""
        return Turn(
            f"{_say_time(start, context)}{who}, ${action['price']['total']}. Say yes to book it.",
            [action],
        )

    def _guest_choice(self, context, state: dict, start: datetime) -> Turn:
        """A guest sees the time and price; booking needs a sign-in (the conversation
        stays, and after signing in a yes asks for the confirmation)."""
        rows = [
            row
            for row in self._safe_rows(context, state, date.fromisoformat(state["day"]), 1)
            if datetime.fromisoformat(row.start) == start
        ]
        if not rows:
            alternatives = self._nearest(context, state, start)
            return self._offer(
                context,
                state,
                alternatives,
                f"{_say_time(start, context)} is not available. The nearest free times",
                clear_clock=True,
            )
        state["awaiting_sign_in"] = True
        return Turn(
            f"{_say_time(start, context)} is free, ${rows[0].price['total']}. "
            "Please sign in to book it; I'll keep this conversation.",
            [
                {"type": "slots", "service": state["service"], "slots": [tools.slot_json(rows[0])]},
                {"type": "sign_in_required"},
            ],
        )

    def _nearest(self, context, state: dict, start: datetime) -> list[OfferRow]:
        day = date.fromisoformat(state["day"])
        first = max(context.today, day - timedelta(days=ALTERNATIVE_DAYS))
        rows = self._safe_rows(context, state, first, (day - first).days + ALTERNATIVE_DAYS + 1)
        rows = [row for row in _distinct_starts(rows) if datetime.fromisoformat(row.start) != start]
        rows.sort(key=lambda row: abs((datetime.fromisoformat(row.start) - start).total_seconds()))
        return sorted(rows[:ALTERNATIVES], key=lambda row: row.start)

    def _safe_rows(self, context, state: dict, day: date, days: int) -> list[OfferRow]:
        try:
            return tools.check_availability(
                context,
                service=state["service"],
                day=day,
                days=days,
                duration=state.get("duration"),
                addons=state.get("addons", []),
                technician=state.get("technician"),
                part_of_day=state.get("part"),
            )
        except DomainError:
            for key in ("duration", "addons", "technician"):
                state.pop(key, None)  # a choice the service does not offer: ask afresh
            return []

    def _offer(
        self, context, state: dict, rows: list[OfferRow], lead: str, *, clear_clock: bool = False
    ) -> Turn:
        if clear_clock:
            state.pop("clock", None)
        rows = rows[:SLOTS_SHOWN]
        if not rows:
            return Turn(f"{lead}: none, I'm afraid. Would another day suit you?")
        first_day = datetime.fromisoformat(rows[0].start)
        listed = ", ".join(_say_clock(row.start) for row in rows)
        if any(row.start[:10] != rows[0].start[:10] for row in rows):
            listed = ", ".join(
                _say_time(datetime.fromisoformat(row.start), context) for row in rows
            )
        else:
            listed = f"{first_day:%A} {first_day.day} {first_day:%B}: {listed}"
        return Turn(
            f"{lead}: {listed}. Which would you like?",
            [
                {
                    "type": "slots",
                    "service": state["service"],
                    "slots": [tools.slot_json(row) for row in rows],
                }
            ],
        )

    # --- state --------------------------------------------------------------------------

    def _merge(self, understanding: Understanding, state: dict) -> None:
        if understanding.service and understanding.service != state.get("service"):
            for key in ("duration", "addons"):
                state.pop(key, None)
            state["service"] = understanding.service
        if understanding.duration:
            state["duration"] = understanding.duration
        if understanding.addons:
            state["addons"] = understanding.addons
        if understanding.technician:
            state["technician"] = understanding.technician
        self._merge_when(understanding.when, state)

    def _merge_when(self, when: WhenMention, state: dict) -> None:
        if when.day:
            if when.day.isoformat() != state.get("day") and not when.clock:
                state.pop("clock", None)
            state["day"] = when.day.isoformat()
        if when.clock:
            state["clock"] = when.clock.strftime("%H:%M")
        if when.part_of_day:
            state["part"] = when.part_of_day
        elif when.day:
            state.pop("part", None)

    def _forget_choice(self, state: dict) -> None:
        for key in (*STATE_KEYS, "awaiting_sign_in"):
            state.pop(key, None)


def understanding_text(understanding: Understanding) -> str:
    return understanding.text.lower()


def understanding_is_cancel_that(understanding: Understanding) -> bool:
    return bool(re.search(r"\bcancel (that|it)\b", understanding.text, re.I))
