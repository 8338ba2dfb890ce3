"""HTTP benchmark: the real server on PostgreSQL and Redis, driven by wrk on the same machine.

Run from the repository root (loopback only; needs ``wrk``, e.g. ``apt-get install wrk``)::

    uv run python bench/http_bench.py [--servers gunicorn,uvicorn,uvicorn-plain,granian]
                                [--workers 2] [--connections 4] [--duration 15]
                                [--database-url URL] [--cache-url URL] [--no-cache]

1. Create the database afresh (``--database-url``, default ``coresync_http``), migrate it,
   import the demo spa.
2. For each server (``scripts/live_server.py``; ``granian`` needs ``uv run --with granian``),
   serve the app with ``--workers`` processes, Redis as the cache (a key prefix of its own per
   run), throttles raised, keep-alive.
3. Warm each URL up, then ``wrk -t1 -c{connections} -d{duration}s`` on: ``GET plans/``;
   anonymous availability for one day (tomorrow, Swedish massage); VIP availability for 90
   days (the demo's Unlimited member, with a JWT).
4. Print requests/s, p50/p95/p99 (ms), non-2xx answers, how wrk's connections were spread over
   the workers, the CPU split (server, wrk, PostgreSQL and the rest) and the load average
   before and after each run. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "scripts"))

from live_server import (  # noqa: E402 - the helper lives in scripts/
    SERVERS,
    LiveServer,
    obtain_access_token,
    prepare_demo_database,
    recreate_postgres_database,
    serve,
    server_environment,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/coresync_http"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/1"
SPA_ZONE = ZoneInfo("America/New_York")
RAISED_THROTTLE = "100000000/hour"
VIP_EMAIL = "vip@coresync.example"
LUA_REPORTER = REPOSITORY / "bench" / "wrk_percentiles.lua"
TARGETS = {
    "anonymous availability, 1 day": "≥ 300 requests/s, p95 ≤ 100 ms",
    "VIP availability, 90 days": "p95 ≤ 150 ms",
}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def machine_busy_seconds() -> float:
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def connections_per_worker(port: int) -> str:
    """Return how the established connections to ``port`` are spread over processes."""
    output = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", output):
        counts[pid] = counts.get(pid, 0) + 1
    return "/".join(str(count) for count in sorted(counts.values(), reverse=True)) or "?"


def run_wrk(server: LiveServer, label: str, path: str, arguments, authorization: str = "") -> dict:
    """Warm ``path`` up, run wrk on it; return and print the numbers."""
    url = f"{server.base_url}{path}"
    headers = {"Authorization": authorization} if authorization else {}
    for _ in range(10):
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60):
            pass
    port = int(server.base_url.rsplit(":", 1)[1])
    before_load = load_average()
    machine_before = machine_busy_seconds()
    server_before = server.cpu_seconds()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        "wrk",
        "-t1",
        f"-c{arguments.connections}",
        f"-d{arguments.duration}s",
        "-s",
        str(LUA_REPORTER),
        url,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "WRK_AUTHORIZATION": authorization},
    )
    time.sleep(min(3.0, arguments.duration / 2))
    spread = connections_per_worker(port)
    output, _ = process.communicate(timeout=arguments.duration + 60)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    server_cpu = server.cpu_seconds() - server_before
    machine_cpu = machine_busy_seconds() - machine_before
    match = re.search(r"RESULT (.*)", output)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    numbers = {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", match.group(1))}
    numbers.update(
        spread=spread,
        load_before=before_load,
        load_after=load_average(),
        server_cpu=server_cpu,
        wrk_cpu=wrk_cpu,
        other_cpu=machine_cpu - server_cpu - wrk_cpu,
    )
    print(
        f"  {label:<32} {numbers['rps']:7.1f} req/s  p50 {numbers['p50']:6.1f}  "
        f"p95 {numbers['p95']:6.1f}  p99 {numbers['p99']:6.1f} ms  non-2xx/errors "
        f"{int(numbers['errors'])}  connections {spread}  CPU s: server {server_cpu:.1f}, "
        f"wrk {wrk_cpu:.1f}, PostgreSQL+rest {numbers['other_cpu']:.1f}  load "
        f"{before_load} -> {numbers['load_after']}"
    )
    return numbers


def bench_server(name: str, arguments, environment: dict[str, str]) -> dict:
    tomorrow = datetime.now(SPA_ZONE).date() + timedelta(days=1)
    today = datetime.now(SPA_ZONE).date()
    one_day = f"/api/v1/availability/?service=swedish&date_from={tomorrow}&date_to={tomorrow}"
    ninety_days = (
        f"/api/v1/availability/?service=swedish&date_from={today}"
        f"&date_to={today + timedelta(days=89)}"
    )
    results = {}
    log_path = REPOSITORY / "var" / "http" / f"{name}.log"
    with serve(environment, workers=arguments.workers, log_path=log_path, server=name) as server:
        token = obtain_access_token(server.base_url, VIP_EMAIL)
        print(f"\n== {name}, {arguments.workers} workers, {server.base_url}")
        results["plans"] = run_wrk(server, "GET plans/", "/api/v1/plans/", arguments)
        results["anonymous availability, 1 day"] = run_wrk(
            server, "anonymous availability, 1 day", one_day, arguments
        )
        results["VIP availability, 90 days"] = run_wrk(
            server, "VIP availability, 90 days", ninety_days, arguments, f"Bearer {token}"
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="gunicorn", help=f"comma-separated: {SERVERS}")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--cache-url", default=DEFAULT_CACHE_URL)
    parser.add_argument(
        "--no-cache", action="store_true", help="serve listings fresh (AVAILABILITY_CACHE=false)"
    )
    arguments = parser.parse_args()
    environment = server_environment(
        arguments.database_url,
        CACHE_URL=arguments.cache_url,
        CACHE_KEY_PREFIX=f"bench-http-{uuid.uuid4().hex[:8]}",
        AVAILABILITY_CACHE="false" if arguments.no_cache else "true",
        THROTTLE_ANON_AVAILABILITY=RAISED_THROTTLE,
        THROTTLE_LOGIN=RAISED_THROTTLE,
        JWT_ACCESS_MINUTES="120",
    )
    print(
        f"== HTTP benchmark: {os.cpu_count()} CPUs, load average {load_average()} (1/5/15 min); "
        f"wrk -t1 -c{arguments.connections} -d{arguments.duration}s, keep-alive; "
        f"availability cache {'off' if arguments.no_cache else 'on'} ({arguments.cache_url})"
    )
    print(f"== Fresh database {arguments.database_url}, demo spa imported")
    recreate_postgres_database(arguments.database_url)
    prepare_demo_database(environment)
    summary = {}
    for name in arguments.servers.split(","):
        summary[name] = bench_server(name.strip(), arguments, environment)
    print("\n== Targets (2 workers, PostgreSQL, wrk -c4):")
    for name, results in summary.items():
        for label, target in TARGETS.items():
            numbers = results[label]
            print(
                f"   {name:<14} {label:<32} {numbers['rps']:7.1f} req/s, p95 "
                f"{numbers['p95']:6.1f} ms   target {target}"
            )
    output = REPOSITORY / "var" / "http" / "last-run.json"
    output.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
