"""CoreSync load test: the real server (gunicorn with uvicorn workers, 2 workers, PostgreSQL,
Redis) under 50 users.

Run from the repository root (loopback only; see ``bench/LOAD.md``)::

    uv run python bench/load.py [--users 50] [--duration 60] [--think-time 1.0]
                                [--max-requests 50000] [--database-url URL]
                                [--server gunicorn] [--workers 2] [--cache-url URL]

1. Create the database ``coresync_load`` afresh, migrate it, import the demo spa.
2. Serve it with production's server (``--server``, gunicorn with uvicorn workers; 2 workers)
   on a free 127.0.0.1 port, Redis as the cache (``--cache-url``, a key prefix of its own),
   throttles raised (the test measures speed, not rate limits).
3. Register the load users through the API and make each a member (Base, Premium or
   Unlimited, in turn).
4. Run the users concurrently until the time or the request budget is spent; each user
   repeats a random step, then thinks (a random pause, ``--think-time`` seconds on average;
   0 = no pause, the server's saturation point): anonymous availability for the next 7 days
   (40 %), member availability for 7 days from a random day of the member window (30 %), or
   booking (30 %): member availability, then ``POST bookings/`` at a random listed slot with
   its JWT and a fresh ``Idempotency-Key`` (409 ``slot_unavailable`` is an expected answer
   when another user took the slot first).
5. Print requests/s, p50/p95/p99 latency and answers by status per endpoint, where the
   machine's CPU went, then check in the database that no technician and no room unit is
   double-booked.

Exits non-zero when a target is missed (any 5xx, a double booking, a p95 over its target).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "scripts"))

from live_server import (  # noqa: E402 - the helper lives in scripts/
    LiveServer,
    prepare_demo_database,
    recreate_postgres_database,
    serve,
    server_environment,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/coresync_load"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/1"
SPA_ZONE = ZoneInfo("America/New_York")
RAISED_THROTTLE = "100000/hour"
PLANS = ("base", "premium", "unlimited")
MEMBER_WINDOW_DAYS = 30  # the Base plan's window: every load user may book that far ahead
RANGE_DAYS = 7
ANONYMOUS_AVAILABILITY = "GET availability (anonymous, 7 days)"
MEMBER_AVAILABILITY = "GET availability (member, 7 days)"
CREATE_BOOKING = "POST bookings"
TARGETS_P95_MS = {ANONYMOUS_AVAILABILITY: 150, MEMBER_AVAILABILITY: 150, CREATE_BOOKING: 250}
DOUBLE_BOOKINGS_SQL = """
    SELECT first.resource_key, first.booking_id, second.booking_id,
           first.starts_at, first.ends_at, second.starts_at, second.ends_at
      FROM bookings_allocation AS first
      JOIN bookings_allocation AS second
        ON second.resource_key = first.resource_key
       AND second.id > first.id
       AND second.starts_at < first.ends_at
       AND first.starts_at < second.ends_at
     WHERE first.is_active AND second.is_active
       AND (first.expires_at IS NULL OR first.expires_at > now())
       AND (second.expires_at IS NULL OR second.expires_at > now())
"""


@dataclass
class Endpoint:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    transport_errors: Counter = field(default_factory=Counter)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


@dataclass
class Run:
    deadline: float
    max_requests: int
    sent: int = 0
    elapsed: float = 0.0
    machine_cpu: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    users: int = 0
    think: str = ""
    endpoints: dict[str, Endpoint] = field(default_factory=lambda: defaultdict(Endpoint))
    server_error_samples: list[str] = field(default_factory=list)

    def budget_left(self) -> bool:
        return self.sent < self.max_requests and time.monotonic() < self.deadline


@dataclass
class LoadUser:
    email: str
    token: str
    plan: str


class MachineCpu:
    """Busy CPU seconds of the whole machine (``/proc/stat``), and of this process and its
    waited-for children."""

    def __init__(self) -> None:
        self.ticks_per_second = os.sysconf("SC_CLK_TCK")

    def machine_busy(self) -> float:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return (sum(fields[:8]) - idle) / self.ticks_per_second

    @staticmethod
    def own(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime


async def timed(
    run: Run, name: str, client: httpx.AsyncClient, method: str, url: str, **kwargs
) -> httpx.Response | None:
    """Send one request and record its latency and answer under ``name``."""
    run.sent += 1
    endpoint = run.endpoints[name]
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        endpoint.transport_errors[type(error).__name__] += 1
        return None
    endpoint.latencies_ms.append((time.perf_counter() - started) * 1000)
    endpoint.statuses[response.status_code] += 1
    if response.status_code >= 400:
        try:
            endpoint.codes[response.json()["error"]["code"]] += 1
        except (ValueError, KeyError, TypeError):
            endpoint.codes["(no error body)"] += 1
    if response.status_code >= 500 and len(run.server_error_samples) < 20:
        sample = f"{method} {url} {kwargs.get('params') or kwargs.get('json')}"
        run.server_error_samples.append(f"{sample} → {response.status_code}")
    return response


def availability_params(service: str, first_day: date) -> dict[str, str]:
    last_day = first_day + timedelta(days=RANGE_DAYS - 1)
    return {"service": service, "date_from": str(first_day), "date_to": str(last_day)}


async def one_step(
    run: Run, client: httpx.AsyncClient, user: LoadUser, services: list[str], rng: random.Random
) -> None:
    """Do one random step of a user (see the module docstring)."""
    today = datetime.now(SPA_ZONE).date()
    service = rng.choice(services)
    step = rng.random()
    if step < 0.4:
        await timed(
            run,
            ANONYMOUS_AVAILABILITY,
            client,
            "GET",
            "/api/v1/availability/",
            params=availability_params(service, today),
        )
        return
    member = {"Authorization": f"Bearer {user.token}"}
    first_day = today + timedelta(days=rng.randint(0, MEMBER_WINDOW_DAYS - RANGE_DAYS))
    listing = await timed(
        run,
        MEMBER_AVAILABILITY,
        client,
        "GET",
        "/api/v1/availability/",
        params=availability_params(service, first_day),
        headers=member,
    )
    if step < 0.7 or listing is None or listing.status_code != 200:
        return
    slots = listing.json()["slots"]
    if not slots or not run.budget_left():
        return
    slot = rng.choice(slots)
    body = {"service": service, "start": slot["start"]}
    if slot["technician"]:
        body["technician"] = slot["technician"]
    if slot["room"]:
        body["room"] = slot["room"]
    await timed(
        run,
        CREATE_BOOKING,
        client,
        "POST",
        "/api/v1/bookings/",
        json=body,
        headers={**member, "Idempotency-Key": str(uuid.uuid4())},
    )


async def virtual_user(
    run: Run,
    client: httpx.AsyncClient,
    user: LoadUser,
    services: list[str],
    seed: int,
    think_time: float,
) -> None:
    """Repeat a step, then a pause of 0 to 2 × ``think_time`` seconds, while the budget lasts."""
    rng = random.Random(seed)
    # Users arrive spread over the first think time, not all in the same millisecond.
    await asyncio.sleep(rng.uniform(0, think_time))
    while run.budget_left():
        await one_step(run, client, user, services, rng)
        if think_time:
            await asyncio.sleep(rng.uniform(0, 2 * think_time))


async def register_load_users(client: httpx.AsyncClient, count: int) -> list[LoadUser]:
    """Register ``count`` customers through the API and subscribe each to a plan."""
    batch = uuid.uuid4().hex[:8]
    gate = asyncio.Semaphore(8)

    async def register(number: int) -> LoadUser:
        async with gate:
            return await register_one(client, batch, number)

    return list(await asyncio.gather(*(register(number) for number in range(count))))


async def register_one(client: httpx.AsyncClient, batch: str, number: int) -> LoadUser:
    """Register load user ``number`` and subscribe them to a plan, in turn."""
    email = f"load-{batch}-{number:03d}@load.example"
    registered = await client.post(
        "/api/v1/auth/register/",
        json={"email": email, "password": f"load-pass-{batch}", "name": f"Load {number}"},
    )
    registered.raise_for_status()
    token = registered.json()["tokens"]["access"]
    plan = PLANS[number % len(PLANS)]
    subscribed = await client.post(
        "/api/v1/memberships/",
        json={"plan": plan},
        headers={"Authorization": f"Bearer {token}"},
    )
    subscribed.raise_for_status()
    return LoadUser(email=email, token=token, plan=plan)


async def drive(server: LiveServer, arguments: argparse.Namespace, cpu: MachineCpu) -> Run:
    limits = httpx.Limits(
        max_connections=arguments.users, max_keepalive_connections=arguments.users
    )
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60) as client:
        users = await register_load_users(client, arguments.users)
        catalog = (await client.get("/api/v1/services/")).json()
        services = [service["slug"] for service in catalog]
        print(f"   {len(users)} members registered; {len(services)} services")
        run = Run(
            deadline=time.monotonic() + arguments.duration, max_requests=arguments.max_requests
        )
        machine_before = cpu.machine_busy()
        client_before = cpu.own(resource.RUSAGE_SELF)
        server_before = server.cpu_seconds()
        started = time.monotonic()
        await asyncio.gather(
            *(
                virtual_user(
                    run, client, user, services, arguments.seed + number, arguments.think_time
                )
                for number, user in enumerate(users)
            )
        )
        run.elapsed = time.monotonic() - started
        run.machine_cpu = cpu.machine_busy() - machine_before
        run.client_cpu = cpu.own(resource.RUSAGE_SELF) - client_before
        run.server_cpu = server.cpu_seconds() - server_before
        return run


def percentile(values: list[float], fraction: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]


def report(run: Run) -> list[str]:
    """Print the run's numbers; return the missed targets."""
    missed = []
    total = sum(len(endpoint.latencies_ms) for endpoint in run.endpoints.values())
    print(f"\n== {total} answers in {run.elapsed:.1f} s: {total / run.elapsed:.1f} requests/s")
    header = f"{'endpoint':<40} {'count':>6} {'req/s':>6} {'p50':>7} {'p95':>7} {'p99':>7}"
    print(header + "  (ms)")
    for name in (ANONYMOUS_AVAILABILITY, MEMBER_AVAILABILITY, CREATE_BOOKING):
        endpoint = run.endpoints.get(name)
        if endpoint is None or not endpoint.latencies_ms:
            print(f"{name:<40} no answers")
            missed.append(f"{name}: no answers")
            continue
        values = endpoint.latencies_ms
        print(
            f"{name:<40} {len(values):>6} {len(values) / run.elapsed:>6.1f} "
            f"{percentile(values, 0.50):>7.1f} {percentile(values, 0.95):>7.1f} "
            f"{percentile(values, 0.99):>7.1f}"
        )
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(endpoint.statuses.items()))
        print(f"{'':<40} answers {statuses}")
        if endpoint.codes:
            codes = ", ".join(f"{code}: {n}" for code, n in endpoint.codes.most_common())
            print(f"{'':<40} error codes {codes}")
        if endpoint.transport_errors:
            print(f"{'':<40} transport errors {dict(endpoint.transport_errors)}")
            missed.append(f"{name}: {sum(endpoint.transport_errors.values())} transport errors")
    creates = run.endpoints[CREATE_BOOKING]
    created = creates.statuses.get(201, 0)
    conflicts = creates.codes.get("slot_unavailable", 0)
    refused = sum(n for status, n in creates.statuses.items() if status >= 400) - conflicts
    print(
        f"\n   bookings: {created} created; {conflicts} × 409 slot_unavailable (expected: "
        f"another user took the slot first); {refused} other refusals"
    )
    for line in run.server_error_samples:
        print(f"   5xx: {line}")
    return missed


def print_cpu(run: Run) -> None:
    cores = os.cpu_count() or 1
    available = run.elapsed * cores
    rest = run.machine_cpu - run.server_cpu - run.client_cpu
    answers = sum(len(endpoint.latencies_ms) for endpoint in run.endpoints.values())
    print(
        f"\n== CPU during the run ({cores} cores × {run.elapsed:.0f} s = {available:.0f} s): "
        f"machine busy {run.machine_cpu:.0f} s = server {run.server_cpu:.0f} s "
        f"({run.server_cpu / max(answers, 1) * 1000:.0f} ms a request) + load client "
        f"{run.client_cpu:.0f} s + PostgreSQL and other processes {rest:.0f} s"
    )


def double_bookings(database_url: str) -> list[tuple]:
    """Return every pair of active allocations of one resource that overlap."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute(DOUBLE_BOOKINGS_SQL).fetchall()


def allocation_summary(database_url: str) -> tuple[int, int, int]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT count(DISTINCT booking_id), count(*), count(DISTINCT resource_key)"
            " FROM bookings_allocation WHERE is_active"
        ).fetchone()


def print_targets(run: Run, overlaps: int) -> list[str]:
    """Print each target with its verdict; return the missed ones."""
    missed = []
    print(f"\n== Targets ({run.users} users, think time {run.think}):")
    for name, target in TARGETS_P95_MS.items():
        values = run.endpoints[name].latencies_ms if name in run.endpoints else []
        p95 = percentile(values, 0.95) if values else float("nan")
        verdict = "ok" if p95 < target else "MISSED"
        print(f"   {name:<40} p95 {p95:7.1f} ms < {target} ms  {verdict}")
        if verdict != "ok":
            missed.append(f"{name} p95 {p95:.0f} ms ≥ {target} ms")
    server_errors = sum(endpoint.server_errors for endpoint in run.endpoints.values())
    for name, count in (("server errors (5xx)", server_errors), ("double bookings", overlaps)):
        print(f"   {name:<40} {count:>11}   = 0       {'ok' if count == 0 else 'MISSED'}")
        if count:
            missed.append(f"{count} {name}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument(
        "--think-time",
        type=float,
        default=1.0,
        help="mean pause between a user's steps, seconds (0: no pause, saturation)",
    )
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--server", default="gunicorn", help="see scripts/live_server.py")
    parser.add_argument("--cache-url", default=DEFAULT_CACHE_URL, help="the server's CACHE_URL")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra environment variable for the server (experiments), repeatable",
    )
    arguments = parser.parse_args()

    environment = server_environment(
        arguments.database_url,
        THROTTLE_LOGIN=RAISED_THROTTLE,
        THROTTLE_BOOKING_CREATE=RAISED_THROTTLE,
        THROTTLE_ANON_AVAILABILITY=RAISED_THROTTLE,
        JWT_ACCESS_MINUTES="120",
        CACHE_URL=arguments.cache_url,
        CACHE_KEY_PREFIX=f"load-{uuid.uuid4().hex[:8]}",
    )
    for assignment in arguments.server_env:
        name, _, value = assignment.partition("=")
        environment[name] = value
        print(f"== Server environment: {name}={value}")
    print(f"== Fresh database {arguments.database_url}, demo spa imported")
    recreate_postgres_database(arguments.database_url)
    prepare_demo_database(environment)
    print(
        f"== Throttles raised to {RAISED_THROTTLE} (THROTTLE_LOGIN, THROTTLE_BOOKING_CREATE, "
        "THROTTLE_ANON_AVAILABILITY): this run measures speed, not rate limits"
    )
    cpu = MachineCpu()
    log_path = REPOSITORY / "var" / "load" / "server.log"
    one, five, _ = os.getloadavg()
    print(f"== Load average before the run: {one:.2f} (1 min), {five:.2f} (5 min)")
    with serve(
        environment, workers=arguments.workers, log_path=log_path, server=arguments.server
    ) as server:
        print(
            f"== {arguments.server}, {arguments.workers} workers, at {server.base_url}; "
            f"{arguments.users} users, "
            f"think time {arguments.think_time:g} s on average, for {arguments.duration:g} s "
            f"or {arguments.max_requests} requests"
        )
        run = asyncio.run(drive(server, arguments, cpu))
    run.users, run.think = arguments.users, f"{arguments.think_time:g} s"
    missed = report(run)
    print_cpu(run)
    cores = os.cpu_count() or 1
    one, five, _ = os.getloadavg()
    shared = " (more than the cores: other work shared the machine)" if five > cores else ""
    print(f"   load average at the end: {one:.1f} (1 min), {five:.1f} (5 min){shared}")

    overlaps = double_bookings(arguments.database_url)
    bookings, allocations, resources = allocation_summary(arguments.database_url)
    print(
        f"\n== Database check: {bookings} active bookings, {allocations} active allocations "
        f"over {resources} technicians and room units; overlapping pairs: {len(overlaps)}"
    )
    for overlap in overlaps[:10]:
        print(f"   DOUBLE BOOKING {overlap}")
    missed += print_targets(run, len(overlaps))

    summary_path = REPOSITORY / "var" / "load" / "last-run.json"
    summary_path.write_text(
        json.dumps(
            {
                name: {
                    "count": len(endpoint.latencies_ms),
                    "p50_ms": percentile(endpoint.latencies_ms, 0.5),
                    "p95_ms": percentile(endpoint.latencies_ms, 0.95),
                    "p99_ms": percentile(endpoint.latencies_ms, 0.99),
                    "statuses": {str(k): v for k, v in endpoint.statuses.items()},
                }
                for name, endpoint in run.endpoints.items()
            },
            indent=2,
        )
    )
    if missed:
        print("\n== Missed: " + "; ".join(missed))
        return 1
    print("\n== Every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
