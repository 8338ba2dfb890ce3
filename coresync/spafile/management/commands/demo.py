"""``manage.py demo``: migrate, load the demo spa, book the coming week, print the logins and
serve the site on 127.0.0.1.

The demo starts from a clean database: over a database that already holds a spa (users,
services, rooms, bookings…) it refuses with a message, so leftovers never show to guests
(issue 18 item 13). ``--reset`` empties the database first — only the demo's own SQLite file
(``var/coresync.sqlite3``, the default without ``DATABASE_URL``) unless ``--force`` is added
too, so a real spa's database is never wiped by accident. ``make demo`` passes ``--reset``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from coresync.accounts.models import User
from coresync.bookings.models import Booking
from coresync.bookings.services import create_booking
from coresync.catalog.models import Service, ServiceCategory
from coresync.core import clock
from coresync.core.errors import DomainError
from coresync.memberships.models import MembershipPlan
from coresync.resources.models import Room, Technician
from coresync.scheduling.selectors import (
    build_availability_request,
    get_availability,
    widest_plan_access,
)
from coresync.spa.selectors import get_settings
from coresync.spafile.services import SpaDocument, SpaFileError, import_document, parse_spa_text

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "spa.yaml"

SPA_DATA = (
    ("users", User),
    ("service categories", ServiceCategory),
    ("services", Service),
    ("rooms", Room),
    ("technicians", Technician),
    ("membership plans", MembershipPlan),
    ("bookings", Booking),
)
"""What counts as a database "holding data": any row of these."""


def existing_data() -> list[str]:
    """Return ``["3 users", "12 services", …]`` for every kind of spa row the database
    holds (empty list: a clean database)."""
    counts = [(label, model.objects.count()) for label, model in SPA_DATA]
    return [f"{count} {label}" for label, count in counts if count]


def is_demo_database() -> bool:
    """Tell whether the default database is the demo's own SQLite file
    (``var/coresync.sqlite3``, used when ``DATABASE_URL`` is not set)."""
    if connection.vendor != "sqlite":
        return False
    name = str(connection.settings_dict.get("NAME") or "")
    return Path(name).resolve() == (Path(settings.VAR_DIR) / "coresync.sqlite3").resolve()


def describe_database() -> str:
    """Return the engine and name of the default database, without credentials."""
    return f"{connection.vendor} database {connection.settings_dict.get('NAME')!s}"


@dataclass(frozen=True)
class PlannedBooking:
    """A booking of the demo week: ``days_ahead`` spa-local days from today, at the first
    free start from ``hour`` o'clock (local) with any qualified technician and room."""

    days_ahead: int
    hour: int
    customer: str
    service: str
    duration: int
    addons: tuple[str, ...] = ()
    guests: int = 1


WEEK = (
    PlannedBooking(1, 10, "premium@coresync.example", "swedish", 60, ("aromatherapy-upgrade",)),
    PlannedBooking(1, 14, "guest@coresync.example", "haircut", 45),
    PlannedBooking(2, 11, "vip@coresync.example", "hydrafacial", 75),
    PlannedBooking(2, 16, "base@coresync.example", "manicure", 45, ("paraffin-treatment",)),
    PlannedBooking(3, 10, "vip@coresync.example", "couples-massage", 60, guests=2),
    PlannedBooking(3, 15, "premium@coresync.example", "steam-room", 30),
    PlannedBooking(4, 12, "base@coresync.example", "deep-tissue", 90, ("hot-stones",)),
    PlannedBooking(5, 13, "guest@coresync.example", "pedicure", 60),
    PlannedBooking(6, 11, "premium@coresync.example", "signature-facial", 60),
    PlannedBooking(7, 17, "vip@coresync.example", "hot-stone", 90),
)


def book_demo_week(now: datetime) -> tuple[int, int]:
    """Book :data:`WEEK` relative to ``now`` (aware); return ``(booked, skipped)``.

    Each booking takes the first start at or after its hour that the availability engine
    offers a member (any technician and room), through ``create_booking`` with
    ``enforce_booking_window=False``. A booking whose idempotency key exists already, or for
    which no start is free that day, is skipped.
    """
    zone = get_settings().zone
    today = clock.local_date(now, zone)
    access = widest_plan_access()
    booked = skipped = 0
    for index, planned in enumerate(WEEK):
        day = today + timedelta(days=planned.days_ahead)
        key = f"demo:{day.isoformat()}:{index}"
        customer = User.objects.get(email=planned.customer)
        if Booking.objects.filter(customer=customer, idempotency_key=key).exists():
            skipped += 1
            continue
        request = build_availability_request(
            service_slug=planned.service,
            date_from=day,
            date_to=day,
            duration=planned.duration,
            addon_slugs=planned.addons,
            guests=planned.guests,
        )
        offers = [
            offer
            for offer in get_availability(request, access, now=now)
            if offer.slot.start.astimezone(zone).hour >= planned.hour
        ]
        if not offers:
            skipped += 1
            continue
        slot = offers[0].slot
        try:
            create_booking(
                customer=customer,
                service=planned.service,
                start=slot.start,
                duration_minutes=planned.duration,
                addon_slugs=planned.addons,
                guests=planned.guests,
                # A named technician means "only this one"; a group needs one per guest.
                technician=slot.technician_slugs[0]
                if planned.guests == 1 and slot.technician_slugs
                else None,
                room=slot.room_slug,
                idempotency_key=key,
                now=now,
                enforce_booking_window=False,
            )
        except DomainError:
            skipped += 1  # taken meanwhile: the demo does without it
            continue
        booked += 1
    return booked, skipped


def demo_logins(document: SpaDocument) -> list[tuple[str, str, str]]:
    """Return ``(who, email, password)`` for every account of the demo file with a password."""
    plan_tiers = {plan.slug: plan.tier for plan in document.plans or []}
    logins = [
        (staff.role.replace("_", " "), staff.email, staff.password)
        for staff in document.staff or []
        if staff.password
    ]
    for customer in document.customers or []:
        if not customer.password:
            continue
        if customer.plan is None:
            who = "customer (non-member)"
        elif customer.membership_end is not None:
            who = "customer (lapsed member)"
        else:
            who = f"member ({plan_tiers.get(customer.plan, customer.plan)})"
        logins.append((who, customer.email, customer.password))
    return logins


class Command(BaseCommand):
    help = (
        "Set up the demo: migrate, load the demo spa, book the next 7 days, print the logins "
        "and serve the site on http://127.0.0.1:PORT/ (unless --no-serve)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Port to serve on (8000).")
        parser.add_argument("--no-serve", action="store_true", help="Set everything up, then exit.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Erase every row of the database first, then load the demo. Only the "
            "demo's own SQLite file (var/coresync.sqlite3) unless --force is given.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Let --reset erase a database other than the demo's own SQLite file.",
        )

    def handle(self, *args, port: int, no_serve: bool, reset: bool, force: bool, **options) -> None:
        verbosity = options.get("verbosity", 1)
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        found = existing_data()
        if found and not reset:
            raise CommandError(
                f"The {describe_database()} already holds data ({', '.join(found)}); the demo "
                "starts from a clean database. Run `manage.py demo --reset` to erase it and "
                "load the demo (`make demo` does), or set DATABASE_URL to an empty database."
            )
        if found and reset:
            if not is_demo_database() and not force:
                raise CommandError(
                    f"--reset erases only the demo's own SQLite file (var/coresync.sqlite3), "
                    f"and DATABASE_URL points at the {describe_database()}, which holds data "
                    f"({', '.join(found)}). Nothing was changed. Add --force to erase it."
                )
            call_command("flush", interactive=False, verbosity=max(verbosity - 1, 0))
            self.stdout.write(f"Erased the {describe_database()} ({', '.join(found)}).")
        now = clock.now()
        try:
            document = parse_spa_text(
                DEMO_FILE.read_text(encoding="utf-8"), filename=str(DEMO_FILE)
            )
            report = import_document(document, now=now)
        except SpaFileError as error:
            raise CommandError(
                "The demo spa file did not load:\n" + "\n".join(error.messages)
            ) from None
        self.stdout.write(report.summary())
        booked, skipped = book_demo_week(now)
        self.stdout.write(
            f"Demo week: {booked} booked, {skipped} skipped (booked before, or no free time)."
        )

        url = f"http://127.0.0.1:{port}/"
        logins = demo_logins(document)
        width = max(len(email) for _, email, _ in logins)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"CoreSync demo: {url}  (admin: {url}admin/, staff: {url}staff/)")
        )
        self.stdout.write(f"  {'who':<26}{'email':<{width + 2}}password")
        for who, email, password in logins:
            self.stdout.write(f"  {who:<26}{email:<{width + 2}}{password}")
        self.stdout.write("")
        if no_serve:
            return
        # No autoreloader: it would run this whole command again in a child process.
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True)
