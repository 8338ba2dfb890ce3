"""Write the database out as a spa file, in the format :mod:`.importer` reads.

The output follows the shared example file: the same keys, times ``"HH:MM"``, money
``"180.00"``, ISO dates, date-times with the spa-local offset. Optional keys are written only
when they differ from their default. Passwords are never written (accounts keep theirs when the
file is imported again). Importing an export changes nothing (docs/spa-file.md, "Export").
"""

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any, TypeVar

from coresync.accounts.models import STAFF_ROLES, Role, User
from coresync.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from coresync.catalog.models import AddOn, PeakPricingWindow, Service, ServiceCategory
from coresync.core import clock
from coresync.giftcards.models import Package
from coresync.memberships.models import PLAN_TIERS, Membership, MembershipPlan, MembershipStatus
from coresync.resources.models import (
    WEEKDAY_KEYS,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)
from coresync.shop.models import Product
from coresync.spa.models import SpaSettings
from coresync.spafile.schema import (
    COLUMNS,
    POLICY_FIELDS,
    Absence,
    AddOnEntry,
    BookingEntry,
    Category,
    Closure,
    Customer,
    Entry,
    Hold,
    PackageEntry,
    PeakWindow,
    Plan,
    Policy,
    ProductEntry,
    RoomEntry,
    Schedule,
    ServiceEntry,
    Settings,
    StaffMember,
    TechnicianEntry,
    to_yaml,
)
from coresync.spafile.yaml_io import dump_document

HEADER = """CoreSync spa file, written by `manage.py export_spa`; load it with `import_spa`.
Times are spa-local "HH:MM"; money is a string with two decimals; durations are minutes.
Passwords are never exported: accounts keep theirs when this file is imported again."""


def _hours(rows: list[WorkingHours]) -> dict[str, list[tuple[time, time]]]:
    """``{mon: [(09:00, 13:00), …], …}`` in weekday order."""
    by_day: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for row in sorted(rows, key=lambda row: (row.weekday, row.start)):
        by_day[row.weekday].append((row.start, row.end))
    return {WEEKDAY_KEYS[day]: windows for day, windows in sorted(by_day.items())}


E = TypeVar("E", bound=Entry)


def _entry(model: type[E], row: Any = None, **given: Any) -> E:
    """An entry of ``model``: the ``row``'s columns (``model.columns``), then ``given``; a
    field holding its default is left out unless the model writes it ``always``."""
    values = {name: getattr(row, COLUMNS.get(name, name)) for name in model.columns if row}
    values.update(given)
    fields = model.model_fields
    return model.model_construct(
        **{
            name: value
            for name, value in values.items()
            if name in model.always
            or fields[name].is_required()
            or value != fields[name].get_default(call_default_factory=True)
        }
    )


def _policy(row: Any) -> Policy | None:
    """The cancellation policy of a plan or the settings: its keys that are set."""
    policy = {key: getattr(row, column) for key, column in POLICY_FIELDS.items()}
    return _entry(Policy, **policy) if any(value is not None for value in policy.values()) else None


class _Exporter:
    """Builds the spa file's models from the database; each entry is given only the keys
    the file writes (a model writes what it was given)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.settings = SpaSettings.objects.filter(pk=1).first() or SpaSettings()
        self.zone = self.settings.zone

    def _local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def document(self) -> dict[str, Any]:
        sections: dict[str, Any] = {
            "settings": self.settings_section(),
            "plans": self.plans(),
            "categories": [
                _entry(Category, slug=category.slug, name=category.name)
                for category in ServiceCategory.objects.all()
            ],
            "services": self.services(),
            "addons": self.addons(),
            "peak_pricing": self.peak_pricing(),
            "rooms": self.rooms(),
            "technicians": self.technicians(),
            "customers": self.customers(),
            "staff": self.staff(),
            "holds": self.holds(),
            "bookings": self.bookings(),
            "products": self.products(),
            "packages": self.packages(),
        }
        for optional in ("holds", "products", "packages"):
            if not sections[optional]:
                del sections[optional]
        return sections

    def settings_section(self) -> Settings:
        """Every setting, but the name, hold and check-in window only when not the
        defaults."""
        row, defaults = self.settings, SpaSettings()
        optional = ("name", "hold_minutes", "check_in_window_minutes")
        values = {
            name: getattr(row, name)
            for name in Settings.model_fields
            if name != "cancellation_policy"
            and (name not in optional or getattr(row, name) != getattr(defaults, name))
        }
        return Settings.model_construct(**values, cancellation_policy=_policy(row))

    def plans(self) -> list[Plan]:
        return [
            _entry(Plan, plan, cancellation_policy=_policy(plan))
            for plan in MembershipPlan.objects.order_by("pk")
        ]

    def services(self) -> list[ServiceEntry]:
        services = []
        queryset = Service.objects.select_related("category").prefetch_related(
            "variants", "tier_prices"
        )
        for service in queryset:
            variants = list(service.variants.all())
            tier_prices: dict[str, dict[int, Any]] = {}
            for tier_price in sorted(
                service.tier_prices.all(),
                key=lambda row: (PLAN_TIERS.index(row.tier), row.minutes),
            ):
                tier_prices.setdefault(tier_price.tier, {})[tier_price.minutes] = tier_price.price
            one_price = len(variants) == 1
            entry = _entry(
                ServiceEntry,
                service,
                category=service.category.slug,
                durations=[variant.minutes for variant in variants],
                price=variants[0].price if one_price else None,
                prices=None if one_price else {row.minutes: row.price for row in variants},
                tier_prices=tier_prices,
                skill=None if service.self_guided else service.skill,
            )
            services.append(entry)
        return services

    def addons(self) -> list[AddOnEntry]:
        service_order = {
            pk: index for index, pk in enumerate(Service.objects.values_list("pk", flat=True))
        }
        return [
            _entry(
                AddOnEntry,
                addon,
                services=[
                    service.slug
                    for service in sorted(
                        addon.services.all(), key=lambda service: service_order[service.pk]
                    )
                ],
            )
            for addon in AddOn.objects.order_by("pk").prefetch_related("services")
        ]

    def peak_pricing(self) -> list[PeakWindow]:
        return [
            _entry(
                PeakWindow,
                days=[WEEKDAY_KEYS[day] for day in sorted(window.days)],
                start=window.start,
                end=window.end,
                modifier_percent=window.modifier_percent,
            )
            for window in PeakPricingWindow.objects.order_by("pk")
        ]

    def products(self) -> list[ProductEntry]:
        return [_entry(ProductEntry, product) for product in Product.objects.order_by("pk")]

    def packages(self) -> list[PackageEntry]:
        return [
            _entry(PackageEntry, package, service=package.service.slug)
            for package in Package.objects.select_related("service").order_by("pk")
        ]

    def rooms(self) -> list[RoomEntry]:
        return [
            _entry(
                RoomEntry,
                room,
                hours=_hours(list(room.opening_hours.all())),
                maintenance=[_entry(Closure, row) for row in room.maintenance.all()],
            )
            for room in Room.objects.order_by("pk").prefetch_related("opening_hours", "maintenance")
        ]

    def technicians(self) -> list[TechnicianEntry]:
        technicians = []
        queryset = Technician.objects.order_by("pk").prefetch_related("working_hours", "exceptions")
        for technician in queryset:
            ranges: dict[tuple, list[WorkingHours]] = defaultdict(list)
            for row in technician.working_hours.all():
                ranges[(row.valid_from, row.valid_until)].append(row)
            ordered = sorted(
                ranges.items(),
                key=lambda item: (item[0][0] or date.min, item[0][1] or date.max),
            )
            hours: dict[str, Any] = {}
            if len(ordered) > 1:
                hours["schedules"] = [
                    Schedule.model_construct(
                        valid_from=valid_from, valid_until=valid_until, weekly_hours=_hours(rows)
                    )
                    for (valid_from, valid_until), rows in ordered
                ]
            else:
                (valid_from, valid_until), rows = ordered[0] if ordered else ((None, None), [])
                hours.update(
                    weekly_hours=_hours(rows), valid_from=valid_from, valid_until=valid_until
                )
            exceptions = [_entry(Absence, row) for row in technician.exceptions.all()]
            technicians.append(_entry(TechnicianEntry, technician, exceptions=exceptions, **hours))
        return technicians

    def customers(self) -> list[Customer]:
        today = clock.local_date(self.now, self.zone)
        latest: dict[int, Membership] = {}
        for membership in Membership.objects.select_related("plan").order_by("started_on", "pk"):
            latest[membership.customer_id] = membership
        customers = []
        for user in User.objects.filter(role=Role.CUSTOMER).order_by("pk"):
            membership, values = latest.get(user.pk), {}
            if membership is not None:
                derived = (
                    MembershipStatus.EXPIRED
                    if membership.ends_on is not None and membership.ends_on < today
                    else MembershipStatus.ACTIVE
                )
                values = {
                    "plan": membership.plan.slug,
                    "membership_start": membership.started_on,
                    "membership_end": membership.ends_on,
                    "membership_status": None
                    if membership.status == derived
                    else membership.status,
                }
            customers.append(
                _entry(Customer, email=user.email, name=user.name, phone=user.phone, **values)
            )
        return customers

    def staff(self) -> list[StaffMember]:
        logins = dict(Technician.objects.filter(user__isnull=False).values_list("user_id", "slug"))
        return [
            _entry(
                StaffMember,
                email=user.email,
                name=user.name,
                phone=user.phone,
                role=user.role,
                technician=logins.get(user.pk),
            )
            for user in User.objects.filter(role__in=STAFF_ROLES).order_by("pk")
        ]

    def holds(self) -> list[Hold]:
        return [
            _entry(
                Hold,
                technician=hold.technician.slug if hold.technician else None,
                room=hold.room.slug if hold.room else None,
                start=self._local(hold.starts_at),
                end=self._local(hold.ends_at),
                level=hold.level,
                until=self._local(hold.held_until),
                note=hold.note,
            )
            for hold in SlotHold.objects.select_related("technician", "room").order_by(
                "starts_at", "pk"
            )
        ]

    def bookings(self) -> list[BookingEntry]:
        queryset = (
            Booking.objects.filter(status__in=ACTIVE_STATUSES, customer__isnull=False)
            .select_related("customer", "service", "technician", "room")
            .prefetch_related("booking_addons__addon")
            .order_by("start", "pk")
        )
        return [
            _entry(
                BookingEntry,
                customer=booking.customer.email,
                service=booking.service.slug,
                duration=booking.duration_minutes,
                # A group booking has one technician per guest; the file names none.
                technician=booking.technician.slug
                if booking.technician is not None and booking.guests == 1
                else None,
                room=booking.room.slug,
                start=self._local(booking.start),
                addons=[item.addon.slug for item in booking.booking_addons.all()],
                guests=booking.guests,
                # A booking waiting for another technician is confirmed in the file: the
                # technician's exception flags it again when both are imported.
                status=BookingStatus.CONFIRMED
                if booking.status == BookingStatus.NEEDS_REASSIGNMENT
                else booking.status,
                preferences=dict(booking.preferences),
                notes=booking.notes,
            )
            for booking in queryset
        ]


def export_document(*, now: datetime | None = None) -> dict[str, Entry | list[Entry]]:
    """Return the spa as the models of a spa file, section by section in the file's order.
    ``now`` (aware) decides which memberships count as expired; read from the clock when
    None. Reads only."""
    return _Exporter(now or clock.now()).document()


def document_text(sections: dict[str, Entry | list[Entry]], *, header: str = HEADER) -> str:
    """The YAML text of ``sections`` (models, as :func:`export_document` returns them)."""
    return dump_document(
        {
            name: to_yaml(value) if isinstance(value, Entry) else [to_yaml(v) for v in value]
            for name, value in sections.items()
        },
        header=header,
    )


def export_spa_text(*, now: datetime | None = None) -> str:
    """Return the whole spa as spa-file YAML text (see :func:`export_document`)."""
    return document_text(export_document(now=now))


def export_sections(*names: str, now: datetime | None = None) -> dict[str, list[Entry]]:
    """Return only the list sections ``names`` (e.g. ``"services"``, ``"plans"``) as
    :func:`export_document` writes them, without reading the rest of the spa."""
    exporter = _Exporter(now or clock.now())
    return {name: getattr(exporter, name)() for name in names}
