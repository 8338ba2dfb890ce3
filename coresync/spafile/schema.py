"""Read a spa file into typed specs, checking everything before anything is written.

:func:`parse_spa_text` is the entry point: YAML text in, a :class:`SpaDocument` out, or a
:class:`SpaFileError` listing every problem found, each naming the file, the line, the entry
and the field::

    spa.yaml:42: services[3] (slug "hot-stone"): field "room_types[1]": unknown room type "sauna" …

Checks are in two passes: each entry on its own (types, formats, unknown keys), then the
references between entries and to rows already in the database (a service's category, an
add-on's services, a booking's customer…). Nothing here writes to the database.
"""

import difflib
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

import yaml

from coresync.accounts.models import STAFF_ROLES, User
from coresync.catalog.models import AddOn, RoomType, Service, ServiceCategory
from coresync.core import readers as read
from coresync.core.readers import FieldError, HoursWindow, describe
from coresync.memberships.models import PLAN_TIERS, MembershipPlan, MembershipStatus
from coresync.resources.models import (
    TECHNICIAN_EXCEPTION_KINDS,
    HoldLevel,
    Room,
    Technician,
)
from coresync.spa.models import SpaSettings
from coresync.spafile.yaml_lines import LineDict, load_with_lines, yaml_error_line

T = TypeVar("T")

SECTIONS = (
    "settings",
    "plans",
    "categories",
    "services",
    "addons",
    "peak_pricing",
    "rooms",
    "technicians",
    "customers",
    "staff",
    "holds",
    "bookings",
)

# Keys each entry may have. Keys of the shared example file are the contract; the others
# (description, max_guests, schedules, note, phone, active, …) are optional additions.
SETTINGS_KEYS = (
    "name",
    "timezone",
    "currency",
    "tax_rate",
    "min_notice_minutes",
    "slot_interval_minutes",
    "non_member_advance_days",
    "hold_minutes",
    "check_in_window_minutes",
    "cancellation_policy",
)
POLICY_KEYS = ("free_until_hours", "late_fee_percent", "no_show_fee_percent")
PLAN_KEYS = (
    "slug",
    "name",
    "tier",
    "advance_days",
    "discount_percent",
    "priority",
    "vip",
    "monthly_price",
    "included_credits",
    "benefits",
    "birthday_benefit",
    "cancellation_policy",
    "active",
)
CATEGORY_KEYS = ("slug", "name")
SERVICE_KEYS = (
    "slug",
    "name",
    "category",
    "description",
    "durations",
    "price",
    "prices",
    "tier_prices",
    "skill",
    "self_guided",
    "room_types",
    "buffer_before",
    "buffer_after",
    "slot_interval_minutes",
    "max_guests",
    "active",
)
ADDON_KEYS = ("slug", "name", "description", "price", "extra_minutes", "services", "active")
PEAK_KEYS = ("days", "start", "end", "modifier_percent")
ROOM_KEYS = (
    "slug",
    "name",
    "type",
    "capacity",
    "features",
    "premium_modifier_percent",
    "hours",
    "maintenance",
    "active",
)
MAINTENANCE_KEYS = ("date", "end_date", "start", "end", "note")
TECHNICIAN_KEYS = (
    "slug",
    "name",
    "skills",
    "hourly_rate",
    "bio",
    "weekly_hours",
    "valid_from",
    "valid_until",
    "schedules",
    "exceptions",
    "active",
)
SCHEDULE_KEYS = ("valid_from", "valid_until", "weekly_hours")
EXCEPTION_KEYS = ("date", "kind", "end_date", "start", "end", "note")
CUSTOMER_KEYS = (
    "email",
    "name",
    "password",
    "phone",
    "plan",
    "membership_start",
    "membership_end",
    "membership_status",
)
STAFF_KEYS = ("email", "name", "password", "phone", "role", "technician")
HOLD_KEYS = ("technician", "room", "start", "end", "level", "until", "note")
BOOKING_KEYS = (
    "customer",
    "service",
    "duration",
    "technician",
    "room",
    "start",
    "addons",
    "guests",
    "status",
    "preferences",
    "notes",
)

IMPORTABLE_BOOKING_STATUSES = ("confirmed", "pending", "in_progress")


class SpaFileError(Exception):
    """A spa file that cannot be imported; ``messages`` lists every problem, one per line."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


class Problems:
    """Collects ``FILE:LINE: ENTRY: MESSAGE`` lines for one file."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._found: list[tuple[int, str]] = []

    @property
    def messages(self) -> list[str]:
        """The messages in file order (line by line, then in the order found)."""
        return [message for _, message in sorted(self._found, key=lambda found: found[0])]

    def add(self, line: int | None, where: str, message: str) -> None:
        location = f"{self.filename}:{line}" if line else self.filename
        text = f"{location}: {where}: {message}" if where else f"{location}: {message}"
        self._found.append((line or 0, text))

    def raise_if_any(self) -> None:
        """Raise :class:`SpaFileError` with everything collected so far, if anything."""
        if self._found:
            raise SpaFileError(self.messages)


def _did_you_mean(key: Any, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


class Entry:
    """One mapping of the file (a service, a room, a room's maintenance window…) being read.

    Reading a field through :meth:`required` / :meth:`optional` turns a ``FieldError`` into a
    message that names the file, line, ``label`` (``services[3] (slug "hot-stone")``) and field
    (``prefix`` + key, e.g. ``exceptions[1].kind``), and returns ``None``. Unknown keys are
    reported when the entry is created.
    """

    def __init__(
        self,
        data: LineDict,
        *,
        problems: Problems,
        label: str,
        allowed: tuple[str, ...],
        prefix: str = "",
    ) -> None:
        self.data = data
        self.problems = problems
        self.label = label
        self.prefix = prefix
        self.line = data.line
        for key in data:
            if key not in allowed:
                self.error(key, f"unknown field{_did_you_mean(key, allowed)}")

    def line_of(self, key: str) -> int | None:
        """Return the line where ``key`` is written, or the entry's line."""
        return self.data.key_lines.get(key, self.line)

    def has(self, key: str) -> bool:
        return key in self.data

    def error(self, key: str, message: str, *, line: int | None = None, path: str = "") -> None:
        """Report a problem with field ``key``."""
        self.problems.add(
            line or self.line_of(key), f'{self.label}: field "{self.prefix}{key}{path}"', message
        )

    def entry_error(self, message: str) -> None:
        """Report a problem with the entry as a whole."""
        where = f"{self.label}: {self.prefix.rstrip('.')}" if self.prefix else self.label
        self.problems.add(self.line, where, message)

    def _read(self, key: str, reader: Callable[[Any], T]) -> T | None:
        try:
            return reader(self.data[key])
        except FieldError as error:
            self.error(key, error.message, line=error.line, path=error.path)
            return None

    def required(self, key: str, reader: Callable[[Any], T]) -> T | None:
        """Return field ``key`` read by ``reader``; report it missing if absent."""
        if key not in self.data:
            self.error(key, "required field is missing", line=self.line)
            return None
        return self._read(key, reader)

    def optional(self, key: str, reader: Callable[[Any], T], default: Any = None) -> T | Any:
        """Return field ``key`` read by ``reader``, or ``default`` if absent."""
        if key not in self.data:
            return default
        return self._read(key, reader)

    def child(self, key: str, value: Any, allowed: tuple[str, ...], path: str) -> "Entry | None":
        """Return a nested mapping (``value``, found under ``key``) as an Entry whose fields
        are named ``path.field``; report and return ``None`` if it is not a mapping."""
        if not isinstance(value, LineDict):
            self.error(key, f"expected a mapping; got {describe(value)}", path=path[len(key) :])
            return None
        return Entry(
            value,
            problems=self.problems,
            label=self.label,
            allowed=allowed,
            prefix=f"{self.prefix}{path}.",
        )

    def children(self, key: str, allowed: tuple[str, ...]) -> list["Entry"]:
        """Return the list of mappings under ``key`` (absent or ``null`` = none) as Entries."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(key, f"expected a list of mappings; got {describe(value)}")
            return []
        entries = []
        for index, item in enumerate(value):
            if not isinstance(item, LineDict):
                self.error(
                    key,
                    f"expected a mapping; got {describe(item)}",
                    line=value.item_lines[index],
                    path=f"[{index}]",
                )
                continue
            entry = self.child(key, item, allowed, f"{key}[{index}]")
            if entry is not None:
                entries.append(entry)
        return entries


# -- specs: what the file says, typed ------------------------------------------------------


@dataclass
class SettingsSpec:
    """The ``settings`` section; absent keys take the model's defaults."""

    values: dict[str, Any]


@dataclass
class PlanSpec:
    """A ``plans`` entry; ``values`` are MembershipPlan fields."""

    entry: Entry = field(repr=False, compare=False)
    slug: str
    values: dict[str, Any]


@dataclass
class CategorySpec:
    """A ``categories`` entry; ``position`` is its index in the file."""

    entry: Entry = field(repr=False, compare=False)
    slug: str
    name: str
    position: int


@dataclass
class ServiceSpec:
    """A ``services`` entry: ``values`` are Service fields, ``prices`` minutes → price,
    ``tier_prices`` ``(tier, minutes, price)`` once plan slugs are resolved to tiers."""

    entry: Entry = field(repr=False, compare=False)
    slug: str
    category: str
    values: dict[str, Any]
    prices: dict[int, Decimal]
    tier_prices_by_name: dict[str, dict[int, Decimal]]
    tier_prices: list[tuple[str, int, Decimal]] = field(default_factory=list)


@dataclass
class AddOnSpec:
    """An ``addons`` entry; ``services`` are slugs."""

    entry: Entry = field(repr=False, compare=False)
    slug: str
    values: dict[str, Any]
    services: list[str]


@dataclass
class PeakWindowSpec:
    """A ``peak_pricing`` entry; ``days`` are weekday numbers, Monday = 0."""

    days: list[int]
    start: time
    end: time
    modifier_percent: Decimal


@dataclass(frozen=True)
class ExceptionSpec:
    """A technician's absence or a room's maintenance: whole days ``date``..``end_date`` or
    the part ``start``-``end`` of one day."""

    kind: str
    date: date
    end_date: date | None
    start: time | None
    end: time | None
    note: str


@dataclass
class RoomSpec:
    """A ``rooms`` entry with its opening hours and maintenance."""

    entry: Entry = field(repr=False, compare=False)
    slug: str
    values: dict[str, Any]
    hours: list[HoursWindow]
    maintenance: list[ExceptionSpec]


@dataclass
class ScheduleSpec:
    """Weekly hours valid from ``valid_from`` to ``valid_until`` (inclusive; None = open)."""

    valid_from: date | None
    valid_until: date | None
    windows: list[HoursWindow]


@dataclass
class TechnicianSpec:
    """A ``technicians`` entry with its schedules (one per validity range) and exceptions."""

    entry: Entry = field(repr=False, compare=False)
    slug: str
    values: dict[str, Any]
    schedules: list[ScheduleSpec]
    exceptions: list[ExceptionSpec]


@dataclass
class CustomerSpec:
    """A ``customers`` entry; ``password`` None keeps an existing account's password."""

    entry: Entry = field(repr=False, compare=False)
    email: str
    name: str
    password: str | None
    phone: str
    plan: str | None
    membership_start: date | None
    membership_end: date | None
    membership_status: str | None


@dataclass
class StaffSpec:
    """A ``staff`` entry; ``technician`` is the slug of the technician it logs in as."""

    entry: Entry = field(repr=False, compare=False)
    email: str
    name: str
    password: str | None
    phone: str
    role: str
    technician: str | None


@dataclass
class HoldSpec:
    """A ``holds`` entry; instants are aware UTC."""

    entry: Entry = field(repr=False, compare=False)
    technician: str | None
    room: str | None
    level: str
    start: datetime
    end: datetime
    until: datetime
    note: str


@dataclass
class BookingSpec:
    """A ``bookings`` entry; ``start`` is aware UTC, ``digest`` the SHA-256 of the entry
    (the booking's idempotency key is ``import:<digest>``)."""

    entry: Entry = field(repr=False, compare=False)
    customer: str
    service: str
    duration: int | None
    technician: str | None
    room: str | None
    start: datetime
    addons: list[str]
    guests: int
    status: str
    preferences: dict[str, Any]
    notes: str
    digest: str


@dataclass
class SpaDocument:
    """A validated spa file. A section is ``None`` when the file does not have it (then the
    import leaves that part of the database alone)."""

    filename: str
    settings: SettingsSpec | None = None
    plans: list[PlanSpec] | None = None
    categories: list[CategorySpec] | None = None
    services: list[ServiceSpec] | None = None
    addons: list[AddOnSpec] | None = None
    peak_pricing: list[PeakWindowSpec] | None = None
    rooms: list[RoomSpec] | None = None
    technicians: list[TechnicianSpec] | None = None
    customers: list[CustomerSpec] | None = None
    staff: list[StaffSpec] | None = None
    holds: list[HoldSpec] | None = None
    bookings: list[BookingSpec] | None = None


# -- pass 1: each entry on its own ---------------------------------------------------------


def _model_default(model: type, name: str) -> Any:
    return model._meta.get_field(name).get_default()


def _policy(entry: Entry, *, defaults: dict[str, Any] | None) -> dict[str, Any]:
    """Read ``cancellation_policy`` into model field values; ``defaults`` None = plan
    overrides (absent keys stay None, meaning "the spa's policy")."""
    names = {
        "free_until_hours": "free_cancellation_hours",
        "late_fee_percent": "late_cancellation_fee_percent",
        "no_show_fee_percent": "no_show_fee_percent",
    }
    values = {model_name: (defaults or {}).get(model_name) for model_name in names.values()}
    if not entry.has("cancellation_policy"):
        return values
    policy = entry.child(
        "cancellation_policy", entry.data["cancellation_policy"], POLICY_KEYS, "cancellation_policy"
    )
    if policy is None:
        return values
    values["free_cancellation_hours"] = policy.optional(
        "free_until_hours", read.integer(0, 24 * 365), values["free_cancellation_hours"]
    )
    for key in ("late_fee_percent", "no_show_fee_percent"):
        values[names[key]] = policy.optional(key, read.percent(0, 100), values[names[key]])
    return values


def _read_settings(entry: Entry) -> SettingsSpec:
    def default(name: str) -> Any:
        return _model_default(SpaSettings, name)

    values = {
        "name": entry.optional("name", read.text(120), default("name")),
        "timezone": entry.optional("timezone", read.timezone_name, default("timezone")),
        "currency": entry.optional("currency", read.currency, default("currency")),
        "tax_rate": entry.optional("tax_rate", read.fraction, default("tax_rate")),
        "min_notice_minutes": entry.optional(
            "min_notice_minutes", read.integer(0, 60 * 24 * 30), default("min_notice_minutes")
        ),
        "slot_interval_minutes": entry.optional(
            "slot_interval_minutes", read.integer(5, 240), default("slot_interval_minutes")
        ),
        "non_member_advance_days": entry.optional(
            "non_member_advance_days", read.integer(0, 730), default("non_member_advance_days")
        ),
        "hold_minutes": entry.optional(
            "hold_minutes", read.integer(1, 24 * 60), default("hold_minutes")
        ),
        "check_in_window_minutes": entry.optional(
            "check_in_window_minutes", read.integer(0, 24 * 60), default("check_in_window_minutes")
        ),
    }
    policy_defaults = {
        name: default(name)
        for name in (
            "free_cancellation_hours",
            "late_cancellation_fee_percent",
            "no_show_fee_percent",
        )
    }
    values.update(_policy(entry, defaults=policy_defaults))
    return SettingsSpec(values=values)


def _read_plan(entry: Entry, index: int) -> PlanSpec:
    values = {
        "name": entry.required("name", read.text(100)),
        "tier": entry.required("tier", read.choice(PLAN_TIERS, "tier")),
        "advance_days": entry.required("advance_days", read.integer(0, 730)),
        "discount_percent": entry.required("discount_percent", read.percent(0, 100)),
        "priority": entry.optional("priority", read.boolean, False),
        "vip": entry.optional("vip", read.boolean, False),
        "monthly_price": entry.required("monthly_price", read.money),
        "included_credits": entry.optional("included_credits", read.integer(0, 1000), 0),
        "benefits": entry.optional("benefits", read.list_of(read.text(200)), []),
        "birthday_benefit": entry.optional("birthday_benefit", read.text(200, blank=True), ""),
        "is_active": entry.optional("active", read.boolean, True),
    }
    values.update(_policy(entry, defaults=None))
    return PlanSpec(entry=entry, slug=entry.required("slug", read.slug), values=values)


def _read_category(entry: Entry, index: int) -> CategorySpec:
    return CategorySpec(
        entry=entry,
        slug=entry.required("slug", read.slug),
        name=entry.required("name", read.text(100)),
        position=index,
    )


def _read_service(entry: Entry, index: int) -> ServiceSpec:
    durations = entry.required("durations", read.list_of(read.minutes, unique=True, non_empty=True))
    prices: dict[int, Decimal] = {}
    if entry.has("price") and entry.has("prices"):
        entry.error("prices", 'give either "price" (for every duration) or "prices", not both')
    elif entry.has("price"):
        price = entry.optional("price", read.money)
        if price is not None and durations:
            prices = dict.fromkeys(durations, price)
    elif entry.has("prices"):
        prices = entry.optional("prices", read.price_table) or {}
        if durations:
            for duration in durations:
                if duration not in prices:
                    entry.error("prices", f"duration {duration} has no price")
            for duration in prices:
                if duration not in durations:
                    entry.error("prices", f"{duration} is not one of the durations {durations}")
    else:
        entry.error(
            "price", 'required field is missing (give "price" or "prices")', line=entry.line
        )

    self_guided = entry.optional("self_guided", read.boolean, False)
    skill = entry.optional("skill", read.slug, "")
    if self_guided and skill:
        entry.error("skill", "a self-guided service needs no technician, so no skill")
    elif self_guided is False and not entry.has("skill"):
        entry.error(
            "skill", "required field is missing (or set self_guided: true)", line=entry.line
        )

    tier_prices = entry.optional("tier_prices", read.tier_price_table, {}) or {}
    if durations:
        for name, table in tier_prices.items():
            for duration in table:
                if duration not in durations:
                    entry.error(
                        "tier_prices",
                        f"{duration} is not one of the durations {durations}",
                        path=f".{name}",
                    )

    values = {
        "name": entry.required("name", read.text(150)),
        "description": entry.optional("description", read.text(None, blank=True), ""),
        "skill": skill or "",
        "self_guided": bool(self_guided),
        "room_types": entry.required(
            "room_types",
            read.list_of(read.choice(RoomType.values, "room type"), unique=True, non_empty=True),
        ),
        "buffer_before": entry.optional("buffer_before", read.integer(0, 240), 0),
        "buffer_after": entry.optional("buffer_after", read.integer(0, 240), 0),
        "slot_interval_minutes": entry.optional(
            "slot_interval_minutes", read.optional(read.integer(5, 240)), None
        ),
        "max_guests": entry.optional("max_guests", read.integer(1, 20), 1),
        "is_active": entry.optional("active", read.boolean, True),
        "position": index,  # within the category: set once all services are read
    }
    return ServiceSpec(
        entry=entry,
        slug=entry.required("slug", read.slug),
        category=entry.required("category", read.slug),
        values=values,
        prices=prices,
        tier_prices_by_name=tier_prices,
    )


def _read_addon(entry: Entry, index: int) -> AddOnSpec:
    values = {
        "name": entry.required("name", read.text(120)),
        "description": entry.optional("description", read.text(None, blank=True), ""),
        "price": entry.required("price", read.money),
        "extra_minutes": entry.optional("extra_minutes", read.integer(0, 240), 0),
        "is_active": entry.optional("active", read.boolean, True),
    }
    return AddOnSpec(
        entry=entry,
        slug=entry.required("slug", read.slug),
        values=values,
        services=entry.optional("services", read.list_of(read.slug, unique=True), []) or [],
    )


def _read_peak_window(entry: Entry, index: int) -> PeakWindowSpec:
    start = entry.required("start", read.clock_time)
    end = entry.required("end", read.clock_time)
    if start is not None and end is not None and end <= start:
        entry.error("end", f'"{end:%H:%M}" is not after start "{start:%H:%M}"')
    return PeakWindowSpec(
        days=entry.required("days", read.weekdays),
        start=start,
        end=end,
        modifier_percent=entry.required("modifier_percent", read.percent(-100, 500)),
    )


def _read_exception(entry: Entry, *, kind: str | None) -> ExceptionSpec:
    """Read a technician exception (``kind`` None: from the entry) or a room's maintenance."""
    day = entry.required("date", read.calendar_date)
    end_date = entry.optional("end_date", read.optional(read.calendar_date))
    start = entry.optional("start", read.optional(read.clock_time))
    end = entry.optional("end", read.optional(read.clock_time))
    if (entry.data.get("start") is None) != (entry.data.get("end") is None):
        entry.entry_error(
            'give both "start" and "end" for part of a day, or neither for whole days'
        )
    elif start is not None and end is not None and end <= start:
        entry.error("end", f'"{end:%H:%M}" is not after start "{start:%H:%M}"')
    if day is not None and end_date is not None:
        if end_date < day:
            entry.error("end_date", f"{end_date} is before date {day}")
        elif start is not None and end_date != day:
            entry.error("end_date", "a part-day exception (start/end) covers one date only")
    if kind is None:
        kind = entry.required("kind", read.choice(TECHNICIAN_EXCEPTION_KINDS, "kind"))
    return ExceptionSpec(
        kind=kind,
        date=day,
        end_date=None if end_date == day else end_date,
        start=start,
        end=end,
        note=entry.optional("note", read.text(200, blank=True), ""),
    )


def _read_room(entry: Entry, index: int) -> RoomSpec:
    values = {
        "name": entry.required("name", read.text(120)),
        "room_type": entry.required("type", read.choice(RoomType.values, "room type")),
        "capacity": entry.required("capacity", read.integer(1, 100)),
        "features": entry.optional("features", read.list_of(read.slug, unique=True), []),
        "premium_modifier_percent": entry.optional(
            "premium_modifier_percent", read.percent(-100, 500), Decimal(0)
        ),
        "is_active": entry.optional("active", read.boolean, True),
    }
    maintenance = [
        _read_exception(child, kind="maintenance")
        for child in entry.children("maintenance", MAINTENANCE_KEYS)
    ]
    return RoomSpec(
        entry=entry,
        slug=entry.required("slug", read.slug),
        values=values,
        hours=entry.optional("hours", read.weekly_hours, []) or [],
        maintenance=maintenance,
    )


def _read_schedule(entry: Entry, *, hours_key: str = "weekly_hours") -> ScheduleSpec:
    valid_from = entry.optional("valid_from", read.optional(read.calendar_date))
    valid_until = entry.optional("valid_until", read.optional(read.calendar_date))
    if valid_from and valid_until and valid_until < valid_from:
        entry.error("valid_until", f"{valid_until} is before valid_from {valid_from}")
    return ScheduleSpec(
        valid_from=valid_from,
        valid_until=valid_until,
        windows=entry.required(hours_key, read.weekly_hours) or [],
    )


def _read_technician(entry: Entry, index: int) -> TechnicianSpec:
    values = {
        "name": entry.required("name", read.text(120)),
        "skills": entry.optional("skills", read.list_of(read.slug, unique=True), []),
        "hourly_rate": entry.optional("hourly_rate", read.money, Decimal("0.00")),
        "bio": entry.optional("bio", read.text(None, blank=True), ""),
        "is_active": entry.optional("active", read.boolean, True),
    }
    schedules: list[ScheduleSpec] = []
    if entry.has("schedules"):
        for key in ("weekly_hours", "valid_from", "valid_until"):
            if entry.has(key):
                entry.error(key, 'give either "schedules" or weekly_hours/valid_from/valid_until')
        schedules = [_read_schedule(child) for child in entry.children("schedules", SCHEDULE_KEYS)]
    elif entry.has("weekly_hours"):
        schedules = [_read_schedule(entry)]
    else:
        for key in ("valid_from", "valid_until"):
            if entry.has(key):
                entry.error(key, '"weekly_hours" is missing: a validity range needs hours')
    exceptions = [
        _read_exception(child, kind=None) for child in entry.children("exceptions", EXCEPTION_KEYS)
    ]
    return TechnicianSpec(
        entry=entry,
        slug=entry.required("slug", read.slug),
        values=values,
        schedules=schedules,
        exceptions=exceptions,
    )


def _read_customer(entry: Entry, index: int) -> CustomerSpec:
    plan = entry.optional("plan", read.optional(read.slug))
    start = entry.optional("membership_start", read.optional(read.calendar_date))
    end = entry.optional("membership_end", read.optional(read.calendar_date))
    status = entry.optional(
        "membership_status", read.optional(read.choice(MembershipStatus.values, "status"))
    )
    if plan is None:
        for key in ("membership_start", "membership_end", "membership_status"):
            if entry.data.get(key) is not None:
                entry.error(key, 'a membership needs a "plan"')
    elif start is None and not entry.has("membership_start"):
        entry.error("membership_start", "required field is missing (a plan needs a start date)")
    if start and end and end < start:
        entry.error("membership_end", f"{end} is before membership_start {start}")
    return CustomerSpec(
        entry=entry,
        email=entry.required("email", read.email),
        name=entry.required("name", read.text(150)),
        password=entry.optional("password", read.optional(read.text(128))),
        phone=entry.optional("phone", read.text(32, blank=True), ""),
        plan=plan,
        membership_start=start,
        membership_end=end,
        membership_status=status,
    )


def _read_staff(entry: Entry, index: int) -> StaffSpec:
    return StaffSpec(
        entry=entry,
        email=entry.required("email", read.email),
        name=entry.required("name", read.text(150)),
        password=entry.optional("password", read.optional(read.text(128))),
        phone=entry.optional("phone", read.text(32, blank=True), ""),
        role=entry.required("role", read.choice([str(role) for role in STAFF_ROLES], "role")),
        technician=entry.optional("technician", read.optional(read.slug)),
    )


def _read_hold(entry: Entry, index: int) -> HoldSpec:
    technician = entry.optional("technician", read.optional(read.slug))
    room = entry.optional("room", read.optional(read.slug))
    if technician and room:
        entry.entry_error("a hold is on a technician, a room or the whole spa: not both")
    start = entry.required("start", read.instant)
    end = entry.required("end", read.instant)
    if start and end and end <= start:
        entry.error("end", "is not after start")
    return HoldSpec(
        entry=entry,
        technician=technician,
        room=room,
        level=entry.required("level", read.choice(HoldLevel.values, "level")),
        start=start,
        end=end,
        until=entry.required("until", read.instant),
        note=entry.optional("note", read.text(200, blank=True), ""),
    )


def _plain(value: Any) -> Any:
    """Return ``value`` with LineDict/LineList turned into JSON-able plain data."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _read_booking(entry: Entry, index: int) -> BookingSpec:
    canonical = json.dumps(_plain(entry.data), sort_keys=True, ensure_ascii=False)
    guests = entry.optional("guests", read.integer(1, 20), 1)
    if guests and guests > 1 and entry.data.get("technician") is not None:
        # The booking service reads a named technician as "only this one", and each guest
        # needs their own: the technicians of a group booking are chosen for it.
        entry.error(
            "technician",
            "a booking for several guests gets one technician per guest, chosen when it is "
            'made: leave "technician" out',
        )
    return BookingSpec(
        entry=entry,
        customer=entry.required("customer", read.email),
        service=entry.required("service", read.slug),
        duration=entry.optional("duration", read.optional(read.minutes)),
        technician=entry.optional("technician", read.optional(read.slug)),
        room=entry.optional("room", read.optional(read.slug)),
        start=entry.required("start", read.instant),
        addons=entry.optional("addons", read.list_of(read.slug, unique=True), []) or [],
        guests=guests,
        status=entry.optional(
            "status", read.choice(IMPORTABLE_BOOKING_STATUSES, "booking status"), "confirmed"
        ),
        preferences=entry.optional("preferences", read.scalar_mapping, {}) or {},
        notes=entry.optional("notes", read.text(None, blank=True), ""),
        digest=hashlib.sha256(canonical.encode()).hexdigest(),
    )


_LIST_SECTIONS: dict[str, tuple[tuple[str, ...], str | None, Callable[[Entry, int], Any]]] = {
    # section: (allowed keys, identifying key shown in messages, reader)
    "plans": (PLAN_KEYS, "slug", _read_plan),
    "categories": (CATEGORY_KEYS, "slug", _read_category),
    "services": (SERVICE_KEYS, "slug", _read_service),
    "addons": (ADDON_KEYS, "slug", _read_addon),
    "peak_pricing": (PEAK_KEYS, None, _read_peak_window),
    "rooms": (ROOM_KEYS, "slug", _read_room),
    "technicians": (TECHNICIAN_KEYS, "slug", _read_technician),
    "customers": (CUSTOMER_KEYS, "email", _read_customer),
    "staff": (STAFF_KEYS, "email", _read_staff),
    "holds": (HOLD_KEYS, None, _read_hold),
    "bookings": (BOOKING_KEYS, "customer", _read_booking),
}


def _label(section: str, index: int, data: LineDict, identity_key: str | None) -> str:
    identity = data.get(identity_key) if identity_key else None
    if isinstance(identity, str):
        return f"{section}[{index}] ({identity_key} {json.dumps(identity, ensure_ascii=False)})"
    return f"{section}[{index}]"


def _read_sections(data: Any, problems: Problems) -> SpaDocument:
    document = SpaDocument(filename=problems.filename)
    if not isinstance(data, LineDict):
        found = "nothing" if data is None else describe(data)
        problems.add(1, "", f"expected a mapping of sections ({', '.join(SECTIONS)}); got {found}")
        return document
    for key in data:
        if key not in SECTIONS:
            problems.add(
                data.key_lines[key],
                f"section {describe(key)}",
                f"unknown section{_did_you_mean(key, SECTIONS)}; "
                f"sections are {', '.join(SECTIONS)}",
            )
    if "settings" in data:
        settings = data["settings"]
        if isinstance(settings, LineDict):
            document.settings = _read_settings(
                Entry(settings, problems=problems, label="settings", allowed=SETTINGS_KEYS)
            )
        else:
            problems.add(
                data.key_lines["settings"],
                "settings",
                f"expected a mapping; got {describe(settings)}",
            )
    for section, (allowed, identity_key, reader) in _LIST_SECTIONS.items():
        if section not in data:
            continue
        items = data[section]
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.add(
                data.key_lines[section], section, f"expected a list; got {describe(items)}"
            )
            continue
        specs = []
        for index, item in enumerate(items):
            if not isinstance(item, LineDict):
                problems.add(
                    items.item_lines[index],
                    f"{section}[{index}]",
                    f"expected a mapping of fields; got {describe(item)}",
                )
                continue
            label = _label(section, index, item, identity_key)
            entry = Entry(item, problems=problems, label=label, allowed=allowed)
            specs.append(reader(entry, index))
        setattr(document, section, specs)
    # A service's position counts within its category (the catalog orders by category
    # first), so an export, which lists services category by category, keeps positions.
    positions: Counter[str] = Counter()
    for service in document.services or []:
        service.values["position"] = positions[service.category]
        positions[service.category] += 1
    return document


# -- pass 2: references between entries and to the database --------------------------------


@dataclass
class _Known:
    """What a reference may name: the file's entries plus rows already in the database."""

    categories: set[str]
    plan_tiers: dict[str, str]
    service_durations: dict[str, set[int]]
    addon_services: dict[str, set[str]]
    rooms: set[str]
    technicians: set[str]
    users: set[str]
    existing_users: set[str]


def _known(document: SpaDocument) -> _Known:
    service_durations: dict[str, set[int]] = {}
    for service in Service.objects.prefetch_related("variants"):
        service_durations[service.slug] = {variant.minutes for variant in service.variants.all()}
    addon_services: dict[str, set[str]] = {}
    for addon in AddOn.objects.prefetch_related("services"):
        addon_services[addon.slug] = {service.slug for service in addon.services.all()}
    existing_users = {email.lower() for email in User.objects.values_list("email", flat=True)}
    known = _Known(
        categories=set(ServiceCategory.objects.values_list("slug", flat=True)),
        plan_tiers=dict(MembershipPlan.objects.values_list("slug", "tier")),
        service_durations=service_durations,
        addon_services=addon_services,
        rooms=set(Room.objects.values_list("slug", flat=True)),
        technicians=set(Technician.objects.values_list("slug", flat=True)),
        users=set(existing_users),
        existing_users=existing_users,
    )
    for plan in document.plans or []:
        if plan.slug and plan.values["tier"]:
            known.plan_tiers[plan.slug] = plan.values["tier"]
    known.categories.update(category.slug for category in document.categories or [])
    for service in document.services or []:
        known.service_durations[service.slug] = set(service.prices)
    for addon in document.addons or []:
        known.addon_services[addon.slug] = set(addon.services)
    known.rooms.update(room.slug for room in document.rooms or [])
    known.technicians.update(technician.slug for technician in document.technicians or [])
    known.users.update(
        person.email for person in (document.customers or []) + (document.staff or [])
    )
    return known


def _check_unique(specs: list[Any] | None, key: str) -> None:
    first_line: dict[Any, int | None] = {}
    for spec in specs or []:
        value = getattr(spec, key)
        if value is None:
            continue
        if value in first_line:
            spec.entry.error(
                key, f"duplicate {key} {describe(value)} (first on line {first_line[value]})"
            )
        else:
            first_line[value] = spec.entry.line_of(key)


def _check_reference(
    entry: Entry, key: str, value: str | None, known: set | dict, what: str
) -> bool:
    if value is None or value in known:
        return True
    entry.error(key, f"unknown {what} {describe(value)}")
    return False


def _check_references(document: SpaDocument, known: _Known) -> None:
    for section, key in (
        ("plans", "slug"),
        ("categories", "slug"),
        ("services", "slug"),
        ("addons", "slug"),
        ("rooms", "slug"),
        ("technicians", "slug"),
        ("customers", "email"),
        ("staff", "email"),
    ):
        _check_unique(getattr(document, section), key)

    for service in document.services or []:
        _check_reference(service.entry, "category", service.category, known.categories, "category")
        by_tier: dict[tuple[str, int], Decimal] = {}
        for name, table in service.tier_prices_by_name.items():
            tier = name if name in PLAN_TIERS else known.plan_tiers.get(name)
            if tier is None:
                service.entry.error(
                    "tier_prices", f"unknown tier or plan {describe(name)}", path=f".{name}"
                )
                continue
            for minutes, price in table.items():
                if by_tier.get((tier, minutes), price) != price:
                    service.entry.error(
                        "tier_prices",
                        f"two prices for tier {tier} at {minutes} minutes",
                        path=f".{name}",
                    )
                by_tier[(tier, minutes)] = price
        service.tier_prices = sorted(
            (tier, minutes, price) for (tier, minutes), price in by_tier.items()
        )

    for addon in document.addons or []:
        for index, service_slug in enumerate(addon.services):
            if service_slug not in known.service_durations:
                addon.entry.error(
                    "services", f"unknown service {describe(service_slug)}", path=f"[{index}]"
                )

    for customer in document.customers or []:
        _check_reference(customer.entry, "plan", customer.plan, known.plan_tiers, "plan")

    customer_emails = {customer.email for customer in document.customers or []}
    linked: dict[str, int | None] = {}
    for staff in document.staff or []:
        if staff.email in customer_emails:
            staff.entry.error("email", f"{staff.email} is also listed under customers")
        if _check_reference(
            staff.entry, "technician", staff.technician, known.technicians, "technician"
        ):
            if staff.technician in linked:
                staff.entry.error(
                    "technician",
                    f"technician {describe(staff.technician)} already has a login "
                    f"(line {linked[staff.technician]})",
                )
            elif staff.technician:
                linked[staff.technician] = staff.entry.line_of("technician")

    for person in (document.customers or []) + (document.staff or []):
        if person.email and person.email not in known.existing_users and not person.password:
            person.entry.error("password", "required for a new account", line=person.entry.line)

    for hold in document.holds or []:
        _check_reference(hold.entry, "technician", hold.technician, known.technicians, "technician")
        _check_reference(hold.entry, "room", hold.room, known.rooms, "room")

    for booking in document.bookings or []:
        entry = booking.entry
        _check_reference(entry, "customer", booking.customer, known.users, "customer")
        _check_reference(entry, "technician", booking.technician, known.technicians, "technician")
        _check_reference(entry, "room", booking.room, known.rooms, "room")
        if _check_reference(entry, "service", booking.service, known.service_durations, "service"):
            durations = known.service_durations.get(booking.service, set())
            if (
                booking.duration is not None
                and booking.service
                and booking.duration not in durations
            ):
                entry.error(
                    "duration",
                    f"{booking.service} has no {booking.duration}-minute variant "
                    f"(durations: {sorted(durations)})",
                )
        for index, addon_slug in enumerate(booking.addons):
            if addon_slug not in known.addon_services:
                entry.error("addons", f"unknown add-on {describe(addon_slug)}", path=f"[{index}]")
            elif booking.service and booking.service not in known.addon_services[addon_slug]:
                entry.error(
                    "addons",
                    f"add-on {describe(addon_slug)} is not offered with "
                    f"{describe(booking.service)}",
                    path=f"[{index}]",
                )


def parse_spa_text(text: str, *, filename: str) -> SpaDocument:
    """Parse and check a whole spa file.

    Args:
        text: the YAML text.
        filename: how messages name the file (``spa.yaml`` in ``spa.yaml:42: …``).

    Returns the :class:`SpaDocument`. Reads the database (to resolve references to existing
    rows) but never writes. Raises :class:`SpaFileError` listing every problem found.
    """
    problems = Problems(filename)
    try:
        data, duplicates = load_with_lines(text)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error)
        problems.add(yaml_error_line(error), "", f"not valid YAML: {problem}")
        raise SpaFileError(problems.messages) from None
    for line, key in duplicates:
        problems.add(line, f"key {describe(key)}", "written twice in the same mapping")
    document = _read_sections(data, problems)
    _check_references(document, _known(document))
    problems.raise_if_any()
    return document
