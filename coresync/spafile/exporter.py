"""Write the database out as a spa file, in the format :mod:`.importer` reads.

The output follows the shared example file: the same keys, times ``"HH:MM"``, money
``"180.00"``, ISO dates, date-times with the spa-local offset. Optional keys are written only
when they differ from their default. Passwords are never written (accounts keep theirs when the
file is imported again). Importing an export changes nothing (docs/spa-file.md, "Export").
"""

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from coresync.accounts.models import STAFF_ROLES, Role, User
from coresync.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from coresync.catalog.models import AddOn, PeakPricingWindow, Service, ServiceCategory
from coresync.core import clock
from coresync.giftcards.models import Package
from coresync.memberships.models import PLAN_TIERS, Membership, MembershipPlan, MembershipStatus
from coresync.resources.models import (
    WEEKDAY_KEYS,
    AvailabilityException,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)
from coresync.shop.models import Product
from coresync.spa.models import SpaSettings
from coresync.spafile.schema import (
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


def _exception(row: AvailabilityException, model: type[Closure]) -> Closure:
    entry: dict[str, Any] = {"date": row.date}
    if model is Absence:
        entry["kind"] = row.kind
    if row.end_date:
        entry["end_date"] = row.end_date
    if row.start is not None:
        entry["start"] = row.start
        entry["end"] = row.end
    if row.note:
        entry["note"] = row.note
    return model.model_construct(**entry)


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
                Category.model_construct(slug=category.slug, name=category.name)
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
        row, defaults = self.settings, SpaSettings()
        section: dict[str, Any] = {}
        if row.name != defaults.name:
            section["name"] = row.name
        section.update(
            timezone=row.timezone,
            currency=row.currency,
            tax_rate=row.tax_rate,
            min_notice_minutes=row.min_notice_minutes,
            slot_interval_minutes=row.slot_interval_minutes,
            non_member_advance_days=row.non_member_advance_days,
        )
        if row.hold_minutes != defaults.hold_minutes:
            section["hold_minutes"] = row.hold_minutes
        if row.check_in_window_minutes != defaults.check_in_window_minutes:
            section["check_in_window_minutes"] = row.check_in_window_minutes
        section["cancellation_policy"] = Policy.model_construct(
            free_until_hours=row.free_cancellation_hours,
            late_fee_percent=row.late_cancellation_fee_percent,
            no_show_fee_percent=row.no_show_fee_percent,
        )
        return Settings.model_construct(**section)

    def plans(self) -> list[Plan]:
        plans = []
        for plan in MembershipPlan.objects.order_by("pk"):
            entry: dict[str, Any] = {
                "slug": plan.slug,
                "name": plan.name,
                "tier": plan.tier,
                "advance_days": plan.advance_days,
                "discount_percent": plan.discount_percent,
                "priority": plan.priority,
                "vip": plan.vip,
                "monthly_price": plan.monthly_price,
            }
            if plan.included_credits:
                entry["included_credits"] = plan.included_credits
            if plan.benefits:
                entry["benefits"] = list(plan.benefits)
            if plan.birthday_benefit:
                entry["birthday_benefit"] = plan.birthday_benefit
            policy = {
                key: getattr(plan, name)
                for key, name in (
                    ("free_until_hours", "free_cancellation_hours"),
                    ("late_fee_percent", "late_cancellation_fee_percent"),
                    ("no_show_fee_percent", "no_show_fee_percent"),
                )
                if getattr(plan, name) is not None
            }
            if policy:
                entry["cancellation_policy"] = Policy.model_construct(**policy)
            if not plan.is_active:
                entry["active"] = False
            plans.append(Plan.model_construct(**entry))
        return plans

    def services(self) -> list[ServiceEntry]:
        services = []
        queryset = Service.objects.select_related("category").prefetch_related(
            "variants", "tier_prices"
        )
        for service in queryset:
            variants = list(service.variants.all())
            entry: dict[str, Any] = {
                "slug": service.slug,
                "name": service.name,
                "category": service.category.slug,
                "durations": [variant.minutes for variant in variants],
            }
            if len(variants) == 1:
                entry["price"] = variants[0].price
            else:
                entry["prices"] = {variant.minutes: variant.price for variant in variants}
            tier_prices: dict[str, dict[int, Any]] = {}
            for tier_price in sorted(
                service.tier_prices.all(),
                key=lambda row: (PLAN_TIERS.index(row.tier), row.minutes),
            ):
                tier_prices.setdefault(tier_price.tier, {})[tier_price.minutes] = tier_price.price
            if tier_prices:
                entry["tier_prices"] = tier_prices
            if service.self_guided:
                entry["self_guided"] = True
            else:
                entry["skill"] = service.skill
            entry["room_types"] = list(service.room_types)
            entry["buffer_before"] = service.buffer_before
            entry["buffer_after"] = service.buffer_after
            if service.slot_interval_minutes is not None:
                entry["slot_interval_minutes"] = service.slot_interval_minutes
            if service.max_guests != 1:
                entry["max_guests"] = service.max_guests
            if service.description:
                entry["description"] = service.description
            if not service.is_active:
                entry["active"] = False
            services.append(ServiceEntry.model_construct(**entry))
        return services

    def addons(self) -> list[AddOnEntry]:
        service_order = {
            pk: index for index, pk in enumerate(Service.objects.values_list("pk", flat=True))
        }
        addons = []
        for addon in AddOn.objects.order_by("pk").prefetch_related("services"):
            services = sorted(addon.services.all(), key=lambda service: service_order[service.pk])
            entry: dict[str, Any] = {
                "slug": addon.slug,
                "name": addon.name,
                "price": addon.price,
                "extra_minutes": addon.extra_minutes,
                "services": [service.slug for service in services],
            }
            if addon.description:
                entry["description"] = addon.description
            if not addon.is_active:
                entry["active"] = False
            addons.append(AddOnEntry.model_construct(**entry))
        return addons

    def peak_pricing(self) -> list[PeakWindow]:
        return [
            PeakWindow.model_construct(
                days=[WEEKDAY_KEYS[day] for day in sorted(window.days)],
                start=window.start,
                end=window.end,
                modifier_percent=window.modifier_percent,
            )
            for window in PeakPricingWindow.objects.order_by("pk")
        ]

    def products(self) -> list[ProductEntry]:
        products = []
        for product in Product.objects.order_by("pk"):
            entry: dict[str, Any] = {
                "slug": product.slug,
                "name": product.name,
                "category": product.category,
                "price": product.price,
                "stock": product.stock,
            }
            if product.description:
                entry["description"] = product.description
            if product.member_price is not None:
                entry["member_price"] = product.member_price
            if product.low_stock_threshold:
                entry["low_stock_threshold"] = product.low_stock_threshold
            if not product.is_active:
                entry["active"] = False
            products.append(ProductEntry.model_construct(**entry))
        return products

    def packages(self) -> list[PackageEntry]:
        packages = []
        for package in Package.objects.select_related("service").order_by("pk"):
            entry = {
                "slug": package.slug,
                "name": package.name,
                "service": package.service.slug,
                "minutes": package.minutes,
                "sessions": package.sessions,
                "price": package.price,
            }
            if package.valid_days != 365:
                entry["valid_days"] = package.valid_days
            if not package.is_active:
                entry["active"] = False
            packages.append(PackageEntry.model_construct(**entry))
        return packages

    def rooms(self) -> list[RoomEntry]:
        rooms = []
        for room in Room.objects.order_by("pk").prefetch_related("opening_hours", "maintenance"):
            entry: dict[str, Any] = {
                "slug": room.slug,
                "name": room.name,
                "room_type": room.room_type,
                "capacity": room.capacity,
                "features": list(room.features),
                "premium_modifier_percent": room.premium_modifier_percent,
                "hours": _hours(list(room.opening_hours.all())),
                "maintenance": [_exception(row, Closure) for row in room.maintenance.all()],
            }
            if not room.is_active:
                entry["active"] = False
            rooms.append(RoomEntry.model_construct(**entry))
        return rooms

    def technicians(self) -> list[TechnicianEntry]:
        technicians = []
        queryset = Technician.objects.order_by("pk").prefetch_related("working_hours", "exceptions")
        for technician in queryset:
            entry: dict[str, Any] = {
                "slug": technician.slug,
                "name": technician.name,
                "skills": list(technician.skills),
                "hourly_rate": technician.hourly_rate,
            }
            ranges: dict[tuple, list[WorkingHours]] = defaultdict(list)
            for row in technician.working_hours.all():
                ranges[(row.valid_from, row.valid_until)].append(row)
            ordered = sorted(
                ranges.items(),
                key=lambda item: (item[0][0] or date.min, item[0][1] or date.max),
            )
            if len(ordered) > 1:
                entry["schedules"] = [
                    Schedule.model_construct(
                        valid_from=valid_from, valid_until=valid_until, weekly_hours=_hours(rows)
                    )
                    for (valid_from, valid_until), rows in ordered
                ]
            else:
                (valid_from, valid_until), rows = ordered[0] if ordered else ((None, None), [])
                entry["weekly_hours"] = _hours(rows)
                if valid_from is not None:
                    entry["valid_from"] = valid_from
                if valid_until is not None:
                    entry["valid_until"] = valid_until
            entry["exceptions"] = [_exception(row, Absence) for row in technician.exceptions.all()]
            if technician.bio:
                entry["bio"] = technician.bio
            if not technician.is_active:
                entry["active"] = False
            technicians.append(TechnicianEntry.model_construct(**entry))
        return technicians

    def customers(self) -> list[Customer]:
        today = clock.local_date(self.now, self.zone)
        latest: dict[int, Membership] = {}
        for membership in Membership.objects.select_related("plan").order_by("started_on", "pk"):
            latest[membership.customer_id] = membership
        customers = []
        for user in User.objects.filter(role=Role.CUSTOMER).order_by("pk"):
            entry: dict[str, Any] = {"email": user.email, "name": user.name}
            if user.phone:
                entry["phone"] = user.phone
            membership = latest.get(user.pk)
            if membership is not None:
                entry["plan"] = membership.plan.slug
                entry["membership_start"] = membership.started_on
                if membership.ends_on is not None:
                    entry["membership_end"] = membership.ends_on
                derived = (
                    MembershipStatus.EXPIRED
                    if membership.ends_on is not None and membership.ends_on < today
                    else MembershipStatus.ACTIVE
                )
                if membership.status != derived:
                    entry["membership_status"] = membership.status
            customers.append(Customer.model_construct(**entry))
        return customers

    def staff(self) -> list[StaffMember]:
        logins = dict(Technician.objects.filter(user__isnull=False).values_list("user_id", "slug"))
        staff = []
        for user in User.objects.filter(role__in=STAFF_ROLES).order_by("pk"):
            entry: dict[str, Any] = {"email": user.email, "name": user.name}
            if user.phone:
                entry["phone"] = user.phone
            entry["role"] = user.role
            if user.pk in logins:
                entry["technician"] = logins[user.pk]
            staff.append(StaffMember.model_construct(**entry))
        return staff

    def holds(self) -> list[Hold]:
        holds = []
        for hold in SlotHold.objects.select_related("technician", "room").order_by(
            "starts_at", "pk"
        ):
            entry: dict[str, Any] = {}
            if hold.technician is not None:
                entry["technician"] = hold.technician.slug
            if hold.room is not None:
                entry["room"] = hold.room.slug
            entry.update(
                start=self._local(hold.starts_at),
                end=self._local(hold.ends_at),
                level=hold.level,
                until=self._local(hold.held_until),
            )
            if hold.note:
                entry["note"] = hold.note
            holds.append(Hold.model_construct(**entry))
        return holds

    def bookings(self) -> list[BookingEntry]:
        bookings = []
        queryset = (
            Booking.objects.filter(status__in=ACTIVE_STATUSES, customer__isnull=False)
            .select_related("customer", "service", "technician", "room")
            .prefetch_related("booking_addons__addon")
            .order_by("start", "pk")
        )
        for booking in queryset:
            entry: dict[str, Any] = {
                "customer": booking.customer.email,
                "service": booking.service.slug,
                "duration": booking.duration_minutes,
            }
            if booking.technician is not None and booking.guests == 1:
                # A group booking has one technician per guest; the file names none.
                entry["technician"] = booking.technician.slug
            entry["room"] = booking.room.slug
            entry["start"] = self._local(booking.start)
            entry["addons"] = [item.addon.slug for item in booking.booking_addons.all()]
            if booking.guests != 1:
                entry["guests"] = booking.guests
            # A booking waiting for another technician is confirmed in the file: the
            # technician's exception flags it again when both are imported.
            if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.NEEDS_REASSIGNMENT):
                entry["status"] = booking.status
            if booking.preferences:
                entry["preferences"] = dict(booking.preferences)
            if booking.notes:
                entry["notes"] = booking.notes
            bookings.append(BookingEntry.model_construct(**entry))
        return bookings


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
