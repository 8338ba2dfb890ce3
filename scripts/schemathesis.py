"""Fuzz the live API against its own OpenAPI schema with Schemathesis.

1. Create a fresh PostgreSQL database, migrate it and import the demo spa.
2. Serve the app with the production server on a free loopback port (throttles raised: the run tests
   behaviour, not rate limits; JWTs live long enough for the whole run).
3. Sort the operations by role: one request per operation as the customer (a Base member);
   those answering 403 need a staff role.
4. Collect the spa's real identifiers through the API (slugs, booking references, exception,
   maintenance and feed ids, bookable starts) and write a Schemathesis config that offers
   them for path, query and body parameters half of the time (the other half stays random),
   so that fuzzing reaches the code behind the 404s, not only the 404s.
5. Run ``schemathesis run …/api/schema/`` with the checks ``not_a_server_error`` and
   ``response_schema_conformance``, as the customer on every operation a customer may use,
   and as the manager on the staff-only operations and on the booking and staff operations
   (whose answers depend on the role); each persona's operations in ``--shards`` processes
   side by side (a resource's operations stay together). Each operation is fuzzed where it
   does something, which keeps the run within CI's time.
6. Exit non-zero if any run found a 5xx, a response that does not match the schema, or an
   operation it could not test.

Usage (from the repository root; ``scripts/schemathesis.sh`` wraps it)::

    uv run python scripts/schemathesis.py [--max-examples 200] [--phases LIST] [--seed N]
                                          [--persona customer|manager] [--shards 2]

Environment: ``SCHEMATHESIS_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/coresync_schemathesis``; the database is dropped and
created again). Reports (JUnit XML, server log) go to ``var/schemathesis/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from live_server import (
    REPOSITORY,
    obtain_access_token,
    prepare_demo_database,
    recreate_postgres_database,
    serve,
    server_environment,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/coresync_schemathesis"
PERSONAS = {
    "customer": "base@coresync.example",  # a Base member: tier pricing and window apply
    "manager": "manager@coresync.example",
}
# Operations whose answers depend on the caller's role: fuzzed as both personas.
ROLE_DEPENDENT_PATHS = re.compile(r"^/api/v1/(bookings|staff)/")
CHECKS = "not_a_server_error,response_schema_conformance"
REPORTS = REPOSITORY / "var" / "schemathesis"
UNLIMITED = "1000000/min"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def fetch_json(
    url: str,
    token: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
):
    """Send one request; return ``(status, parsed JSON or None)``."""
    request = urllib.request.Request(
        url,
        data=body,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    try:
        return status, json.loads(payload) if payload else None
    except ValueError:
        return status, None


# Where each dictionary of real identifiers is offered: (path regex, {parameter: dictionary}).
# Parameters are Schemathesis binding keys: ``path.NAME``, ``query.NAME``, ``body.FIELD``.
DICTIONARY_BINDINGS = [
    (r"^/api/v1/services/\{slug\}/$", {"path.slug": "services"}),
    (r"^/api/v1/addons/\{slug\}/$", {"path.slug": "addons"}),
    (r"^/api/v1/plans/\{slug\}/$", {"path.slug": "plans"}),
    (r"^/api/v1/rooms/\{slug\}/$", {"path.slug": "rooms"}),
    (r"^/api/v1/technicians/\{slug\}/", {"path.slug": "technicians"}),
    (
        r"^/api/v1/rooms/\{room_slug\}/maintenance/",
        {"path.room_slug": "rooms", "path.id": "maintenance"},
    ),
    (
        r"^/api/v1/technicians/\{technician_slug\}/exceptions/",
        {"path.technician_slug": "technicians", "path.id": "exceptions"},
    ),
    (r"^/api/v1/bookings/\{reference\}/", {"path.reference": "references"}),
    (r"^/api/v1/bookings/\{reference\}/reschedule/$", {"body.start": "starts"}),
    (r"^/api/v1/calendars/feeds/\{id\}/", {"path.id": "feeds"}),
    (r"^/api/v1/addons/$", {"query.service": "services"}),
    (r"^/api/v1/rooms/$", {"query.type": "room_types"}),
    (
        r"^/api/v1/availability/$",
        {
            "query.service": "services",
            "query.technician": "technicians",
            "query.room_type": "room_types",
            "query.date_from": "dates",
            "query.date_to": "dates",
        },
    ),
    (
        r"^/api/v1/calendar/$",
        {"query.service": "services", "query.technician": "technicians", "query.month": "months"},
    ),
    (r"^/api/v1/staff/schedule/$", {"query.date": "dates", "query.technician": "technicians"}),
    (
        r"^/api/v1/bookings/$",
        {
            "body.service": "services",
            "body.start": "starts",
            "body.technician": "technicians",
            "query.technician": "technicians",
        },
    ),
    (r"^/api/v1/quotes/$", {"body.service": "services"}),
    (r"^/api/v1/memberships/", {"body.plan": "plans"}),
]
DICTIONARY_PROBABILITY = 0.5
SAMPLE_SERVICE = "swedish"  # a demo service whose listed starts feed ``starts``


def collect_identifiers(base_url: str, tokens: dict[str, str]) -> dict[str, list]:
    """Return the spa's real identifiers by dictionary name, read (and made) through the API.

    Makes a calendar feed for each persona and books up to three listed starts for the
    customer, so that references and feed ids exist for the customer to act on.
    """
    manager, customer = tokens["manager"], tokens["customer"]

    def slugs(path: str, key: str = "slug") -> list[str]:
        _, rows = fetch_json(f"{base_url}/api/v1/{path}/?include_inactive=true", manager)
        return sorted({row[key] for row in rows})

    today = date.today()
    dates = [str(today + timedelta(days=offset)) for offset in range(-1, 15)]
    _, listing = fetch_json(
        f"{base_url}/api/v1/availability/?service={SAMPLE_SERVICE}"
        f"&date_from={dates[2]}&date_to={dates[9]}",
        customer,
    )
    starts = [slot["start"] for slot in listing["slots"]][::7][:40]
    for number, start in enumerate(starts[:3]):
        body = json.dumps({"service": SAMPLE_SERVICE, "start": start}).encode()
        fetch_json(
            f"{base_url}/api/v1/bookings/",
            customer,
            "POST",
            body,
            headers={"Idempotency-Key": f"schemathesis-{number}"},
        )
    feeds = []
    for token in (customer, manager):
        status, feed = fetch_json(f"{base_url}/api/v1/calendars/feeds/", token, "POST", b"{}")
        if status in (200, 201):
            feeds.append(feed["id"])
    _, bookings = fetch_json(f"{base_url}/api/v1/bookings/?page_size=200", manager)
    technicians = slugs("technicians")
    rooms = slugs("rooms")
    exceptions, maintenance = [], []
    for technician in technicians:
        _, rows = fetch_json(f"{base_url}/api/v1/technicians/{technician}/exceptions/", manager)
        exceptions += [row["id"] for row in rows]
    for room in rooms:
        _, rows = fetch_json(f"{base_url}/api/v1/rooms/{room}/maintenance/", manager)
        maintenance += [row["id"] for row in rows]
    first_month = today.replace(day=1)
    return {
        "services": slugs("services"),
        "addons": slugs("addons"),
        "plans": slugs("plans"),
        "rooms": rooms,
        "room_types": sorted({"mensuite", "private", "shared", "vip"}),
        "technicians": technicians,
        "references": sorted(booking["reference"] for booking in bookings["results"]),
        "exceptions": exceptions or [1],
        "maintenance": maintenance or [1],
        "feeds": feeds or [1],
        "dates": dates,
        "months": [
            f"{first_month.year + (first_month.month + k - 1) // 12}-"
            f"{(first_month.month + k - 1) % 12 + 1:02d}"
            for k in range(3)
        ],
        "starts": starts or [f"{dates[3]}T10:00:00-05:00"],
    }


def toml_value(value) -> str:
    """Render a string, number or list of them as TOML (JSON's syntax is TOML's for these)."""
    return json.dumps(value)


def write_config(identifiers: dict[str, list], path: Path) -> None:
    """Write a Schemathesis config offering ``identifiers`` per :data:`DICTIONARY_BINDINGS`."""
    lines = ["# Made by scripts/schemathesis.py for one run: real identifiers of the spa.", ""]
    for name, values in identifiers.items():
        lines += [f"[dictionaries.{name}]", f"values = {toml_value(values)}", ""]
    for path_regex, bindings in DICTIONARY_BINDINGS:
        lines += ["[[operations]]", f"include-path-regex = {toml_value(path_regex)}"]
        lines.append("[operations.parameters]")
        for key, dictionary in bindings.items():
            lines.append(
                f"{toml_value(key)} = {{ dictionary = {toml_value(dictionary)}, "
                f"probability = {DICTIONARY_PROBABILITY} }}"
            )
        lines.append("")
    path.write_text("\n".join(lines))


def operations_by_role(
    base_url: str, customer_token: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the operations to fuzz as the customer and as the manager, as
    ``(operation id, path)`` pairs.

    Each operation is called once as the customer (path parameters "probe", body ``{}``);
    a 403 means it needs a staff role. The customer's own fuzzing does the same and more.
    """
    _, schema = fetch_json(f"{base_url}/api/schema/?format=json", customer_token)
    customer_operations, manager_operations = [], []
    for path, item in schema["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            url = base_url + re.sub(r"\{[^}]+\}", "probe", path)
            body = None if method == "get" else b"{}"
            status, _ = fetch_json(url, customer_token, method.upper(), body)
            identified = (operation["operationId"], path)
            if status == 403:
                manager_operations.append(identified)
                continue
            customer_operations.append(identified)
            if ROLE_DEPENDENT_PATHS.match(path):
                manager_operations.append(identified)
    return customer_operations, manager_operations


def shard(operations: list[tuple[str, str]], count: int) -> list[list[str]]:
    """Split ``operations`` into at most ``count`` lists of operation ids of similar size,
    keeping each resource (``/api/v1/<resource>/…``) whole so that the stateful phase still
    follows its links (create, then read, change and delete what was created)."""
    resources: dict[str, list[str]] = {}
    for operation_id, path in operations:
        resources.setdefault(path.split("/")[3], []).append(operation_id)
    shards: list[list[str]] = [[] for _ in range(max(1, count))]
    for group in sorted(resources.values(), key=len, reverse=True):
        min(shards, key=len).extend(group)
    return [ids for ids in shards if ids]


def start_schemathesis(
    base_url: str,
    run_name: str,
    persona: str,
    token: str,
    operation_ids: list[str],
    config: Path,
    arguments,
) -> tuple[subprocess.Popen, Path]:
    """Start Schemathesis as ``persona`` on ``operation_ids``; return it and its log."""
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if executable is None:
        raise SystemExit("schemathesis is not installed: run `uv sync`.")
    only = "^(" + "|".join(re.escape(operation_id) for operation_id in operation_ids) + ")$"
    command = [
        executable,
        "--config-file",
        str(config),
        "run",
        f"{base_url}/api/schema/",
        "--include-operation-id-regex",
        only,
        "--checks",
        CHECKS,
        "--max-examples",
        str(arguments.max_examples),
        "--workers",
        str(arguments.workers),
        "--phases",
        arguments.phases,
        "--header",
        f"Authorization: Bearer {token}",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(REPORTS / run_name),
        "--no-color",
    ]
    if arguments.seed is not None:
        command += ["--seed", str(arguments.seed)]
    print(
        f"== Schemathesis run {run_name} as {PERSONAS[persona]}: {len(operation_ids)} operations",
        flush=True,
    )
    log_path = REPORTS / f"{run_name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, log_path


def wait_for_schema_loaded(log_path: Path, timeout: float = 180) -> None:
    """Wait until a run has loaded the schema (or failed to), so that no two runs ask for it
    at once: drf-spectacular loads its extensions lazily, and two first schema requests
    racing in one fresh worker can fail with a 500."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "specification" in log_path.read_text(errors="replace"):
            return
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="threads per run")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--persona", choices=sorted(PERSONAS), action="append")
    parser.add_argument("--shards", type=int, default=2, help="Schemathesis processes per persona")
    arguments = parser.parse_args()

    started = time.monotonic()
    database_url = os.environ.get("SCHEMATHESIS_DATABASE_URL", DEFAULT_DATABASE_URL)
    environment = server_environment(
        database_url,
        THROTTLE_LOGIN=UNLIMITED,
        THROTTLE_BOOKING_CREATE=UNLIMITED,
        THROTTLE_ANON_AVAILABILITY=UNLIMITED,
        JWT_ACCESS_MINUTES="120",
    )
    print(f"== Fresh database {database_url}; demo spa; throttles raised to {UNLIMITED}")
    recreate_postgres_database(database_url)
    prepare_demo_database(environment)
    REPORTS.mkdir(parents=True, exist_ok=True)

    failures = []
    with serve(environment, workers=2, log_path=REPORTS / "server.log") as server:
        base_url = server.base_url
        print(f"== Serving {base_url} (log: {REPORTS / 'server.log'})")
        tokens = {
            persona: obtain_access_token(base_url, email) for persona, email in PERSONAS.items()
        }
        operations = dict(
            zip(PERSONAS, operations_by_role(base_url, tokens["customer"]), strict=True)
        )
        identifiers = collect_identifiers(base_url, tokens)
        config = REPORTS / "schemathesis.toml"
        write_config(identifiers, config)
        counts = ", ".join(f"{len(values)} {name}" for name, values in identifiers.items())
        print(f"== Real identifiers offered half of the time ({config}): {counts}")
        # Several processes per persona, side by side: Schemathesis's own workers are
        # threads, and CPython 3.11's ast.parse is not thread-safe (Hypothesis calls it), so
        # each run keeps one worker (--workers 1); one run keeps a core about half busy (it
        # waits for the server), so shards of the operations share the cores instead.
        runs = {}
        for persona in arguments.persona or list(PERSONAS):
            for number, operation_ids in enumerate(
                shard(operations[persona], arguments.shards), start=1
            ):
                run_name = f"{persona}-{number}"
                runs[run_name] = start_schemathesis(
                    base_url, run_name, persona, tokens[persona], operation_ids, config, arguments
                )
                wait_for_schema_loaded(runs[run_name][1])
        for run_name, (process, log_path) in runs.items():
            returncode = process.wait()
            print(f"\n== Schemathesis run {run_name}: exit {returncode} (log: {log_path})\n")
            print(log_path.read_text(), flush=True)
            if returncode != 0:
                failures.append(run_name)
    elapsed = time.monotonic() - started
    if failures:
        print(
            f"== FAILED for: {', '.join(failures)} after {elapsed:.0f} s "
            f"(server log with tracebacks: {REPORTS / 'server.log'})"
        )
        return 1
    print(f"== Schemathesis: no server error, every response matches the schema ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
