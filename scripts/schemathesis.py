"""Fuzz the live API against its own OpenAPI schema with Schemathesis.

1. Create a fresh PostgreSQL database, migrate it and import the demo spa.
2. Serve the app with uvicorn on a free loopback port (throttles raised: the run tests
   behaviour, not rate limits; JWTs live long enough for the whole run).
3. Sort the operations by role: one request per operation as the customer (a Base member);
   those answering 403 need a staff role.
4. Run ``schemathesis run …/api/schema/`` with the checks ``not_a_server_error`` and
   ``response_schema_conformance``, two runs side by side: as the customer on every
   operation a customer may use, and as the manager on the staff-only operations and on the
   booking and staff operations (whose answers depend on the role). Each operation is fuzzed
   where it does something, which keeps the run within CI's time.
5. Exit non-zero if either run found a 5xx, a response that does not match the schema, or an
   operation it could not test.

Usage (from the repository root; ``scripts/schemathesis.sh`` wraps it)::

    uv run python scripts/schemathesis.py [--max-examples 200] [--phases LIST] [--seed N]

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


def fetch_json(url: str, token: str, method: str = "GET", body: bytes | None = None):
    """Send one request; return ``(status, parsed JSON or None)``."""
    request = urllib.request.Request(
        url,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
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


def operations_by_role(base_url: str, customer_token: str) -> tuple[list[str], list[str]]:
    """Return the operation ids to fuzz as the customer and as the manager.

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
            if status == 403:
                manager_operations.append(operation["operationId"])
                continue
            customer_operations.append(operation["operationId"])
            if ROLE_DEPENDENT_PATHS.match(path):
                manager_operations.append(operation["operationId"])
    return customer_operations, manager_operations


def start_schemathesis(
    base_url: str, persona: str, token: str, operation_ids: list[str], arguments
) -> tuple[subprocess.Popen, Path]:
    """Start Schemathesis for one persona on ``operation_ids``; return it and its log."""
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if executable is None:
        raise SystemExit("schemathesis is not installed: run `uv sync`.")
    only = "^(" + "|".join(re.escape(operation_id) for operation_id in operation_ids) + ")$"
    command = [
        executable,
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
        str(REPORTS / persona),
        "--no-color",
    ]
    if arguments.seed is not None:
        command += ["--seed", str(arguments.seed)]
    print(
        f"== Schemathesis as {persona} ({PERSONAS[persona]}): {len(operation_ids)} operations",
        flush=True,
    )
    log_path = REPORTS / f"{persona}.log"
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
        # One process per persona, side by side: Schemathesis's own workers are threads, and
        # CPython 3.11's ast.parse is not thread-safe (Hypothesis calls it), so each run
        # keeps one worker (--workers 1) and the two runs share the cores instead.
        runs = {}
        for persona in arguments.persona or list(PERSONAS):
            runs[persona] = start_schemathesis(
                base_url, persona, tokens[persona], operations[persona], arguments
            )
            wait_for_schema_loaded(runs[persona][1])
        for persona, (process, log_path) in runs.items():
            returncode = process.wait()
            print(f"\n== Schemathesis as {persona}: exit {returncode} (log: {log_path})\n")
            print(log_path.read_text(), flush=True)
            if returncode != 0:
                failures.append(persona)
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
