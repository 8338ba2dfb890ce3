"""The booking page's state: every choice read from the query string and checked in order
with the availability engine, and which step is open (docs/website.md "Booking flow")."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coresync.accounts.preferences import PREFERENCE_FIELDS, saved_preferences
from coresync.bookings.policy import CancellationPolicy, policy_for_plan
from coresync.catalog.models import AddOn, Service, ServiceCategory
from coresync.catalog.pricing import with_member_benefits
from coresync.core.clock import local_date
from coresync.core.clock import now as clock_now
from coresync.core.errors import InvalidInput
from coresync.memberships import credits as member_credits
from coresync.memberships.selectors import CustomerAccess, get_customer_access
from coresync.resources.models import Technician
from coresync.scheduling.loader import candidate_technicians
from coresync.scheduling.selectors import (
    AvailabilityRequest,
    SlotOffer,
    build_availability_request,
    get_availability,
)
from coresync.spa.models import SpaSettings
from coresync.spa.selectors import get_settings
from coresync.web.booking_flow.calendar import (
    CalendarView,
    PlanWindow,
    calendar_view,
    last_first_month,
    longer_window,
    plan_windows,
    windows_sentence,
)
from coresync.web.booking_flow.params import (
    ANY_TECHNICIAN,
    DROPPED_BY,
    GUEST_NAME_MAX_LENGTH,
    STEPS,
    add_months,
    default_guests,
    parse_date,
    parse_month,
    parse_start,
)


@dataclass
class TimeGroup:
    label: str
    offers: list[SlotOffer]
    perks: frozenset = frozenset()
    """Starts (aware datetimes) held for members — priority or VIP-only times — on a day a
    guest could otherwise book: shown to members as their perk."""


@dataclass
class TechnicianChoice:
    technician: Technician
    offer: SlotOffer


@dataclass
class StepView:
    """One step as the template shows it."""

    key: str
    number: int
    title: str
    state: str
    summary: str
    change_url: str
    hidden_fields: list[tuple[str, str]]
    messages: list[str]


@dataclass
class BookingFlow:
    """What the guest chose so far, checked, and what the open steps need to show."""

    now: datetime
    today: date
    spa: SpaSettings
    access: CustomerAccess
    customer: Any = None
    categories: list[ServiceCategory] = field(default_factory=list)
    service: Service | None = None
    durations: list[int] = field(default_factory=list)
    duration: int | None = None
    guests: int = 1
    month: date | None = None
    day: date | None = None
    start: datetime | None = None
    technician: str | None = None
    technician_row: Technician | None = None
    second_technician: str | None = None
    second_technician_row: Technician | None = None
    available_addons: list[AddOn] = field(default_factory=list)
    addons: list[AddOn] = field(default_factory=list)
    preferences: dict[str, str] = field(default_factory=dict)
    saved_preferences: dict[str, str] = field(default_factory=dict)
    guest_name: str = ""
    day_offers: list[SlotOffer] = field(default_factory=list)
    offer: SlotOffer | None = None
    edit: str | None = None
    messages: dict[str, list[str]] = field(default_factory=dict)
    members_only_notice: bool = False
    windows: list[PlanWindow] = field(default_factory=list)
    # Filled for open steps only (see :func:`load_open_steps`).
    calendar: "CalendarView | None" = None
    time_groups: list[TimeGroup] = field(default_factory=list)
    technician_choices: list[TechnicianChoice] = field(default_factory=list)
    request: AvailabilityRequest | None = None

    # -- state ------------------------------------------------------------------------------

    @property
    def needs_technician(self) -> bool:
        return self.service is not None and not self.service.self_guided

    @property
    def is_couple(self) -> bool:
        """Two guests, each with a therapist: the therapist step asks for both."""
        return self.needs_technician and self.guests == 2

    @property
    def named_technicians(self) -> list[str]:
        """The therapists the guest named (not "any"), guest 1 first."""
        chosen = [self.technician, self.second_technician if self.is_couple else None]
        return [slug for slug in chosen if slug and slug != ANY_TECHNICIAN]

    @property
    def therapist_names(self) -> list[str]:
        """One entry per guest with a therapist: the name, or "Any available therapist"."""
        rows = [self.technician_row]
        if self.is_couple:
            rows.append(self.second_technician_row)
        return [row.name if row else _("Any available therapist") for row in rows]

    def is_complete(self, step: str) -> bool:
        return {
            "treatment": self.service is not None,
            "date": self.day is not None,
            "time": self.start is not None,
            "technician": self.technician is not None,
            "details": self.offer is not None,
            "confirm": False,
        }[step]

    @property
    def current(self) -> str:
        """The first step not yet complete (``details`` once everything is chosen)."""
        for step in STEPS[:4]:
            if not self.is_complete(step):
                return step
        return "details"

    @property
    def ready(self) -> bool:
        """Everything is chosen and the engine still offers it: the quote and confirm show."""
        return self.offer is not None

    @property
    def visible_steps(self) -> list[str]:
        self_guided = self.service is not None and self.service.self_guided
        return [step for step in STEPS if step != "technician" or not self_guided]

    def step_number(self, step: str) -> int:
        return self.visible_steps.index(step) + 1

    def step_state(self, step: str) -> str:
        """``open``, ``done`` (a summary with "Change") or ``hidden``."""
        if self.edit:
            if step == self.edit:
                return "open"
            if STEPS.index(step) < STEPS.index(self.edit):
                return "done"
            return "done" if step != "confirm" and self.is_complete(step) else "hidden"
        current = self.current
        if step == current or (step == "confirm" and self.ready):
            return "open"
        if STEPS.index(step) < STEPS.index(current):
            return "done"
        return "hidden"

    @property
    def open_step(self) -> str:
        """The step that gets focus and is announced after a change: the one being edited,
        else the first open step carrying a message (a refused confirm says why at the
        button, not one step above it), else the first step not yet complete."""
        if self.edit:
            return self.edit
        for step in self.visible_steps:
            if self.messages.get(step) and self.step_state(step) == "open":
                return step
        return self.current

    def month_shown(self) -> date:
        """The first of the two months shown: the chosen one, else the selected day's, else
        this month; kept between this month and the last month anyone could book."""
        first_allowed = self.today.replace(day=1)
        wanted = self.month or (self.day.replace(day=1) if self.day else first_allowed)
        return min(max(wanted, first_allowed), last_first_month(self.today, self.access))

    @cached_property
    def steps(self) -> list[StepView]:
        """Return the visible steps, numbered, with their state and summary."""
        return [
            StepView(
                key=step,
                number=self.step_number(step),
                title=self.step_title(step),
                state=self.step_state(step),
                summary=self.summary(step),
                change_url=self.change_url(step),
                hidden_fields=self.hidden_fields(step),
                messages=self.messages.get(step, []),
            )
            for step in self.visible_steps
        ]

    def summary(self, step: str) -> str:
        """Return the one-line answer of a completed step."""
        if not self.is_complete(step):
            return ""
        if step == "treatment":
            text = _("%(service)s, %(minutes)s min") % {
                "service": self.service.name,
                "minutes": self.duration,
            }
            if self.guests > 1:
                text += ", " + ngettext("%(count)s guest", "%(count)s guests", self.guests) % {
                    "count": self.guests
                }
            return text
        if step == "date":
            return formats.date_format(self.day, "l, F j, Y")
        if step == "time":
            start = formats.time_format(self.local_start, "g:i A")
            if self.offer is None:
                return start
            return f"{start} – {formats.time_format(self.local_end, 'g:i A')}"
        if step == "technician":
            if self.is_couple:
                return _("Guest 1: %(first)s; guest 2: %(second)s") % {
                    "first": self.therapist_names[0],
                    "second": self.therapist_names[1],
                }
            if self.technician == ANY_TECHNICIAN:
                return _("Any available therapist")
            return self.technician_row.name
        if step == "details":
            parts = [addon.name for addon in self.addons] or [_("No add-ons")]
            if self.guest_name:
                parts.append(_("For %(name)s") % {"name": self.guest_name})
            return "; ".join(parts + self.preference_summary())
        return ""

    @property
    def policy(self) -> CancellationPolicy:
        """The cancellation policy that would apply to this booking (the guest's plan's)."""
        return policy_for_plan(self.access.plan)

    @property
    def free_until(self) -> datetime | None:
        return self.policy.free_until(self.start) if self.start else None

    @property
    def window_end(self) -> date:
        """The last spa-local day the guest's tier may book."""
        return date.fromordinal(self.today.toordinal() + self.access.advance_days)

    @property
    def next_window(self) -> PlanWindow | None:
        return longer_window(self.access, self.windows)

    @property
    def windows_text(self) -> str:
        return windows_sentence(self.windows)

    @property
    def free_cancellation_passed(self) -> bool:
        return self.free_until is not None and self.free_until <= self.now

    def add_message(self, step: str, text: str) -> None:
        self.messages.setdefault(step, []).append(text)

    # -- parameters -------------------------------------------------------------------------

    def state_pairs(self) -> list[tuple[str, str]]:
        """Return the choices as query parameters, in flow order."""
        pairs: list[tuple[str, str]] = []
        if self.service:
            pairs += [
                ("service", self.service.slug),
                ("duration", str(self.duration)),
                ("guests", str(self.guests)),
            ]
        if self.month:
            pairs.append(("month", self.month.strftime("%Y-%m")))
        if self.day:
            pairs.append(("date", self.day.isoformat()))
        if self.start:
            pairs.append(("start", self.local_start.isoformat()))
        if self.technician:
            pairs.append(("technician", self.technician))
        if self.technician and self.is_couple and self.second_technician:
            pairs.append(("second_technician", self.second_technician))
        pairs += [("addons", addon.slug) for addon in self.addons]
        for field_ in PREFERENCE_FIELDS:
            value = self.preferences.get(field_.name, "")
            # An empty value is kept when it clears a saved preference for this booking.
            if value or self.saved_preferences.get(field_.name):
                pairs.append((field_.name, value))
        if self.guest_name:
            pairs.append(("guest_name", self.guest_name))
        return pairs

    def hidden_fields(self, step: str) -> list[tuple[str, str]]:
        """Return the hidden inputs of ``step``'s form: every other choice, minus those the
        step's answer makes stale."""
        own = {
            "treatment": ("service", "duration", "guests"),
            "date": ("date",),
            "time": ("start",),
            "technician": ("technician", "second_technician"),
            "details": ("addons", "guest_name", *[f.name for f in PREFERENCE_FIELDS]),
            "month": ("month",),
            "options": ("duration", "guests"),
            "confirm": (),
        }[step]
        dropped = DROPPED_BY.get(step, ())
        return [(name, value) for name, value in self.state_pairs() if name not in own + dropped]

    def url(self, **changes) -> str:
        """Return the booking page URL of the current choices with ``changes`` applied
        (``edit="date"`` opens a completed step again)."""
        pairs = [(name, value) for name, value in self.state_pairs() if name not in changes]
        pairs += [(name, value) for name, value in changes.items() if value]
        return f"{reverse('web:book')}?{urlencode(pairs)}"

    def month_url(self, offset: int) -> str | None:
        """Return the URL showing the calendar ``offset`` months later (earlier if negative),
        or ``None`` past the first or last month that can be shown."""
        first = add_months(self.month_shown(), offset)
        if first < self.today.replace(day=1) or first > last_first_month(self.today, self.access):
            return None
        return self.url(month=first.strftime("%Y-%m"), edit=self.edit or "")

    @property
    def prev_month_url(self) -> str | None:
        return self.month_url(-1)

    @property
    def next_month_url(self) -> str | None:
        return self.month_url(1)

    @property
    def options_hidden(self) -> list[tuple[str, str]]:
        """Hidden inputs of the duration/guests form under the chosen treatment."""
        return self.hidden_fields("options")

    @property
    def preference_fields(self) -> list[dict]:
        return [
            {
                "name": field_.name,
                "label": field_.label,
                "options": field_.options,
                "value": self.preferences.get(field_.name, ""),
            }
            for field_ in PREFERENCE_FIELDS
        ]

    def change_url(self, step: str) -> str:
        return self.url(edit=step)

    @property
    def page_url(self) -> str:
        return self.url()

    @property
    def confirm_url(self) -> str:
        """The page with every choice, scrolled to the confirm step (where a guest who signs
        in or up on the way lands)."""
        return f"{self.url()}#step-confirm"

    # -- display helpers --------------------------------------------------------------------

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.spa.zone)

    @property
    def local_end(self) -> datetime | None:
        return self.offer.slot.end.astimezone(self.spa.zone) if self.offer else None

    @property
    def guest_options(self) -> list[int]:
        return list(range(1, self.service.max_guests + 1)) if self.service else [1]

    @cached_property
    def pays_online(self) -> bool:
        """The booking is paid online (Stripe) on the next step, not at the spa."""
        from coresync.payments.providers import get_provider

        return get_provider().collects_online

    @cached_property
    def card_on_file(self) -> bool:
        """The signed-in guest has a card on file: one tap confirms and pays."""
        from coresync.payments.models import PaymentCustomer

        if not self.pays_online or self.customer is None:
            return False
        customer = PaymentCustomer.objects.filter(user=self.customer).first()
        return bool(customer and customer.has_card_on_file)

    @property
    def benefits(self) -> member_credits.Benefits:
        """The member's included credit or birthday benefit this booking would use."""
        if not self.offer:
            return member_credits.NO_BENEFITS
        return member_credits.benefits_for(
            self.access.membership,
            self.customer,
            guests=self.guests,
            day=self.local_start.date(),
        )

    @property
    def quote(self):
        """The slot's price with the member's benefits, as the booking will record it."""
        if not self.offer:
            return None
        benefits = self.benefits
        return with_member_benefits(
            self.offer.quote, credit=benefits.credit, birthday_percent=benefits.birthday_percent
        )

    def preference_summary(self) -> list[str]:
        return [
            f"{field_.label}: {field_.label_of(self.preferences[field_.name])}"
            for field_ in PREFERENCE_FIELDS
            if self.preferences.get(field_.name)
        ]

    def step_title(self, step: str) -> str:
        return {
            "treatment": _("Treatment"),
            "date": _("Date"),
            "time": _("Time"),
            "technician": _("Therapist"),
            "details": _("Preferences and add-ons"),
            "confirm": _("Review and confirm"),
        }[step]

    @cached_property
    def announcement(self) -> str:
        """A sentence for the live region after a change: the step now open."""
        step = self.open_step
        text = _("Step %(number)s of %(total)s: %(title)s.") % {
            "number": self.step_number(step),
            "total": len(self.visible_steps),
            "title": self.step_title(step),
        }
        if self.ready and self.quote and not self.edit:
            text += " " + _("Total %(total)s.") % {"total": f"${self.quote.total}"}
        for messages in self.messages.values():
            text += " " + " ".join(messages)
        return text


def _categories() -> list[ServiceCategory]:
    services = Service.objects.filter(is_active=True).prefetch_related("variants")
    categories = ServiceCategory.objects.prefetch_related(
        Prefetch("services", queryset=services, to_attr="active_services")
    )
    return [category for category in categories if category.active_services]


def read_flow(params, user, *, now: datetime | None = None) -> BookingFlow:
    """Read the booking choices in ``params`` (a QueryDict) for ``user`` and check them.

    Each choice is checked against the ones before it; an invalid one is dropped with a
    message on its step. Then the data of the open steps is loaded.
    """
    now = now or clock_now()
    spa = get_settings()
    today = local_date(now, spa.zone)
    access = get_customer_access(user, today, spa)
    flow = BookingFlow(
        now=now,
        today=today,
        spa=spa,
        access=access,
        customer=user if getattr(user, "is_authenticated", False) else None,
        categories=_categories(),
    )
    flow.windows = plan_windows()
    flow.saved_preferences = saved_preferences(user)
    flow.preferences = _preferences(params, user)
    _read_guest_name(flow, params)
    edit = params.get("edit")
    _read_treatment(flow, params)
    if flow.service is not None:
        _read_date(flow, params)
        _read_start(flow, params)
        _read_technician(flow, params)
    if edit in STEPS and edit != "confirm" and flow.is_complete(edit):
        flow.edit = edit
    load_open_steps(flow)
    return flow


def _read_guest_name(flow: BookingFlow, params) -> None:
    """Read "Booking for someone else?": the other guest's name (spaces tidied, NUL
    characters dropped); one over 150 characters is dropped with a message."""
    name = " ".join((params.get("guest_name") or "").replace("\x00", "").split())
    if len(name) > GUEST_NAME_MAX_LENGTH:
        flow.add_message(
            "details",
            _("The guest's name is at most %(count)s characters.")
            % {"count": GUEST_NAME_MAX_LENGTH},
        )
        return
    flow.guest_name = name


def _preferences(params, user) -> dict[str, str]:
    """The guest's saved preferences, overridden by those in ``params`` ("" = none)."""
    saved = saved_preferences(user)
    chosen = {}
    for field_ in PREFERENCE_FIELDS:
        value = params[field_.name] if field_.name in params else saved.get(field_.name, "")
        if value in field_.values:
            chosen[field_.name] = value
    return chosen


def _read_treatment(flow: BookingFlow, params) -> None:
    slug = params.get("service")
    if not slug:
        return
    service = next(
        (
            service
            for category in flow.categories
            for service in category.active_services
            if service.slug == slug
        ),
        None,
    )
    if service is None:
        flow.add_message("treatment", _("That treatment is not offered. Please choose another."))
        return
    durations = sorted(variant.minutes for variant in service.variants.all())
    if not durations:
        flow.add_message("treatment", _("That treatment cannot be booked online."))
        return
    try:
        duration = int(params.get("duration") or durations[0])
    except ValueError:
        duration = durations[0]
    if duration not in durations:
        duration = durations[0]
    try:
        guests = int(params.get("guests") or default_guests(service))
    except ValueError:
        guests = default_guests(service)
    guests = min(max(guests, 1), service.max_guests)
    flow.available_addons = list(service.addons.filter(is_active=True).order_by("name"))
    wanted = set(params.getlist("addons"))
    flow.addons = [addon for addon in flow.available_addons if addon.slug in wanted]
    try:
        flow.request = build_availability_request(
            service_slug=service.slug,
            date_from=flow.today,
            date_to=flow.today,
            duration=duration,
            addon_slugs=[addon.slug for addon in flow.addons],
            guests=guests,
        )
    except InvalidInput as error:
        flow.add_message("treatment", error.message)
        return
    flow.service, flow.durations, flow.duration, flow.guests = service, durations, duration, guests
    month = parse_month(params.get("month"))
    flow.month = month


def _day_request(flow: BookingFlow, day: date, technician: str | None = None):
    return replace(flow.request, date_from=day, date_to=day, technician_slug=technician)


def _read_date(flow: BookingFlow, params) -> None:
    day = parse_date(params.get("date"))
    if day is None:
        return
    label = formats.date_format(day, "l, F j")
    if day < flow.today:
        flow.add_message(
            "date", _("%(day)s has passed. Please choose another day.") % {"day": label}
        )
        return
    offers = get_availability(_day_request(flow, day), flow.access, now=flow.now)
    if offers:
        flow.day, flow.day_offers = day, offers
        return
    days_ahead = (day - flow.today).days
    if days_ahead > flow.access.advance_days:
        longest = flow.windows[-1].advance_days if flow.windows else 0
        if days_ahead <= longest:
            flow.members_only_notice = True
        if not flow.access.is_member and days_ahead <= longest:
            flow.add_message(
                "date",
                ngettext(
                    "%(day)s is in the members' priority period: %(windows)s. Without a "
                    "membership you can book up to %(days)s day ahead.",
                    "%(day)s is in the members' priority period: %(windows)s. Without a "
                    "membership you can book up to %(days)s days ahead.",
                    flow.access.advance_days,
                )
                % {"day": label, "windows": flow.windows_text, "days": flow.access.advance_days},
            )
        elif flow.access.is_member and days_ahead <= longest:
            upgrade = next(w for w in flow.windows if w.advance_days >= days_ahead)
            flow.add_message(
                "date",
                _(
                    "%(day)s is past the end of your window: your %(plan)s plan books %(days)s "
                    "days ahead — %(other)s books %(other_days)s."
                )
                % {
                    "day": label,
                    "plan": flow.access.plan.name,
                    "days": flow.access.advance_days,
                    "other": upgrade.name,
                    "other_days": upgrade.advance_days,
                },
            )
        else:
            flow.add_message(
                "date",
                _("%(day)s is beyond your booking window of %(days)s days.")
                % {"day": label, "days": flow.access.advance_days},
            )
        return
    flow.add_message(
        "date",
        _("There are no free times on %(day)s for %(service)s. Please choose a highlighted day.")
        % {"day": label, "service": flow.service.name},
    )


def _read_start(flow: BookingFlow, params) -> None:
    start = parse_start(params.get("start"))
    if flow.day is None or start is None:
        return
    if local_date(start, flow.spa.zone) != flow.day:
        return
    if any(offer.slot.start == start for offer in flow.day_offers):
        flow.start = start
        return
    flow.add_message(
        "time",
        _(
            "Sorry, %(time)s is no longer available: someone may have just booked it. "
            "Please choose another time; these are still free."
        )
        % {"time": formats.time_format(start.astimezone(flow.spa.zone), "g:i A")},
    )


def offer_at(offers: list[SlotOffer], start: datetime) -> SlotOffer | None:
    return next((offer for offer in offers if offer.slot.start == start), None)


def _read_technician(flow: BookingFlow, params) -> None:
    if flow.start is None:
        return
    chosen = params.get("technician")
    if not flow.needs_technician:
        flow.technician = ANY_TECHNICIAN
        flow.offer = offer_at(flow.day_offers, flow.start)
        return
    if not chosen:
        return
    if flow.is_couple:
        _read_couple_technicians(flow, chosen, params.get("second_technician") or ANY_TECHNICIAN)
        return
    if chosen == ANY_TECHNICIAN:
        flow.technician = ANY_TECHNICIAN
        flow.offer = offer_at(flow.day_offers, flow.start)
        return
    row = Technician.objects.filter(slug=chosen, is_active=True).first()
    offer = None
    if row is not None and flow.service.skill in (row.skills or []):
        offers = get_availability(_day_request(flow, flow.day, row.slug), flow.access, now=flow.now)
        offer = offer_at(offers, flow.start)
    if offer is None:
        flow.add_message(
            "technician",
            _(
                "Sorry, %(name)s is not free at %(time)s for this treatment: someone may have "
                "just booked that time. Choose another therapist."
            )
            % {
                "name": row.name if row else chosen,
                "time": formats.time_format(flow.local_start, "g:i A"),
            },
        )
        return
    flow.technician, flow.technician_row, flow.offer = row.slug, row, offer


def _read_couple_technicians(flow: BookingFlow, first: str, second: str) -> None:
    """Check the two guests' therapists ("any" or a slug each) against the chosen start."""
    named = [slug for slug in (first, second) if slug != ANY_TECHNICIAN]
    rows = {
        row.slug: row
        for row in Technician.objects.filter(slug__in=named, is_active=True)
        if flow.service.skill in (row.skills or [])
    }
    time = formats.time_format(flow.local_start, "g:i A")
    if len(set(named)) < len(named):
        flow.add_message("technician", _("Choose a different therapist for each guest."))
        return
    if any(slug not in rows for slug in named):
        flow.add_message(
            "technician",
            _("Sorry, that therapist does not give this treatment. Choose another therapist."),
        )
        return
    offer = offer_at(flow.day_offers, flow.start) if not named else None
    if named:
        request = replace(
            _day_request(flow, flow.day), technician_slug=None, technician_slugs=tuple(named)
        )
        offer = offer_at(get_availability(request, flow.access, now=flow.now), flow.start)
    if offer is None and len(named) == 1:
        flow.add_message(
            "technician",
            _(
                "Sorry, %(name)s is not free at %(time)s for this treatment: someone may have "
                "just booked that time. Choose another therapist."
            )
            % {"name": rows[named[0]].name, "time": time},
        )
        return
    if offer is None:
        flow.add_message(
            "technician",
            _(
                "Sorry, %(first)s and %(second)s are not both free at %(time)s. Choose other "
                "therapists or any available therapist."
            )
            % {"first": rows[named[0]].name, "second": rows[named[1]].name, "time": time},
        )
        return
    flow.technician, flow.second_technician = first, second
    flow.technician_row, flow.second_technician_row = rows.get(first), rows.get(second)
    flow.offer = offer


def load_open_steps(flow: BookingFlow) -> None:
    """Load what the open steps display: the calendar, the times, the therapists."""
    if flow.step_state("date") == "open":
        flow.calendar = calendar_view(
            flow.request, flow.access, flow.month_shown(), flow.now, selected=flow.day
        )
    if flow.step_state("time") == "open":
        flow.time_groups = group_times(flow.day_offers, flow.spa, flow.today)
    if flow.step_state("technician") == "open":
        flow.technician_choices = technicians_at(flow)


def group_times(
    offers: list[SlotOffer], spa: SpaSettings, today: date | None = None
) -> list[TimeGroup]:
    """Group a day's offers into morning, afternoon and evening (local time). With ``today``,
    members-only offers on a day inside the guests' window (priority and VIP-only holds) are
    listed as perks."""
    groups = [
        TimeGroup(_("Morning"), []),
        TimeGroup(_("Afternoon"), []),
        TimeGroup(_("Evening"), []),
    ]
    perks = set()
    for offer in offers:
        local = offer.slot.start.astimezone(spa.zone)
        groups[0 if local.hour < 12 else 1 if local.hour < 17 else 2].offers.append(offer)
        guests_window = (
            today is not None and (local.date() - today).days <= spa.non_member_advance_days
        )
        if offer.slot.member_only and guests_window:
            perks.add(offer.slot.start)
    for group in groups:
        group.perks = frozenset(perks)
    return [group for group in groups if group.offers]


def technicians_at(flow: BookingFlow) -> list[TechnicianChoice]:
    """Return the therapists free at the chosen start, each with the offer they would serve
    (one engine run per qualified therapist, over that one day)."""
    ids = [row.pk for row in candidate_technicians(flow.service)]
    choices = []
    for row in Technician.objects.filter(pk__in=ids).order_by("name"):
        offers = get_availability(_day_request(flow, flow.day, row.slug), flow.access, now=flow.now)
        offer = offer_at(offers, flow.start)
        if offer is not None:
            choices.append(TechnicianChoice(row, offer))
    return choices
