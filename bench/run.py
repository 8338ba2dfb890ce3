"""CoreSync benchmarks: the availability engine, the loader on PostgreSQL, booking creation.

Run from the repository root::

    uv run python bench/run.py [--database-url URL] [--repeats N] [--profile] [--engine-only]

Prints numbers next to their targets; asserts nothing. See ``bench/README.md`` for what each
number means. The PostgreSQL sections create the database if it is missing, migrate it,
flush it and build the data again on every run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from coresync.scheduling.engine import (  # noqa: E402 - pure Python, needs no Django set-up
    AccessRules,
    RoomData,
    ServiceSpec,
    TechnicianData,
    WeeklyWindow,
    find_slots,
    to_minutes,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/coresync_bench"
SPA_ZONE = ZoneInfo("America/New_York")
# Thursday 2026-10-15 08:00 in New York: a 90-day range from tomorrow crosses the fall-back
# transition of 2026-11-01, so one transition day is in the largest ranges, as in real life.
NOW = datetime(2026, 10, 15, 8, 0, tzinfo=SPA_ZONE)
FIRST_DAY = date(2026, 10, 16)
RANGES = (1, 7, 30, 90)
SERVICE_MINUTES = 60
BUFFER_AFTER = 15
GRID_MINUTES = 15
TECHNICIAN_HOURS = (time(9), time(17))
ROOM_HOURS = (time(9), time(21))
SEED = 20261015


# --------------------------------------------------------------------------- reporting


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile_ms(samples: list[float], percent: int) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))
    return ordered[index] * 1000


def timed(call: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    """Call ``call`` once to warm up, then ``repeats`` times; return the durations (s) and
    the last result."""
    result = call()
    samples = []
    for _ in range(repeats):
        started = clock.perf_counter()
        result = call()
        samples.append(clock.perf_counter() - started)
    return samples, result


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def heading(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


# --------------------------------------------------------------------------- synthetic spa


@dataclass(frozen=True)
class PlannedBooking:
    """One existing booking: which technician and room (indexes) and its local start."""

    technician: int
    room: int
    start: datetime  # aware, spa-local

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=SERVICE_MINUTES)

    @property
    def busy_until(self) -> datetime:
        return self.end + timedelta(minutes=BUFFER_AFTER)


def plan_bookings(
    count: int, technicians: int, rooms: int, days: int, seed: int = SEED
) -> list[PlannedBooking]:
    """Place ``count`` non-overlapping bookings (60 min + 15 min buffer, on the 15-minute
    grid, inside technician hours) at random over ``days`` days from ``FIRST_DAY``."""
    rng = random.Random(seed)
    block = SERVICE_MINUTES + BUFFER_AFTER
    first_start = TECHNICIAN_HOURS[0].hour * 60
    last_start = TECHNICIAN_HOURS[1].hour * 60 - block
    starts = list(range(first_start, last_start + 1, GRID_MINUTES))
    taken: dict[tuple[str, int, int], list[tuple[int, int]]] = {}

    def free(key: tuple[str, int, int], begin: int, finish: int) -> bool:
        return all(finish <= a or b <= begin for a, b in taken.get(key, ()))

    planned: list[PlannedBooking] = []
    tries = 0
    while len(planned) < count:
        tries += 1
        if tries > count * 200:
            raise RuntimeError(f"cannot place {count} bookings; placed {len(planned)}")
        day = rng.randrange(days)
        technician = rng.randrange(technicians)
        room = rng.randrange(rooms)
        technician_key = ("t", technician, day)
        room_key = ("r", room, day)
        fitting = [
            begin
            for begin in starts
            if free(technician_key, begin, begin + block) and free(room_key, begin, begin + block)
        ]
        if not fitting:
            continue
        # Half the time the earliest fitting start: packs days the way a front desk does and
        # keeps random gaps from making a busy day impossible to fill.
        begin = fitting[0] if rng.random() < 0.5 else rng.choice(fitting)
        finish = begin + block
        taken.setdefault(technician_key, []).append((begin, finish))
        taken.setdefault(room_key, []).append((begin, finish))
        local_day = FIRST_DAY + timedelta(days=day)
        start = datetime.combine(local_day, time(begin // 60, begin % 60), tzinfo=SPA_ZONE)
        planned.append(PlannedBooking(technician, room, start))
    return planned


def every_day(hours: tuple[time, time]) -> list[WeeklyWindow]:
    return [WeeklyWindow(weekday, *hours) for weekday in range(7)]


def engine_resources(
    planned: list[PlannedBooking],
    technicians: int,
    rooms: int,
    date_from: date,
    date_to: date,
) -> tuple[list[TechnicianData], list[RoomData]]:
    """Build the engine's input as the loader would: busy intervals (epoch minutes, buffers
    included) overlapping the range widened by a day on each side."""
    low = datetime.combine(date_from - timedelta(days=1), time(0), tzinfo=SPA_ZONE)
    high = datetime.combine(date_to + timedelta(days=2), time(0), tzinfo=SPA_ZONE)
    technician_busy: list[list] = [[] for _ in range(technicians)]
    room_busy: list[list] = [[] for _ in range(rooms)]
    for booking in planned:
        if booking.start < high and booking.busy_until > low:
            # UTC datetimes with datetime.UTC, as Django's PostgreSQL backend returns them.
            # The loader hands the engine epoch minutes (computed in SQL), so the engine-only
            # numbers are for the same input.
            interval = (to_minutes(booking.start), to_minutes(booking.busy_until))
            technician_busy[booking.technician].append(interval)
            room_busy[booking.room].append(interval)
    return (
        [
            TechnicianData(
                id=index + 1,
                slug=f"tech-{index:02d}",
                weekly=every_day(TECHNICIAN_HOURS),
                busy=technician_busy[index],
            )
            for index in range(technicians)
        ],
        [
            RoomData(
                id=index + 1,
                slug=f"room-{index:02d}",
                capacity=1,
                weekly=every_day(ROOM_HOURS),
                busy_by_unit={1: room_busy[index]},
            )
            for index in range(rooms)
        ],
    )


SPEC = ServiceSpec(
    service_minutes=SERVICE_MINUTES,
    buffer_after=BUFFER_AFTER,
    interval_minutes=GRID_MINUTES,
    guests=1,
    technicians_needed=1,
)
RULES = AccessRules(
    now=NOW.astimezone(UTC),
    tz=SPA_ZONE,
    min_notice_minutes=120,
    advance_days=93,
    non_member_advance_days=3,
    priority=True,
    vip=True,
)


def bench_engine(repeats: int, profile: bool) -> None:
    heading("1. Engine only (find_slots, no database): 20 technicians, 8 rooms, 2,000 bookings")
    planned = plan_bookings(2000, technicians=20, rooms=8, days=90)
    for days in RANGES:
        date_to = FIRST_DAY + timedelta(days=days - 1)
        technicians, rooms = engine_resources(planned, 20, 8, FIRST_DAY, date_to)
        busy = sum(len(t.busy) for t in technicians)
        samples, slots = timed(
            lambda t=technicians, r=rooms, d=date_to: find_slots(SPEC, RULES, t, r, FIRST_DAY, d),
            repeats,
        )
        line = (
            f"  {days:>2} days: median {median_ms(samples):7.2f} ms  "
            f"(min {min(samples) * 1000:6.2f})  slots {len(slots):5d}  busy intervals {busy:4d}"
        )
        if days == 90:
            line += f"   target < 50 ms: {verdict(median_ms(samples), 50)}"
        print(line)
    if profile:
        technicians, rooms = engine_resources(
            planned, 20, 8, FIRST_DAY, FIRST_DAY + timedelta(days=89)
        )
        print_profile(
            "find_slots, 90 days",
            lambda: find_slots(
                SPEC, RULES, technicians, rooms, FIRST_DAY, FIRST_DAY + timedelta(days=89)
            ),
            repeats,
        )


def print_profile(title: str, call: Callable[[], object], repeats: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        call()
    profiler.disable()
    output = io.StringIO()
    stats = pstats.Stats(profiler, stream=output)
    stats.sort_stats("tottime").print_stats(15)
    print(f"\n  cProfile of {title} x{repeats}, by own time:")
    for line in output.getvalue().splitlines():
        if line.strip():
            print("   ", line)


# --------------------------------------------------------------------------- PostgreSQL


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database named in ``database_url`` if it does not exist."""
    import psycopg
    from psycopg import sql

    parts = urlparse(database_url)
    name = unquote(parts.path.lstrip("/"))
    options = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "dbname": "postgres",
    }
    if parts.password:
        options["password"] = unquote(parts.password)
    with psycopg.connect(**options, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


@dataclass
class BenchSpa:
    """The rows the PostgreSQL sections use."""

    customer: object
    access: object
    massage_technicians: list
    facial_technicians: list


def build_spa() -> BenchSpa:
    """Flush the database and build two independent data sets:

    - massage: 20 technicians, 8 private rooms, 2,000 bookings over 90 days;
    - facial: 10 technicians, 10 men's suites, 1,200 bookings over 30 days.
    """
    from django.core.cache import cache
    from django.core.management import call_command

    from coresync.accounts.models import User
    from coresync.catalog.models import Service, ServiceCategory, ServiceVariant
    from coresync.memberships.models import Membership, MembershipPlan
    from coresync.memberships.selectors import plan_access
    from coresync.resources.models import Room, Technician, WorkingHours
    from coresync.spa.models import SpaSettings

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    cache.clear()
    SpaSettings.objects.create(pk=1)
    category = ServiceCategory.objects.create(slug="bench", name="Bench")
    plan = MembershipPlan.objects.create(
        slug="unlimited",
        name="Unlimited",
        tier="vip",
        advance_days=93,
        discount_percent=Decimal("40"),
        priority=True,
        vip=True,
        monthly_price=Decimal("599.00"),
    )
    MembershipPlan.objects.create(
        slug="premium",
        name="Premium",
        tier="premium",
        advance_days=60,
        discount_percent=Decimal("40"),
        priority=True,
        monthly_price=Decimal("249.00"),
    )
    customer = User.objects.create_user(email="bench@example.com", password=None, name="Bench")
    membership = Membership.objects.create(
        customer=customer, plan=plan, started_on=date(2026, 1, 1)
    )

    def data_set(skill, room_type, technicians: int, rooms: int, count: int, days: int, seed: int):
        service = Service.objects.create(
            slug=f"bench-{skill}",
            name=f"Bench {skill}",
            category=category,
            skill=skill,
            room_types=[room_type],
            buffer_after=BUFFER_AFTER,
        )
        ServiceVariant.objects.create(
            service=service, minutes=SERVICE_MINUTES, price=Decimal("100")
        )
        technician_rows = Technician.objects.bulk_create(
            Technician(slug=f"{skill}-{index:02d}", name=f"{skill} {index}", skills=[skill])
            for index in range(technicians)
        )
        room_rows = Room.objects.bulk_create(
            Room(slug=f"{room_type}-{index:02d}", name=f"{room_type} {index}", room_type=room_type)
            for index in range(rooms)
        )
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(
                    technician=row, weekday=day, start=TECHNICIAN_HOURS[0], end=TECHNICIAN_HOURS[1]
                )
                for row in technician_rows
                for day in range(7)
            ]
            + [
                WorkingHours(room=row, weekday=day, start=ROOM_HOURS[0], end=ROOM_HOURS[1])
                for row in room_rows
                for day in range(7)
            ]
        )
        planned = plan_bookings(count, technicians, rooms, days, seed=seed)
        insert_bookings(service, customer, technician_rows, room_rows, planned, prefix=skill[:2])
        return technician_rows

    # The massage set is the very schedule of section 1 (same seed), so slot counts match.
    massage = data_set("massage", "private", 20, 8, count=2000, days=90, seed=SEED)
    facial = data_set("facial", "mensuite", 10, 10, count=1200, days=30, seed=SEED + 1)
    return BenchSpa(
        customer=customer,
        access=plan_access(plan, membership),
        massage_technicians=massage,
        facial_technicians=facial,
    )


def insert_bookings(service, customer, technicians, rooms, planned, prefix: str) -> None:
    """Write ``planned`` as confirmed bookings with their allocations (bulk inserts)."""
    from coresync.bookings.models import Booking
    from coresync.scheduling.models import Allocation, room_unit_key, technician_key

    bookings = Booking.objects.bulk_create(
        Booking(
            reference=f"BN-{prefix}-{index:06d}",
            customer=customer,
            service=service,
            duration_minutes=SERVICE_MINUTES,
            technician=technicians[plan.technician],
            room=rooms[plan.room],
            start=plan.start,
            end=plan.end,
            status="confirmed",
            tier="vip",
            customer_tier="vip",
            subtotal=Decimal("60.00"),
            tax=Decimal("5.33"),
            total=Decimal("65.33"),
        )
        for index, plan in enumerate(planned)
    )
    allocations = []
    for booking, plan in zip(bookings, planned, strict=True):
        technician = technicians[plan.technician]
        room = rooms[plan.room]
        allocations.append(
            Allocation(
                booking=booking,
                resource_key=technician_key(technician.pk),
                technician=technician,
                starts_at=plan.start,
                ends_at=plan.busy_until,
            )
        )
        allocations.append(
            Allocation(
                booking=booking,
                resource_key=room_unit_key(room.pk, 1),
                room=room,
                unit=1,
                starts_at=plan.start,
                ends_at=plan.busy_until,
            )
        )
    Allocation.objects.bulk_create(allocations, batch_size=2000)


def count_queries(call: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


@dataclass
class LoaderResult:
    """Medians (ms) and query counts for one service and range."""

    availability_ms: float
    availability_min_ms: float
    availability_queries: int
    cached_ms: float
    cached_queries: int
    offers: int
    loader_ms: float
    loader_queries: int
    both_ms: float
    both_min_ms: float
    slots: int


def measure_range(spa: BenchSpa, service_slug: str, days: int, repeats: int) -> LoaderResult:
    """Time ``get_availability``, ``load_engine_input`` alone, and loader + ``find_slots``
    for ``service_slug`` over ``days`` days from ``FIRST_DAY``."""
    from coresync.scheduling.loader import load_engine_input
    from coresync.scheduling.selectors import (
        access_rules,
        build_availability_request,
        get_availability,
        service_spec,
    )
    from coresync.spa.selectors import get_settings

    spa_settings = get_settings()
    date_to = FIRST_DAY + timedelta(days=days - 1)
    request = build_availability_request(
        service_slug=service_slug, date_from=FIRST_DAY, date_to=date_to
    )

    def availability():
        return get_availability(request, spa.access, now=NOW)

    def load():
        return load_engine_input(
            service=request.service,
            guests=1,
            date_from=FIRST_DAY,
            date_to=date_to,
            now=NOW,
            tz=spa_settings.zone,
        )

    def load_and_find():
        loaded = load()
        return find_slots(
            service_spec(request, spa_settings),
            access_rules(spa.access, spa_settings, NOW),
            loaded.technicians,
            loaded.rooms,
            FIRST_DAY,
            date_to,
            loaded.holds,
        )

    availability_samples, offers = timed(availability, repeats)
    from django.test import override_settings

    with override_settings(AVAILABILITY_CACHE=True):  # local memory: one process here
        cached_samples, cached = timed(availability, repeats)
        cached_queries = count_queries(availability)
    if cached != offers:
        raise SystemExit("the cached listing differs from the fresh one")
    load_samples, _ = timed(load, repeats)
    both_samples, slots = timed(load_and_find, repeats)
    return LoaderResult(
        availability_ms=median_ms(availability_samples),
        availability_min_ms=min(availability_samples) * 1000,
        availability_queries=count_queries(availability),
        cached_ms=median_ms(cached_samples),
        cached_queries=cached_queries,
        offers=len(offers),
        loader_ms=median_ms(load_samples),
        loader_queries=count_queries(load),
        both_ms=median_ms(both_samples),
        both_min_ms=min(both_samples) * 1000,
        slots=len(slots),
    )


def describe(result: LoaderResult) -> str:
    return (
        f"get_availability {result.availability_ms:7.2f} ms (min "
        f"{result.availability_min_ms:6.2f}, {result.availability_queries} queries, "
        f"{result.offers} slots) | cached {result.cached_ms:6.2f} ms "
        f"({result.cached_queries} queries) | loader {result.loader_ms:6.2f} ms "
        f"({result.loader_queries} queries) | loader+find_slots {result.both_ms:7.2f} ms "
        f"(min {result.both_min_ms:6.2f}, {result.slots} slots)"
    )


def targets(result: LoaderResult, limit_ms: float) -> str:
    return (
        f"targets: loader+find_slots < {limit_ms:.0f} ms: {verdict(result.both_ms, limit_ms)}; "
        f"get_availability < {limit_ms:.0f} ms: {verdict(result.availability_ms, limit_ms)}; "
        f"loader queries <= 6: {verdict(result.loader_queries, 6)}"
    )


def bench_loader(spa: BenchSpa, repeats: int, profile: bool) -> None:
    heading("2. Engine + loader on PostgreSQL: 20 technicians, 8 rooms, 2,000 bookings")
    print(
        "  get_availability = loader + engine + prices (fresh); cached = the same served from "
        "the availability cache (hits); loader = load_engine_input alone"
    )
    for days in RANGES:
        result = measure_range(spa, "bench-massage", days, repeats)
        print(f"  {days:>2} days: {describe(result)}")
        if days == 90:
            print(f"           {targets(result, 150)}")
    if profile:
        from coresync.scheduling.selectors import build_availability_request, get_availability

        request = build_availability_request(
            service_slug="bench-massage",
            date_from=FIRST_DAY,
            date_to=FIRST_DAY + timedelta(days=89),
        )
        print_profile(
            "get_availability, 90 days",
            lambda: get_availability(request, spa.access, now=NOW),
            repeats,
        )

    heading("3. Loader on PostgreSQL: 10 technicians, 10 rooms, 30 days, 1,200 bookings")
    result = measure_range(spa, "bench-facial", 30, repeats)
    print(f"  30 days: {describe(result)}")
    print(f"           {targets(result, 25)}")


def bench_create(spa: BenchSpa, count: int = 200) -> None:
    from coresync.bookings.services import create_booking
    from coresync.scheduling.errors import SlotUnavailable
    from coresync.scheduling.selectors import build_availability_request, get_availability

    heading(f"4. create_booking in-process: {count} sequential bookings at free slots")
    # Free starts from the listing, spread over days 31-90 (the facial set is elsewhere).
    request = build_availability_request(
        service_slug="bench-massage",
        date_from=FIRST_DAY + timedelta(days=30),
        date_to=FIRST_DAY + timedelta(days=89),
    )
    offers = get_availability(request, spa.access, now=NOW)
    starts = [offer.slot.start for offer in offers[:: max(1, len(offers) // count)]][:count]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples: list[float] = []
    queries: list[int] = []
    refused = 0
    for index, start in enumerate(starts):
        with CaptureQueriesContext(connection) as captured:
            started = clock.perf_counter()
            try:
                # Each for another guest of the customer: one person cannot hold two bookings
                # that overlap (issue 18), and the starts are picked without regard to that.
                create_booking(
                    customer=spa.customer,
                    service="bench-massage",
                    start=start,
                    now=NOW,
                    guest_name=f"Guest {index}",
                )
            except SlotUnavailable:
                refused += 1
            samples.append(clock.perf_counter() - started)
        queries.append(len(captured))
    p95 = percentile_ms(samples, 95)
    print(
        f"  p50 {percentile_ms(samples, 50):6.2f} ms  p95 {p95:6.2f} ms  max "
        f"{max(samples) * 1000:6.2f} ms  queries per create: median "
        f"{statistics.median(queries):.0f}, min {min(queries)}, max {max(queries)}  "
        f"refused {refused}/{len(starts)}   target p95 < 50 ms: {verdict(p95, 50)}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL database to build (default {DEFAULT_DATABASE_URL}); it is flushed",
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per measurement")
    parser.add_argument("--profile", action="store_true", help="print cProfile hot spots")
    parser.add_argument(
        "--engine-only", action="store_true", help="run section 1 only (no database)"
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")
    if "bench" not in urlparse(args.database_url).path and not args.engine_only:
        parser.error("the database is flushed: use one whose name contains 'bench'")

    print(f"CoreSync benchmarks, median of {args.repeats} calls after one warm-up")
    print(
        f"now = {NOW.isoformat()}, ranges start {FIRST_DAY} (spa-local); Python "
        f"{sys.version.split()[0]}; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} (other work on the machine inflates medians)"
    )
    bench_engine(args.repeats, args.profile)
    if args.engine_only:
        return
    ensure_database(args.database_url)
    setup_django(args.database_url)
    built = clock.perf_counter()
    spa = build_spa()
    print(f"\n(built the PostgreSQL data in {clock.perf_counter() - built:.1f} s)")
    bench_loader(spa, args.repeats, args.profile)
    bench_create(spa)


if __name__ == "__main__":
    main()
