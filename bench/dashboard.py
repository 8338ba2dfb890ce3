"""Manager dashboard: how long its numbers take for a year of 50,000 bookings on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cs_bench_dashboard \
        uv run python bench/dashboard.py [--bookings 50000] [--repeats 7]

1. Drops and creates the database named in ``DATABASE_URL`` (PostgreSQL only), migrates it.
2. Seeds a spa: 16 technicians and 16 rooms open 09:00-21:00 every day, 3 services in 2
   categories, an add-on, 2,000 customers, 600 memberships over three tiers, and
   ``--bookings`` bookings spread over the 365 days before 2026-12-01 (every 75 minutes on
   each technician/room pair, which the exclusion constraint accepts) with their
   allocations and, on every third, an add-on: 80 % completed, 8 % cancelled (half with a
   late fee), 5 % no-show (with the fee), the rest confirmed. Rows are bulk-inserted (the
   numbers, not the booking rules, are measured here; tests cover the rules).
3. Times :func:`coresync.dashboard.selectors.dashboard_report` for 2025-12-01..2026-11-30
   by day, week and month, and for the last 7 days, after one warm-up run: prints the median
   and fastest of ``--repeats`` runs in milliseconds, the number of queries, and the load
   average (1/5/15 min) before and after. Target: under 500 ms for 365 days.
"""

import argparse
import functools
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 500


def _recreate(database_url: str) -> None:
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _seed(bookings: int) -> None:
    from datetime import time as wall

    from coresync.accounts.models import User
    from coresync.bookings.models import Booking, BookingAddOn
    from coresync.catalog.models import AddOn, Service, ServiceCategory, ServiceVariant
    from coresync.memberships.models import Membership, MembershipPlan
    from coresync.resources.models import Room, Technician, WorkingHours
    from coresync.scheduling.models import Allocation
    from coresync.spa.models import SpaSettings

    random.seed(12)
    spa = SpaSettings.objects.create(pk=1)
    zone = spa.zone
    massage = ServiceCategory.objects.create(slug="massage", name="Massage")
    skin = ServiceCategory.objects.create(slug="skin", name="Skin", position=1)
    services = []
    for slug, name, category in (
        ("swedish", "Swedish Massage", massage),
        ("deep", "Deep Tissue", massage),
        ("facial", "Facial", skin),
    ):
        service = Service.objects.create(
            slug=slug,
            name=name,
            category=category,
            skill="massage",
            room_types=["private"],
            buffer_after=15,
        )
        ServiceVariant.objects.create(service=service, minutes=60, price=Decimal("100.00"))
        services.append(service)
    addon = AddOn.objects.create(slug="stones", name="Stones", price=Decimal("35.00"))
    technicians = Technician.objects.bulk_create(
        Technician(slug=f"t{index}", name=f"Technician {index:02}", skills=["massage"])
        for index in range(16)
    )
    rooms = Room.objects.bulk_create(
        Room(slug=f"r{index}", name=f"Room {index:02}", room_type="private") for index in range(16)
    )
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(**{field: owner}, weekday=weekday, start=wall(9), end=wall(21))
            for field, owners in (("technician", technicians), ("room", rooms))
            for owner in owners
            for weekday in range(7)
        ]
    )
    customers = User.objects.bulk_create(
        User(email=f"c{index}@example.com", name=f"Customer {index}", password="!")
        for index in range(2000)
    )
    plans = [
        MembershipPlan.objects.create(
            slug=tier,
            name=tier.title(),
            tier=tier,
            advance_days=30,
            discount_percent=Decimal("10"),
            monthly_price=Decimal("149.00"),
        )
        for tier in ("base", "premium", "vip")
    ]
    Membership.objects.bulk_create(
        Membership(
            customer=customers[index],
            plan=plans[index % 3],
            started_on=date(2025, 1, 1) + timedelta(days=index % 700),
            ends_on=date(2025, 1, 1) + timedelta(days=index % 700 + 200)
            if index % 4 == 0
            else None,
            status="cancelled" if index % 4 == 0 else "active",
            number=f"{1000000000 + index}",
        )
        for index in range(600)
    )
    first_day = date(2025, 12, 1)
    per_day = -(-bookings // 365)
    rows, allocations, addons = [], [], []
    made = 0
    for offset in range(365):
        day = first_day + timedelta(days=offset)
        for index in range(min(per_day, bookings - made)):
            pair, slot = index % 16, index // 16
            start = datetime.combine(day, wall(9), tzinfo=zone) + timedelta(minutes=75 * slot)
            roll = random.random()
            status = (
                "completed"
                if roll < 0.80
                else "cancelled"
                if roll < 0.88
                else "no_show"
                if roll < 0.93
                else "confirmed"
            )
            fee = None
            if status == "no_show" or (status == "cancelled" and roll < 0.84):
                fee = Decimal("108.88") if status == "no_show" else Decimal("54.44")
            rows.append(
                Booking(
                    reference=f"CS-B-{made:07}",
                    customer=customers[made % len(customers)],
                    service=services[made % 3],
                    duration_minutes=60,
                    technician=technicians[pair],
                    room=rooms[pair],
                    start=start,
                    end=start + timedelta(minutes=60),
                    status=status,
                    tier="non_member",
                    price_lines=[],
                    subtotal=Decimal("135.00") if made % 3 == 0 else Decimal("100.00"),
                    tax=Decimal("8.88"),
                    total=Decimal("108.88"),
                    cancellation_fee=fee,
                )
            )
            made += 1
    Booking.objects.bulk_create(rows, batch_size=5000)
    Booking.objects.update(created_at=datetime(2025, 11, 1, tzinfo=zone))
    for booking in Booking.objects.only("pk", "start", "end", "status", "technician_id", "room_id"):
        active = booking.status not in ("cancelled", "no_show")
        for field, key in (("technician", "technician"), ("room", "room")):
            owner = getattr(booking, f"{field}_id")
            allocations.append(
                Allocation(
                    booking_id=booking.pk,
                    resource_key=f"{key}:{owner}" + (":1" if field == "room" else ""),
                    unit=1 if field == "room" else None,
                    starts_at=booking.start,
                    ends_at=booking.end + timedelta(minutes=15),
                    is_active=active,
                    **{f"{field}_id": owner},
                )
            )
        if booking.pk % 3 == 0:
            addons.append(BookingAddOn(booking_id=booking.pk, addon=addon, price=addon.price))
    Allocation.objects.bulk_create(allocations, batch_size=5000)
    BookingAddOn.objects.bulk_create(addons, batch_size=5000)


def _time(function, repeats: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm-up: caches, prepared plans
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        function()
    return statistics.median(samples), min(samples), len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database this script may drop.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")
    sys.path.insert(0, str(ROOT))
    _recreate(database_url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _seed(args.bookings)
    from coresync.bookings.models import Booking

    print(
        f"seeded {Booking.objects.count()} bookings in {time.perf_counter() - started:.1f} s; "
        f"cpus {os.cpu_count()}"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    from coresync.dashboard.selectors import dashboard_report

    year = (date(2025, 12, 1), date(2026, 11, 30))
    print(f"load average before {os.getloadavg()}")
    worst = 0.0
    for label, (date_from, date_to), grain in (
        ("365 days by day", year, "day"),
        ("365 days by week", year, "week"),
        ("365 days by month", year, "month"),
        ("7 days by day", (date(2026, 11, 24), date(2026, 11, 30)), "day"),
    ):
        median, fastest, queries = _time(
            functools.partial(dashboard_report, date_from, date_to, grain), args.repeats
        )
        if label.startswith("365"):
            worst = max(worst, median)
        print(f"{label:<18} median {median:7.1f} ms   min {fastest:7.1f} ms   {queries} queries")
    print(f"load average after  {os.getloadavg()}")
    verdict = "under" if worst < TARGET_MS else "OVER"
    print(f"365 days: worst median {worst:.1f} ms, {verdict} the {TARGET_MS} ms target")
    if worst >= TARGET_MS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
