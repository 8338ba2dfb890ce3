"""Write a checked spa file to the database, idempotently.

Rules (docs/spa-file.md, "Guarantees"):

1. Everything happens in one ``transaction.atomic()``: an error anywhere, including a booking
   that cannot be made, leaves the database as it was.
2. Entries with a slug or an email are created or updated in place, never duplicated; rows
   that are not in the file are left alone.
3. An entry's own lists (a service's variants and tier prices, a room's hours and
   maintenance, a technician's hours and exceptions) and the key-less sections
   (``peak_pricing``, ``holds``) are made to match the file: rows that match are kept as they
   are, others deleted, missing ones created. Importing the same file twice changes nothing.
4. Passwords are set only when the stored hash does not already match.
5. Bookings are added, never changed: an entry whose customer, service and start already
   have a booking is skipped.
"""

from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import models, transaction

from coresync.accounts.models import Role, User
from coresync.accounts.roles import sync_role_groups
from coresync.bookings.models import Booking, BookingStatus
from coresync.bookings.services import check_in_booking, create_booking
from coresync.catalog.models import (
    AddOn,
    PeakPricingWindow,
    Service,
    ServiceCategory,
    ServiceVariant,
)
from coresync.core import clock
from coresync.core.errors import DomainError
from coresync.core.readers import HoursWindow, hours_windows
from coresync.giftcards.models import Package
from coresync.memberships.models import (
    PLAN_TIERS,
    Membership,
    MembershipPlan,
    MembershipStatus,
    TierPrice,
)
from coresync.notifications.services import suppress_notifications
from coresync.resources.models import (
    WEEKDAY_KEYS,
    AvailabilityException,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)
from coresync.shop.models import Product
from coresync.spa.models import SETTINGS_CACHE_KEY, SpaSettings
from coresync.spa.selectors import get_settings
from coresync.spafile.schema import (
    COLUMNS,
    POLICY_FIELDS,
    Closure,
    Customer,
    Entry,
    Issue,
    Plan,
    Policy,
    Schedule,
    Settings,
    SpaDocument,
    StaffMember,
    parse_spa_text,
)

HOURS_FIELDS = ("weekday", "start", "end", "valid_from", "valid_until")
EXCEPTION_FIELDS = ("kind", "date", "end_date", "start", "end", "note")


@dataclass
class ImportReport:
    """What an import did: per section, how many entries were created and updated (an entry
    counts as updated when it or one of its own lists changed); for the key-less sections
    (``peak_pricing``, ``holds``), how many rows were created and deleted."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    bookings_skipped: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        """Return one line per section that changed (``services: 3 created, 1 updated``), or
        a line saying nothing changed; then the bookings skipped, and whether it was a dry
        run."""
        lines = []
        for section in sorted(set(+self.created) | set(+self.updated) | set(+self.deleted)):
            line = f"{section}: {self.created[section]} created, {self.updated[section]} updated"
            if self.deleted[section]:
                line += f", {self.deleted[section]} deleted"
            lines.append(line)
        if not lines:
            lines.append("nothing to change: the database already matches the file")
        if self.bookings_skipped:
            lines.append(f"bookings: {self.bookings_skipped} already present, skipped")
        if self.dry_run:
            lines.append("dry run: nothing was saved")
        return "\n".join(lines)


class _DryRun(Exception):
    """Raised to roll the transaction back after a complete trial import."""


def import_spa_file(
    path: str | Path, *, now: datetime | None = None, dry_run: bool = False, notify: bool = False
) -> ImportReport:
    """Import the spa file at ``path`` (UTF-8 YAML); see :func:`import_spa_text`."""
    text = Path(path).read_text(encoding="utf-8")
    return import_spa_text(text, filename=str(path), now=now, dry_run=dry_run, notify=notify)


def import_spa_text(
    text: str,
    *,
    filename: str,
    now: datetime | None = None,
    dry_run: bool = False,
    notify: bool = False,
) -> ImportReport:
    """Check and import a spa file.

    Args:
        text: the YAML text.
        filename: how error messages name the file.
        now: the current instant (aware); read from the clock when None. Decides whether a
            membership that ended is ``expired`` and is passed to the booking service.
        dry_run: do everything, then roll back (bookings included, so their slots are
            checked too).
        notify: send guests the messages of what is imported (booking confirmations and
            reminders); by default an import writes no notification at all
            (:func:`coresync.notifications.services.suppress_notifications`).

    Returns an :class:`ImportReport`. Raises :class:`SpaFileError` (every problem, each with
    file, line, entry and field) before writing anything if the file is invalid, or after
    rolling back if a booking could not be made.
    """
    document = parse_spa_text(text, filename=filename)
    return import_document(document, now=now or clock.now(), dry_run=dry_run, notify=notify)


def import_document(
    document: SpaDocument,
    *,
    now: datetime,
    dry_run: bool = False,
    notify: bool = False,
    keep_positions: bool = False,
) -> ImportReport:
    """Write a checked :class:`SpaDocument` in one transaction; see :func:`import_spa_text`.

    ``keep_positions``: existing services keep their place in their category (the order of
    the document's ``services`` says nothing, as in a pricing sheet); by default the
    document's order is the catalog's."""
    report = ImportReport(dry_run=dry_run)
    quiet = nullcontext() if notify else suppress_notifications()
    try:
        with transaction.atomic(), quiet:
            _Writer(document, now=now, report=report, keep_positions=keep_positions).write()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        # The settings row may have been cached (by us or the booking service) inside a
        # transaction that is now rolled back; a later read must go to the database.
        cache.delete(SETTINGS_CACHE_KEY)
    return report


def _assign(instance: models.Model, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``instance``; return the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    return changed


def _sync_rows(
    queryset: models.QuerySet, fields: tuple[str, ...], desired: list[dict[str, Any]], **owner: Any
) -> "_Sync":
    """Make the rows of ``queryset`` match ``desired`` (dicts of ``fields``): keep rows equal
    to a desired dict, delete the others, create the missing ones with ``owner`` (the foreign
    key, e.g. ``service=…``). Return how many were created and deleted (truthy if any)."""
    remaining = list(desired)
    stale = []
    for row in queryset:
        values = {name: getattr(row, name) for name in fields}
        if values in remaining:
            remaining.remove(values)
        else:
            stale.append(row.pk)
    model = queryset.model
    if stale:
        model.objects.filter(pk__in=stale).delete()
    for values in remaining:
        model.objects.create(**owner, **values)
    return _Sync(created=len(remaining), deleted=len(stale))


@dataclass(frozen=True)
class _Sync:
    created: int
    deleted: int

    def __bool__(self) -> bool:
        return bool(self.created or self.deleted)


def _hours_rows(windows: list[HoursWindow], schedule: Schedule | None = None) -> list[dict]:
    return [
        {
            "weekday": window.weekday,
            "start": window.start,
            "end": window.end,
            "valid_from": schedule.valid_from if schedule else None,
            "valid_until": schedule.valid_until if schedule else None,
        }
        for window in windows
    ]


def _exception_rows(exceptions: list[Closure]) -> list[dict]:
    """Rows of AvailabilityException: a room's closures are ``maintenance``; an end date equal
    to the date is no end date."""
    return [
        {
            "kind": getattr(exception, "kind", "maintenance"),
            "date": exception.date,
            "end_date": None if exception.end_date == exception.date else exception.end_date,
            "start": exception.start,
            "end": exception.end,
            "note": exception.note,
        }
        for exception in exceptions
    ]


def _columns(entry: Entry) -> dict[str, Any]:
    """The column values of an entry's row (its ``columns`` but the slug, the row's key)."""
    names = (name for name in entry.columns if name != "slug")
    return {COLUMNS.get(name, name): getattr(entry, name) for name in names}


def _policy(policy: Policy | None, defaults: dict[str, Any]) -> dict[str, Any]:
    """Model fields of a cancellation policy; an absent key takes ``defaults``' value."""
    given = policy.model_fields_set if policy else set()
    return {
        model_name: getattr(policy, key) if key in given else defaults.get(model_name)
        for key, model_name in POLICY_FIELDS.items()
    }


def _settings_values(document: SpaDocument) -> dict[str, Any]:
    """SpaSettings fields: the file's, or the model's defaults for keys it leaves out."""
    settings = document.settings
    defaults = {field.name: field.get_default() for field in SpaSettings._meta.concrete_fields}
    names = [name for name in Settings.model_fields if name != "cancellation_policy"]
    values = {
        name: defaults[name] if getattr(settings, name) is None else getattr(settings, name)
        for name in names
    }
    values.update(_policy(settings.cancellation_policy, defaults))
    return values


def _plan_values(plan: Plan) -> dict[str, Any]:
    return _columns(plan) | _policy(plan.cancellation_policy, {})


class _Writer:
    """Writes one document, section by section, in dependency order."""

    def __init__(
        self,
        document: SpaDocument,
        *,
        now: datetime,
        report: ImportReport,
        keep_positions: bool = False,
    ) -> None:
        self.document = document
        self.now = now
        self.report = report
        self.keep_positions = keep_positions

    def write(self) -> None:
        self._settings()
        self._plans()
        self._categories()
        self._services()
        self._addons()
        self._peak_pricing()
        self._rooms()
        self._technicians()
        self._customers()
        self._staff()
        self._holds()
        self._bookings()
        self._products()
        self._packages()

    def _upsert(
        self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
    ) -> tuple[Any, str]:
        """Create or update one row by its natural key; return ``(row, outcome)`` with
        outcome ``"created"``, ``"updated"`` or ``"unchanged"``."""
        instance = model.objects.filter(**lookup).first()
        if instance is None:
            return model.objects.create(**lookup, **values), "created"
        changed = _assign(instance, values)
        if changed:
            instance.save(update_fields=changed)
        return instance, "updated" if changed else "unchanged"

    def _count(self, section: str, outcome: str, children_changed: bool = False) -> None:
        """Count an entry once: created, or updated if it or its own lists changed."""
        if outcome == "created":
            self.report.created[section] += 1
        elif outcome == "updated" or children_changed:
            self.report.updated[section] += 1

    def _count_rows(self, section: str, sync: "_Sync") -> None:
        """Count the rows a key-less section created and deleted."""
        self.report.created[section] += sync.created
        self.report.deleted[section] += sync.deleted

    def _settings(self) -> None:
        if self.document.settings is None:
            return
        values = _settings_values(self.document)
        row = SpaSettings.objects.filter(pk=1).first()
        if row is None:
            SpaSettings(**values).save()
            self.report.created["settings"] += 1
            return
        changed = _assign(row, values)
        if changed:
            row.save(update_fields=changed)
            self.report.updated["settings"] += 1

    def _plans(self) -> None:
        for plan in self.document.plans or []:
            _, outcome = self._upsert(MembershipPlan, {"slug": plan.slug}, _plan_values(plan))
            self._count("plans", outcome)

    def _categories(self) -> None:
        for position, category in enumerate(self.document.categories or []):
            _, outcome = self._upsert(
                ServiceCategory,
                {"slug": category.slug},
                {"name": category.name, "position": position},
            )
            self._count("categories", outcome)

    def _services(self) -> None:
        if self.document.services is None:
            return
        categories = dict(ServiceCategory.objects.values_list("slug", "pk"))
        plan_tiers = dict(MembershipPlan.objects.values_list("slug", "tier"))
        # A service's position counts within its category (the catalog orders by category
        # first), so an export, which lists services category by category, keeps positions.
        positions: Counter[str] = Counter()
        kept = dict(Service.objects.values_list("slug", "position")) if self.keep_positions else {}
        for spec in self.document.services:
            values = _columns(spec)
            values.update(
                skill=spec.skill or "",
                position=kept.get(spec.slug, positions[spec.category]),
                category_id=categories[spec.category],
            )
            positions[spec.category] += 1
            service, outcome = self._upsert(Service, {"slug": spec.slug}, values)
            variants = [
                {"minutes": minutes, "price": price}
                for minutes, price in spec.price_table().items()
            ]
            changed = bool(
                _sync_rows(
                    ServiceVariant.objects.filter(service=service),
                    ("minutes", "price"),
                    variants,
                    service=service,
                )
            )
            by_tier = {
                (name if name in PLAN_TIERS else plan_tiers[name], minutes): price
                for name, table in spec.tier_prices.items()
                for minutes, price in table.items()
            }
            tier_prices = [
                {"tier": tier, "minutes": minutes, "price": price}
                for (tier, minutes), price in sorted(by_tier.items())
            ]
            changed |= bool(
                _sync_rows(
                    TierPrice.objects.filter(service=service),
                    ("tier", "minutes", "price"),
                    tier_prices,
                    service=service,
                )
            )
            self._count("services", outcome, changed)

    def _addons(self) -> None:
        if self.document.addons is None:
            return
        services = dict(Service.objects.values_list("slug", "pk"))
        for spec in self.document.addons:
            addon, outcome = self._upsert(AddOn, {"slug": spec.slug}, _columns(spec))
            wanted = {services[slug] for slug in spec.services}
            current = set(addon.services.values_list("pk", flat=True))
            if wanted != current:
                addon.services.set(wanted)
            self._count("addons", outcome, wanted != current)

    def _peak_pricing(self) -> None:
        if self.document.peak_pricing is None:
            return
        windows = [
            {
                "days": sorted(WEEKDAY_KEYS.index(day) for day in window.days),
                "start": window.start,
                "end": window.end,
                "modifier_percent": window.modifier_percent,
            }
            for window in self.document.peak_pricing
        ]
        fields = ("days", "start", "end", "modifier_percent")
        self._count_rows(
            "peak_pricing", _sync_rows(PeakPricingWindow.objects.order_by("pk"), fields, windows)
        )

    def _products(self) -> None:
        for spec in self.document.products or []:
            _product, outcome = self._upsert(Product, {"slug": spec.slug}, _columns(spec))
            self._count("products", outcome)

    def _packages(self) -> None:
        services = dict(Service.objects.values_list("slug", "pk"))
        for spec in self.document.packages or []:
            values = {**_columns(spec), "service_id": services[spec.service]}
            _package, outcome = self._upsert(Package, {"slug": spec.slug}, values)
            self._count("packages", outcome)

    def _rooms(self) -> None:
        for spec in self.document.rooms or []:
            room, outcome = self._upsert(Room, {"slug": spec.slug}, _columns(spec))
            changed = bool(
                _sync_rows(
                    WorkingHours.objects.filter(room=room),
                    HOURS_FIELDS,
                    _hours_rows(hours_windows(spec.hours)),
                    room=room,
                )
            )
            changed |= bool(
                _sync_rows(
                    AvailabilityException.objects.filter(room=room),
                    EXCEPTION_FIELDS,
                    _exception_rows(spec.maintenance),
                    room=room,
                )
            )
            self._count("rooms", outcome, changed)

    def _technicians(self) -> None:
        for spec in self.document.technicians or []:
            technician, outcome = self._upsert(Technician, {"slug": spec.slug}, _columns(spec))
            hours = [
                row
                for schedule in spec.schedule_list()
                for row in _hours_rows(hours_windows(schedule.weekly_hours), schedule)
            ]
            changed = bool(
                _sync_rows(
                    WorkingHours.objects.filter(technician=technician),
                    HOURS_FIELDS,
                    hours,
                    technician=technician,
                )
            )
            changed |= bool(
                _sync_rows(
                    AvailabilityException.objects.filter(technician=technician),
                    EXCEPTION_FIELDS,
                    _exception_rows(spec.exceptions),
                    technician=technician,
                )
            )
            self._count("technicians", outcome, changed)

    def _user(self, spec: Customer | StaffMember, values: dict[str, Any]) -> tuple[User, str]:
        """Create or update the account ``spec.email``; return ``(user, outcome)``. The
        password is set only if it differs from the stored one (``check_password``), so
        re-importing does not re-hash; an entry without one keeps the stored password."""
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            user = User(email=spec.email, **values)
            user.set_password(spec.password)
            user.save()
            return user, "created"
        changed = _assign(user, values)
        if spec.password and not user.check_password(spec.password):
            user.set_password(spec.password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
        return user, "updated" if changed else "unchanged"

    def _role_groups(self) -> dict[str, Group]:
        # The role groups with their admin permissions (the same rules as set_role).
        return sync_role_groups()

    def _set_role_group(self, user: User, role: str | None, groups: dict[str, Group]) -> bool:
        """Put ``user`` in the group of ``role`` (None: no role group) and out of the others;
        return whether anything changed."""
        current = set(user.groups.filter(pk__in=[group.pk for group in groups.values()]))
        wanted = {groups[role]} if role else set()
        if current == wanted:
            return False
        user.groups.remove(*(current - wanted))
        user.groups.add(*(wanted - current))
        return True

    def _customers(self) -> None:
        if self.document.customers is None:
            return
        groups = self._role_groups()
        plans = {plan.slug: plan for plan in MembershipPlan.objects.all()}
        today = clock.local_date(self.now, get_settings().zone)
        for spec in self.document.customers:
            existing = User.objects.filter(email__iexact=spec.email).first()
            values = {
                "name": spec.name,
                "phone": spec.phone,
                "role": Role.CUSTOMER,
                "is_staff": bool(existing and existing.is_superuser),
            }
            user, outcome = self._user(spec, values)
            changed = self._set_role_group(user, None, groups)
            if spec.plan:
                changed |= self._membership(user, plans[spec.plan], spec, today)
            self._count("customers", outcome, changed)

    def _membership(self, user: User, plan: MembershipPlan, spec: Customer, today: date) -> bool:
        """Create or update the membership (user, plan, start); return whether it changed."""
        status = spec.membership_status or (
            MembershipStatus.EXPIRED
            if spec.membership_end is not None and spec.membership_end < today
            else MembershipStatus.ACTIVE
        )
        membership = Membership.objects.filter(
            customer=user, plan=plan, started_on=spec.membership_start
        ).first()
        values = {"status": str(status), "ends_on": spec.membership_end}
        if membership is None:
            Membership.objects.create(
                customer=user, plan=plan, started_on=spec.membership_start, **values
            )
            return True
        changed = _assign(membership, values)
        if changed:
            membership.save(update_fields=changed)
        return bool(changed)

    def _staff(self) -> None:
        if self.document.staff is None:
            return
        groups = self._role_groups()
        technicians = {technician.slug: technician for technician in Technician.objects.all()}
        for spec in self.document.staff:
            values = {
                "name": spec.name,
                "phone": spec.phone,
                "role": spec.role,
                "is_staff": spec.role in (Role.MANAGER, Role.FRONT_DESK),
            }
            user, outcome = self._user(spec, values)
            changed = self._set_role_group(user, spec.role, groups)
            changed |= self._link_technician(user, technicians.get(spec.technician or ""))
            self._count("staff", outcome, changed)

    def _link_technician(self, user: User, technician: Technician | None) -> bool:
        """Make ``technician`` (or none) the one technician whose login is ``user``."""
        others = Technician.objects.filter(user=user)
        if technician is not None:
            others = others.exclude(pk=technician.pk)
        changed = others.update(user=None) > 0
        if technician is not None and technician.user_id != user.pk:
            technician.user = user
            technician.save(update_fields=["user"])
            changed = True
        return changed

    def _holds(self) -> None:
        if self.document.holds is None:
            return
        technicians = dict(Technician.objects.values_list("slug", "pk"))
        rooms = dict(Room.objects.values_list("slug", "pk"))
        holds = [
            {
                "technician_id": technicians[hold.technician] if hold.technician else None,
                "room_id": rooms[hold.room] if hold.room else None,
                "level": hold.level,
                "starts_at": hold.start,
                "ends_at": hold.end,
                "held_until": hold.until,
                "note": hold.note,
            }
            for hold in self.document.holds
        ]
        fields = ("technician_id", "room_id", "level", "starts_at", "ends_at", "held_until", "note")
        self._count_rows("holds", _sync_rows(SlotHold.objects.order_by("pk"), fields, holds))

    def _bookings(self) -> None:
        if not self.document.bookings:
            return
        issues = []
        for index, spec in zip(
            self.document._indexes["bookings"], self.document.bookings, strict=True
        ):
            customer = User.objects.get(email__iexact=spec.customer)
            service = Service.objects.get(slug=spec.service)
            if Booking.objects.filter(
                customer=customer, service=service, start=spec.start
            ).exists():
                self.report.bookings_skipped += 1
                continue
            try:
                with transaction.atomic():
                    booking = create_booking(
                        customer=customer,
                        service=service,
                        start=spec.start,
                        duration_minutes=spec.duration,
                        addon_slugs=tuple(spec.addons),
                        guests=spec.guests,
                        technician=spec.technician,
                        room=spec.room,
                        preferences=dict(spec.preferences),
                        notes=spec.notes,
                        idempotency_key=f"import:{spec.digest()}",
                        actor=None,
                        now=self.now,
                        enforce_booking_window=False,
                        awaiting_payment=spec.status == BookingStatus.PENDING,
                    )
                    if spec.status == BookingStatus.IN_PROGRESS:
                        check_in_booking(booking, actor=None, now=self.now, enforce_window=False)
            except DomainError as error:
                message = f"cannot be booked: {error.message} ({error.code})"
                issues.append(Issue(("bookings", index), message))
                continue
            self.report.created["bookings"] += 1
        self.document.raise_issues(issues)
