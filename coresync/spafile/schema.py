"""The spa file as declarative models: one pydantic model per kind of entry, the field rules
of :mod:`coresync.core.readers`, and the checks between entries and against the database.

:func:`parse_spa_text` is the entry point: YAML text in, a :class:`SpaDocument` out, or a
:class:`SpaFileError` listing every problem found, each naming the file, the line, the entry
and the field::

    spa.yaml:54: services[2] (slug "steam-room"): field "room_types[0]": unknown room type …

Checks are in two passes: each entry on its own (its model: types, formats, unknown keys,
rules between its fields), then the references between entries and to rows already in the
database (a service's category, an add-on's services, a staff member's technician…).
Nothing here writes to the database. The same models write the file back
(:func:`to_yaml`): what a model was given is what it writes, in its fields' order.
"""

import difflib
import hashlib
import json
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator
from pydantic import ValidationError as PydanticError

from coresync.accounts.models import STAFF_ROLES, User
from coresync.catalog.inputs import AddOnFields, ServiceFields
from coresync.catalog.models import AddOn, Service, ServiceCategory
from coresync.core import readers as read
from coresync.core.readers import (
    Boolean,
    Choice,
    ClockTime,
    Currency,
    Email,
    Fields,
    Fraction,
    Instant,
    Integer,
    ListOf,
    Minutes,
    Money,
    OptionalDate,
    OptionalSlug,
    Percent,
    PriceTable,
    Scalar,
    Slug,
    Text,
    TimeZone,
    WeekdayName,
    WeeklyHours,
    check_rules,
    describe,
    error_message,
    error_path,
    field_adapter,
    full_loc,
)
from coresync.memberships.inputs import PlanFields
from coresync.memberships.models import PLAN_TIERS, MembershipPlan, MembershipStatus
from coresync.resources.inputs import (
    AbsenceFields,
    ClosureFields,
    RoomFields,
    ScheduleFields,
    TechnicianFields,
    date_range_rule,
    window_rule,
)
from coresync.resources.models import HoldLevel, Room, Technician
from coresync.shop.models import ProductCategory
from coresync.spafile import yaml_io

IMPORTABLE_BOOKING_STATUSES = ("confirmed", "pending", "in_progress")


class SpaFileError(Exception):
    """A spa file that cannot be imported; ``messages`` lists every problem, one per line."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


OptionalPassword = read.optional_field(read.text(128))


class Entry(Fields):
    """A mapping of the file, written (:func:`to_yaml`) as its class says: ``flow``, on one
    line; ``block_fields``, mappings written as blocks (their values on one line each);
    ``quoted``, values always in quotes; ``key_order``, the keys' order if not the fields'.

    ``columns``: the fields stored as a column of the same name of the entry's row
    (``active`` as ``is_active``: :data:`COLUMNS`), copied both ways by the import and the
    export; ``always``: optional fields an export writes even when they hold their default
    (the others are left out then)."""

    flow: ClassVar[bool] = True
    block_fields: ClassVar[tuple[str, ...]] = ()
    quoted: ClassVar[tuple[str, ...]] = ()
    key_order: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[str, ...]] = ()
    always: ClassVar[tuple[str, ...]] = ()


COLUMNS = {"active": "is_active"}  # an entry's field → its row's column, where they differ
POLICY_FIELDS = {  # a cancellation policy's keys → the columns of a plan or the settings
    "free_until_hours": "free_cancellation_hours",
    "late_fee_percent": "late_cancellation_fee_percent",
    "no_show_fee_percent": "no_show_fee_percent",
}


def _columns(fields: type[Fields], *left_out: str) -> tuple[str, ...]:
    return tuple(name for name in fields.model_fields if name not in left_out)


class Policy(Entry):
    """A cancellation policy; on a plan, an absent key means "the spa's"."""

    free_until_hours: Integer(0, 24 * 365) = None
    late_fee_percent: Percent(0, 100) = None
    no_show_fee_percent: Percent(0, 100) = None


class Settings(Entry):
    """The ``settings`` section; an absent key takes the model's default."""

    flow: ClassVar[bool] = False
    block_fields: ClassVar[tuple[str, ...]] = ("cancellation_policy",)
    name: Text(120) = None
    timezone: TimeZone = None
    currency: Currency = None
    tax_rate: Fraction = None
    min_notice_minutes: Integer(0, 60 * 24 * 30) = None
    slot_interval_minutes: Integer(5, 240) = None
    non_member_advance_days: Integer(0, 730) = None
    hold_minutes: Integer(1, 24 * 60) = None
    check_in_window_minutes: Integer(0, 24 * 60) = None
    cancellation_policy: Policy = None


def _order(fields: type[Fields], **before: str) -> tuple[str, ...]:
    """The keys of ``fields`` in order, each added key (``maintenance="active"``) written
    before the key it names."""
    order: list[str] = []
    for name, info in fields.model_fields.items():
        key = info.alias or name
        order += [*(added for added, then in before.items() if then == key), key]
    return tuple(order)


class Plan(PlanFields, Entry):
    columns: ClassVar = _columns(PlanFields)
    always: ClassVar = ("priority", "vip")
    key_order: ClassVar = _order(PlanFields, cancellation_policy="active")
    cancellation_policy: Policy = None


class Category(Entry):
    slug: Slug
    name: Text(100)


class ServiceEntry(ServiceFields, Entry):
    flow: ClassVar[bool] = False
    columns: ClassVar = _columns(ServiceFields, "category", "skill")
    always: ClassVar = ("buffer_before", "buffer_after")
    key_order: ClassVar = _order(
        ServiceFields,
        **dict.fromkeys(("durations", "price", "prices", "tier_prices"), "self_guided"),
    )
    durations: ListOf(Minutes, unique=True, non_empty=True)
    price: Money = None
    prices: PriceTable = None
    tier_prices: dict[Slug, PriceTable] = {}

    @model_validator(mode="after")
    def _rules(self) -> "ServiceEntry":
        issues: list[tuple[str, str, bool] | None] = []
        if self.price is not None and self.prices is not None:
            issues.append(
                ("prices", 'give either "price" (for every duration) or "prices", not both', False)
            )
        elif self.price is None and self.prices is None:
            issues.append(("price", 'required field is missing (give "price" or "prices")', True))
        elif self.prices is not None:
            issues += [
                ("prices", f"duration {d} has no price", False)
                for d in self.durations
                if d not in self.prices
            ]
            issues += [
                ("prices", f"{d} is not one of the durations {self.durations}", False)
                for d in self.prices
                if d not in self.durations
            ]
        if self.self_guided and self.skill:
            issues.append(
                ("skill", "a self-guided service needs no technician, so no skill", False)
            )
        elif not self.self_guided and "skill" not in self.model_fields_set:
            issues.append(("skill", "required field is missing (or set self_guided: true)", True))
        for name, table in self.tier_prices.items():
            issues += [
                (f"tier_prices.{name}", f"{d} is not one of the durations {self.durations}", False)
                for d in table
                if d not in self.durations
            ]
        check_rules(*issues)
        return self

    def price_table(self) -> dict[int, Decimal]:
        """Minutes → price of each variant."""
        return (
            dict(self.prices)
            if self.prices is not None
            else dict.fromkeys(self.durations or [], self.price)
        )


PRODUCT_CATEGORIES = tuple(ProductCategory.values)


class ProductEntry(Entry):
    """A product of the pickup shop (ARCHITECTURE.md "Shop and concierge")."""

    columns: ClassVar = (
        *("slug", "name", "category", "description", "price", "member_price", "stock"),
        *("low_stock_threshold", "active"),
    )
    slug: Slug
    name: Text(150)
    category: Choice(PRODUCT_CATEGORIES, "category")
    description: Text(None, blank=True) = ""
    price: Money
    member_price: Money = None
    stock: Integer(0, 1_000_000)
    low_stock_threshold: Integer(0, 1_000_000) = 0
    active: Boolean = True


class PackageEntry(Entry):
    """A package of services on sale (docs/gift-cards.md): ``sessions`` of one service at one
    of its durations for ``price``, usable for ``valid_days`` after it is paid."""

    columns: ClassVar = ("slug", "name", "minutes", "sessions", "price", "valid_days", "active")
    slug: Slug
    name: Text(100)
    service: Slug
    minutes: Minutes
    sessions: Integer(1, 100)
    price: Money
    valid_days: Integer(1, 3650) = 365
    active: Boolean = True


class AddOnEntry(AddOnFields, Entry):
    columns: ClassVar = _columns(AddOnFields, "services")
    always: ClassVar = ("extra_minutes", "services")


class PeakWindow(Entry):
    days: ListOf(WeekdayName, unique=True, non_empty=True)
    start: ClockTime
    end: ClockTime
    modifier_percent: Percent(-100, 500)

    @model_validator(mode="after")
    def _rules(self) -> "PeakWindow":
        check_rules(window_rule(self.start, self.end))
        return self


class Absence(AbsenceFields, Entry):
    key_order: ClassVar[tuple[str, ...]] = ("date", "kind", "end_date", "start", "end", "note")
    columns: ClassVar = _columns(AbsenceFields)


class Closure(ClosureFields, Entry):
    columns: ClassVar = _columns(ClosureFields)


class RoomEntry(RoomFields, Entry):
    flow: ClassVar[bool] = False
    block_fields: ClassVar[tuple[str, ...]] = ("hours",)
    key_order: ClassVar = _order(RoomFields, maintenance="active")
    columns: ClassVar = _columns(RoomFields, "hours")
    always: ClassVar = ("features", "premium_modifier_percent", "hours", "maintenance")
    maintenance: list[Closure] = []


class Schedule(ScheduleFields, Entry):
    flow: ClassVar[bool] = False
    block_fields: ClassVar[tuple[str, ...]] = ("weekly_hours",)


class TechnicianEntry(TechnicianFields, Entry):
    flow: ClassVar[bool] = False
    block_fields: ClassVar[tuple[str, ...]] = ("weekly_hours",)
    key_order: ClassVar = _order(
        TechnicianFields,
        **dict.fromkeys(("schedules", "weekly_hours", "valid_from", "valid_until"), "bio"),
        exceptions="bio",
    )
    columns: ClassVar = _columns(TechnicianFields)
    always: ClassVar = ("skills", "hourly_rate", "exceptions")
    schedules: list[Schedule] = None
    weekly_hours: WeeklyHours = None
    valid_from: OptionalDate = None
    valid_until: OptionalDate = None
    exceptions: list[Absence] = []

    @model_validator(mode="after")
    def _rules(self) -> "TechnicianEntry":
        given = self.model_fields_set
        if self.schedules is not None:
            message = 'give either "schedules" or weekly_hours/valid_from/valid_until'
            check_rules(
                *[
                    (key, message, False)
                    for key in ("weekly_hours", "valid_from", "valid_until")
                    if key in given
                ]
            )
        elif self.weekly_hours is None:
            message = '"weekly_hours" is missing: a validity range needs hours'
            check_rules(
                *[(key, message, False) for key in ("valid_from", "valid_until") if key in given]
            )
        check_rules(date_range_rule(self.valid_from, self.valid_until))
        return self

    def schedule_list(self) -> list[Schedule]:
        """Its weekly hours, one :class:`Schedule` per validity range."""
        if self.schedules is not None:
            return self.schedules
        if self.weekly_hours is None:
            return []
        return [
            Schedule.model_construct(
                valid_from=self.valid_from,
                valid_until=self.valid_until,
                weekly_hours=self.weekly_hours,
            )
        ]


class Person(Entry):
    quoted: ClassVar[tuple[str, ...]] = ("password",)
    email: Email
    name: Text(150)
    password: OptionalPassword = None
    phone: Text(32, blank=True) = ""


class Customer(Person):
    plan: OptionalSlug = None
    membership_start: OptionalDate = None
    membership_end: OptionalDate = None
    membership_status: read.optional_field(read.choice(MembershipStatus.values, "status")) = None

    @model_validator(mode="after")
    def _rules(self) -> "Customer":
        issues = []
        membership = ("membership_start", "membership_end", "membership_status")
        if self.plan is None:
            issues += [
                (key, 'a membership needs a "plan"', False)
                for key in membership
                if getattr(self, key) is not None
            ]
        elif self.membership_start is None and "membership_start" not in self.model_fields_set:
            issues.append(
                ("membership_start", "required field is missing (a plan needs a start date)", False)
            )
        if (
            self.membership_start
            and self.membership_end
            and self.membership_end < self.membership_start
        ):
            issues.append(
                (
                    "membership_end",
                    f"{self.membership_end} is before membership_start {self.membership_start}",
                    False,
                )
            )
        check_rules(*issues)
        return self


class StaffMember(Person):
    role: Choice([str(role) for role in STAFF_ROLES], "role")
    technician: OptionalSlug = None


class Hold(Entry):
    technician: OptionalSlug = None
    room: OptionalSlug = None
    start: Instant
    end: Instant
    level: Choice(HoldLevel.values, "level")
    until: Instant
    note: Text(200, blank=True) = ""

    @model_validator(mode="after")
    def _rules(self) -> "Hold":
        both = self.technician and self.room
        check_rules(
            ("", "a hold is on a technician, a room or the whole spa: not both", False)
            if both
            else None,
            ("end", "is not after start", False) if self.end <= self.start else None,
        )
        return self


class BookingEntry(Entry):
    always: ClassVar = ("addons",)
    customer: Email
    service: Slug
    duration: read.optional_field(read.minutes) = None
    technician: OptionalSlug = None
    room: OptionalSlug = None
    start: Instant
    addons: ListOf(Slug, unique=True) = []
    guests: Integer(1, 20) = 1
    status: Choice(IMPORTABLE_BOOKING_STATUSES, "booking status") = "confirmed"
    preferences: dict[str, Scalar] = {}
    notes: Text(None, blank=True) = ""

    @model_validator(mode="after")
    def _rules(self) -> "BookingEntry":
        if self.guests > 1 and self.technician is not None:
            # The booking service reads a named technician as "only this one", and each guest
            # needs their own: the technicians of a group booking are chosen for it.
            check_rules(
                (
                    "technician",
                    "a booking for several guests gets one technician per guest, chosen when it "
                    'is made: leave "technician" out',
                    False,
                )
            )
        return self

    def digest(self) -> str:
        """SHA-256 of the entry (the booking's idempotency key is ``import:<digest>``)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


# section → (entry model, the key that names an entry in messages)
LIST_SECTIONS: dict[str, tuple[type[Entry], str | None]] = {
    "plans": (Plan, "slug"),
    "categories": (Category, "slug"),
    "services": (ServiceEntry, "slug"),
    "addons": (AddOnEntry, "slug"),
    "peak_pricing": (PeakWindow, None),
    "rooms": (RoomEntry, "slug"),
    "technicians": (TechnicianEntry, "slug"),
    "customers": (Customer, "email"),
    "staff": (StaffMember, "email"),
    "holds": (Hold, None),
    "bookings": (BookingEntry, "customer"),
    "products": (ProductEntry, "slug"),
    "packages": (PackageEntry, "slug"),
}
SECTIONS = ("settings", *LIST_SECTIONS)


class SpaDocument(BaseModel):
    """A validated spa file. A section is ``None`` when the file does not have it (then the
    import leaves that part of the database alone)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    settings: Settings | None = None
    plans: list[Plan] | None = None
    categories: list[Category] | None = None
    services: list[ServiceEntry] | None = None
    addons: list[AddOnEntry] | None = None
    peak_pricing: list[PeakWindow] | None = None
    rooms: list[RoomEntry] | None = None
    technicians: list[TechnicianEntry] | None = None
    customers: list[Customer] | None = None
    staff: list[StaffMember] | None = None
    holds: list[Hold] | None = None
    bookings: list[BookingEntry] | None = None
    products: list[ProductEntry] | None = None
    packages: list[PackageEntry] | None = None
    _source: "Source" = PrivateAttr(default=None)
    _indexes: dict[str, list[int]] = PrivateAttr(default_factory=dict)

    def raise_issues(self, issues: list["Issue"]) -> None:
        """Raise :class:`SpaFileError` for problems found in this document's source."""
        raise_issues(issues, self._source)


# -- problems, placed in the file -----------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """A problem at ``loc`` (section, index, field…); ``entry_level``: about the entry as a
    whole, not a field; ``line_loc``: where to take the line from, if not ``loc``;
    ``where``: the entry as written in the message, if not worked out from ``loc``;
    ``line``: the line, when the reader gave it and there is no ``loc``."""

    loc: tuple
    message: str
    entry_level: bool = False
    line_loc: tuple | None = None
    where: str | None = None
    line: int | None = None


class Source:
    """Where a document was read from, to place its problems: the data as read (sections →
    lists of mappings) and how a path in it (``("services", 2, "price")``) is written, like
    ``spa.yaml:42`` for a YAML file."""

    def __init__(self, data: Any, filename: str) -> None:
        self.data = data
        self.filename = filename

    def place(self, loc: tuple) -> tuple[Any, str]:
        """``(sort key, "spa.yaml:42")`` of the value at ``loc``, or of the nearest part the
        source has."""
        line = yaml_io.line_of(self.data, loc)
        return line, f"{self.filename}:{line}"

    def short_place(self, loc: tuple) -> str:
        """How a message refers to another place of the same source (``line 23``)."""
        return f"line {yaml_io.line_of(self.data, loc)}"

    def where(self, loc: tuple, entry_level: bool) -> str:
        """How a message names the entry and field at ``loc`` (non-empty):
        ``services[2] (slug "steam-room"): field "price"``; ``entry_level``: the problem is
        about the entry as a whole, not one field."""
        if loc[0] in LIST_SECTIONS and len(loc) > 1 and isinstance(loc[1], int):
            label, rest = _label(loc[0], loc[1], self.data), loc[2:]
        else:
            label, rest = str(loc[0]), loc[1:]
        if not rest:
            return label
        if entry_level:
            return f"{label}: {error_path(rest)}"
        return f'{label}: field "{error_path(rest)}"'


def _label(section: str, index: int, data: Any) -> str:
    identity_key = LIST_SECTIONS[section][1]
    try:
        identity = data[section][index].get(identity_key) if identity_key else None
    except (AttributeError, IndexError, KeyError, TypeError):
        identity = None
    if isinstance(identity, str):
        identity = json.dumps(str(identity), ensure_ascii=False)
        return f"{section}[{index}] ({identity_key} {identity})"
    return f"{section}[{index}]"


def _format(issue: Issue, source: Source) -> tuple[Any, str]:
    loc = issue.loc
    order, place = source.place(issue.line_loc if issue.line_loc is not None else loc)
    if issue.line is not None:
        order, place = issue.line, f"{source.filename}:{issue.line}"
    where = issue.where
    if where is None and loc:
        where = source.where(loc, issue.entry_level)
    return order, f"{place}: {where}: {issue.message}" if where else f"{place}: {issue.message}"


def _keys_of(model: type[BaseModel], path: tuple) -> list[str]:
    """The keys the model at ``path`` (inside ``model``) allows, for "did you mean"."""
    for part in path:
        if not isinstance(part, str):
            continue
        fields = {info.alias or name: info.annotation for name, info in model.model_fields.items()}
        kinds = [fields.get(part)]
        while kinds and not (isinstance(kinds[0], type) and issubclass(kinds[0], BaseModel)):
            kind = kinds.pop(0)
            kinds += list(typing.get_args(kind)) if kind is not None else []
        if not kinds:
            return []
        model = kinds[0]
    return [info.alias or name for name, info in model.model_fields.items()]


def _did_you_mean(key: Any, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(key), list(allowed), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _issues(error: PydanticError, prefix: tuple, model: type[BaseModel]) -> Iterator[Issue]:
    """The problems of a pydantic error, placed under ``prefix`` (section, index)."""
    for detail in error.errors():
        loc = prefix + tuple(detail["loc"])
        context = detail.get("ctx") or {}
        if detail["type"] == "entry":
            for key, message, at_entry in context["issues"]:
                parts = tuple(key.split(".")) if key else ()
                yield Issue(
                    loc + parts, message, entry_level=not key, line_loc=loc if at_entry else None
                )
        elif detail["type"] == "extra_forbidden":
            allowed = _keys_of(model, tuple(detail["loc"])[:-1])
            yield Issue(loc, f"unknown field{_did_you_mean(loc[-1], allowed)}")
        else:
            line_loc = loc if detail["type"] == "missing" else None
            yield Issue(prefix + full_loc(detail), error_message(detail), line_loc=line_loc)


# -- pass 1: each entry on its own -----------------------------------------------------------


def _read_sections(data: Any) -> tuple[SpaDocument, list[Issue]]:
    document, issues = SpaDocument(), []
    if not isinstance(data, dict):
        found = "nothing" if data is None else describe(data)
        issues.append(
            Issue((), f"expected a mapping of sections ({', '.join(SECTIONS)}); got {found}")
        )
        return document, issues
    for key in data:
        if key not in SECTIONS:
            message = (
                f"unknown section{_did_you_mean(key, SECTIONS)}; sections are {', '.join(SECTIONS)}"
            )
            issues.append(Issue((key,), message, where=f"section {describe(key)}"))
    if "settings" in data:
        try:
            document.settings = Settings.model_validate(data["settings"])
        except PydanticError as error:
            issues += _issues(error, ("settings",), Settings)
    for section, (model, _) in LIST_SECTIONS.items():
        if section not in data:
            continue
        items = data[section] if data[section] is not None else []
        if not isinstance(items, list):
            issues.append(Issue((section,), f"expected a list; got {describe(items)}"))
            continue
        entries, indexes = [], []
        for index, item in enumerate(items):
            try:
                entries.append(model.model_validate(item))
            except PydanticError as error:
                issues += _issues(error, (section, index), model)
                if not isinstance(item, dict):
                    continue
                bad = {detail["loc"][0] for detail in error.errors() if detail["loc"]}
                entries.append(_partial(model, item, bad))
            indexes.append(index)
        setattr(document, section, entries)
        document._indexes[section] = indexes
    return document, issues


def _partial(model: type[Entry], item: dict, bad: set) -> Entry:
    """An entry made of the fields of ``item`` that are valid on their own (the others
    None), so that the references of an entry with errors are checked too (its rules
    between fields are not: they need every field)."""
    values = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        values[name] = None if info.is_required() else info.get_default(call_default_factory=True)
        if key in item and key not in bad:
            try:
                values[name] = field_adapter(model, name).validate_python(item[key])
            except PydanticError:
                values[name] = None
    return model.model_construct(**values)


# -- pass 2: references between entries and to the database ---------------------------------


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
    existing_users = {email.lower() for email in User.objects.values_list("email", flat=True)}
    known = _Known(
        categories=set(ServiceCategory.objects.values_list("slug", flat=True)),
        plan_tiers=dict(MembershipPlan.objects.values_list("slug", "tier")),
        service_durations={
            service.slug: {variant.minutes for variant in service.variants.all()}
            for service in Service.objects.prefetch_related("variants")
        },
        addon_services={
            addon.slug: {service.slug for service in addon.services.all()}
            for addon in AddOn.objects.prefetch_related("services")
        },
        rooms=set(Room.objects.values_list("slug", flat=True)),
        technicians=set(Technician.objects.values_list("slug", flat=True)),
        users=set(existing_users),
        existing_users=existing_users,
    )
    known.plan_tiers.update((plan.slug, plan.tier) for plan in document.plans or [])
    known.categories.update(category.slug for category in document.categories or [])
    known.service_durations.update((s.slug, set(s.price_table())) for s in document.services or [])
    known.addon_services.update(
        (addon.slug, set(addon.services)) for addon in document.addons or []
    )
    known.rooms.update(room.slug for room in document.rooms or [])
    known.technicians.update(technician.slug for technician in document.technicians or [])
    known.users.update(
        person.email for person in (document.customers or []) + (document.staff or [])
    )
    return known


def _entries(document: SpaDocument, section: str) -> Iterator[tuple[tuple, Any]]:
    """``((section, index), entry)`` for the valid entries of ``section``, ``index`` as in
    the file."""
    indexes = document._indexes.get(section, [])
    for index, entry in zip(indexes, getattr(document, section) or [], strict=True):
        yield (section, index), entry


# (section, field, what it names, the _Known set it must be in): the simple references.
REFERENCES = (
    ("services", "category", "category", "categories"),
    ("addons", "services", "service", "service_durations"),
    ("customers", "plan", "plan", "plan_tiers"),
    ("staff", "technician", "technician", "technicians"),
    ("holds", "technician", "technician", "technicians"),
    ("holds", "room", "room", "rooms"),
    ("bookings", "customer", "customer", "users"),
    ("bookings", "technician", "technician", "technicians"),
    ("bookings", "room", "room", "rooms"),
    ("bookings", "service", "service", "service_durations"),
    ("bookings", "addons", "add-on", "addon_services"),
    ("packages", "service", "service", "service_durations"),
)
# (section, the key no two entries may share)
UNIQUE_KEYS = (
    ("plans", "slug"),
    ("categories", "slug"),
    ("services", "slug"),
    ("addons", "slug"),
    ("rooms", "slug"),
    ("technicians", "slug"),
    ("customers", "email"),
    ("staff", "email"),
    ("products", "slug"),
    ("packages", "slug"),
)


def _check_references(document: SpaDocument, source: Source) -> list[Issue]:
    known = _known(document)
    issues: list[Issue] = []

    def add(loc: tuple, message: str, **options: Any) -> None:
        issues.append(Issue(loc, message, **options))

    for section, key in UNIQUE_KEYS:
        first: dict[str, str] = {}
        for loc, entry in _entries(document, section):
            value = getattr(entry, key)
            if value in first:
                add((*loc, key), f"duplicate {key} {describe(value)} (first on {first[value]})")
            elif value is not None:
                first[value] = source.short_place((*loc, key))

    for section, key, what, known_set in REFERENCES:
        for loc, entry in _entries(document, section):
            value = getattr(entry, key)
            values = enumerate(value) if isinstance(value, list) else [(None, value)]
            for index, item in values:
                if item is not None and item not in getattr(known, known_set):
                    where = (*loc, key) if index is None else (*loc, key, index)
                    add(where, f"unknown {what} {describe(item)}")

    for loc, service in _entries(document, "services"):
        by_tier: dict[tuple[str, int], Decimal] = {}
        for name, table in service.tier_prices.items():
            tier = name if name in PLAN_TIERS else known.plan_tiers.get(name)
            if tier is None:
                add((*loc, "tier_prices", name), f"unknown tier or plan {describe(name)}")
            for minutes, price in table.items() if tier else ():
                if by_tier.setdefault((tier, minutes), price) != price:
                    message = f"two prices for tier {tier} at {minutes} minutes"
                    add((*loc, "tier_prices", name), message)

    customer_emails = {customer.email for customer in document.customers or []}
    linked: dict[str, str] = {}
    for loc, staff in _entries(document, "staff"):
        if staff.email in customer_emails:
            add((*loc, "email"), f"{staff.email} is also listed under customers")
        if staff.technician in linked:
            message = f"technician {describe(staff.technician)} already has a login"
            add((*loc, "technician"), f"{message} ({linked[staff.technician]})")
        elif staff.technician in known.technicians:
            linked[staff.technician] = source.short_place((*loc, "technician"))

    for section in ("customers", "staff"):
        for loc, person in _entries(document, section):
            if person.email and person.email not in known.existing_users and not person.password:
                add((*loc, "password"), "required for a new account", line_loc=loc)

    for loc, package in _entries(document, "packages"):
        durations = known.service_durations.get(package.service)
        if (
            durations is not None
            and package.minutes is not None
            and package.minutes not in durations
        ):
            variant = f"{package.service} has no {package.minutes}-minute variant"
            add((*loc, "minutes"), f"{variant} (durations: {sorted(durations)})")

    for loc, booking in _entries(document, "bookings"):
        durations = known.service_durations.get(booking.service)
        if durations is not None and booking.duration not in (None, *durations):
            variant = f"{booking.service} has no {booking.duration}-minute variant"
            add((*loc, "duration"), f"{variant} (durations: {sorted(durations)})")
        for index, slug in enumerate(booking.addons):
            offered_with = known.addon_services.get(slug)
            if offered_with is not None and booking.service not in offered_with:
                message = f"add-on {describe(slug)} is not offered with {describe(booking.service)}"
                add((*loc, "addons", index), message)
    return issues


def raise_issues(issues: list[Issue], source: Source) -> None:
    """Raise :class:`SpaFileError` with ``issues`` as messages in file order, if any."""
    if issues:
        found = sorted((_format(issue, source) for issue in issues), key=lambda found: found[0])
        raise SpaFileError([message for _, message in found])


def check_document(source: Source, issues: Iterable[Issue] = ()) -> SpaDocument:
    """Check the sections of ``source.data`` (plain mappings and lists, however read) with
    the models, then the references; return the :class:`SpaDocument` or raise
    :class:`SpaFileError` with every problem (``issues``, found while reading, first),
    placed by ``source``."""
    document, found = _read_sections(source.data)
    issues = [*issues, *found, *_check_references(document, source)]
    raise_issues(issues, source)
    document._source = source
    return document


def parse_spa_text(text: str, *, filename: str) -> SpaDocument:
    """Parse and check a whole spa file.

    Args:
        text: the YAML text.
        filename: how messages name the file (``spa.yaml`` in ``spa.yaml:42: …``).

    Returns the :class:`SpaDocument`. Reads the database (to resolve references to existing
    rows) but never writes. Raises :class:`SpaFileError` listing every problem found.
    """
    try:
        data, duplicates = yaml_io.load(text)
    except yaml_io.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error)
        line = yaml_io.error_line(error)
        raise SpaFileError([f"{filename}:{line}: not valid YAML: {problem}"]) from None
    message = "written twice in the same mapping"
    twice = [
        Issue((), message, where=f"key {describe(key)}", line=line) for line, key in duplicates
    ]
    return check_document(Source(data, filename), twice)


# -- writing --------------------------------------------------------------------------------


def to_yaml(entry: Entry, *, flow: bool | None = None) -> Any:
    """The data of ``entry`` for :func:`coresync.spafile.yaml_io.dump_document`: the fields
    it was given, in order, written as the model's serializers say, styled (on one line or
    as a block) as its class says; ``flow`` overrides the class."""
    values = entry.model_dump(by_alias=True, exclude_unset=True)
    fields = {info.alias or name: name for name, info in type(entry).model_fields.items()}
    result: dict[str, Any] = {}
    for key in entry.key_order or values:
        if key not in values:
            continue
        value, block = getattr(entry, fields[key]), key in entry.block_fields
        if isinstance(value, Entry):
            result[key] = to_yaml(value, flow=not block)
        elif isinstance(value, list) and value and isinstance(value[0], Entry):
            result[key] = [to_yaml(item) for item in value]
        elif isinstance(values[key], dict) and block:
            result[key] = {name: _flow(item) for name, item in values[key].items()}
        elif key in entry.quoted and values[key] is not None:
            result[key] = yaml_io.quoted(values[key])
        else:
            result[key] = _flow(values[key])
    return yaml_io.flow(result) if (entry.flow if flow is None else flow) else result


def _flow(value: Any) -> Any:
    return yaml_io.flow(value) if isinstance(value, list | dict) else value
