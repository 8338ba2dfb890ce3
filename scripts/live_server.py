"""Run CoreSync for real on loopback: a fresh PostgreSQL database with the demo spa, served by
production's server (gunicorn with uvicorn workers) on a free port. Shared by
``scripts/schemathesis.py``, ``bench/load.py`` and ``bench/http_bench.py``.

Nothing here is imported by the application.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

REPOSITORY = Path(__file__).resolve().parent.parent
DEMO_SPA_FILE = REPOSITORY / "coresync" / "spafile" / "demo" / "spa.yaml"
DEMO_PASSWORD = "demo-pass-123"  # every demo login's password (coresync/spafile/demo/spa.yaml)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_postgres_database(database_url: str) -> None:
    """Drop and create the database named by ``database_url`` (PostgreSQL only)."""
    import psycopg

    parsed = urlparse(database_url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"Expected a postgres:// URL, got {database_url!r}")
    name = unquote(parsed.path.lstrip("/"))
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    with psycopg.connect(
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password) if parsed.password else None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def server_environment(database_url: str, **extra: str) -> dict[str, str]:
    """Return the process environment for ``manage.py`` and uvicorn: ``database_url``, the
    development settings, and ``extra``."""
    environment = dict(os.environ)
    environment.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "false",
            "DATABASE_POOL": "true",  # as in production (coresync/settings.py)
            "LOG_LEVEL": environment.get("LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.update(extra)
    return environment


def manage(environment: dict[str, str], *args: str) -> None:
    """Run ``manage.py args`` and fail loudly with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def prepare_demo_database(environment: dict[str, str], spa_file: Path = DEMO_SPA_FILE) -> None:
    """Migrate the (empty) database and import the demo spa into it."""
    manage(environment, "migrate", "--noinput")
    manage(environment, "import_spa", str(spa_file))


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system) used so far by the server and its workers."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        pids = [self.process.pid]
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:  # the process has just ended
                continue
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            pids.extend(int(child) for child in children)
        return total / ticks


SERVERS = ("gunicorn", "uvicorn", "uvicorn-plain", "granian")
"""Servers :func:`serve` can start. ``gunicorn`` is production's (docs/deploy.md,
docs/decisions/0001-production-server.md): gunicorn with uvicorn workers on uvloop and
httptools. ``uvicorn`` is ``uvicorn --workers`` on uvloop and httptools; ``uvicorn-plain``
the same on asyncio and h11 (as deployed before); ``granian`` is only for comparisons
(``uv run --with granian``)."""


def server_command(server: str, port: int, workers: int) -> list[str]:
    """Return the command line that serves the app on ``127.0.0.1:port`` with ``workers``
    processes. Every server keeps idle keep-alive connections 30 s: longer than the
    clients' pauses, since a connection closed by the server just as a client reuses it is
    a transport error, not the app's answer."""
    if server == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "coresync.asgi:application",
            "--config",
            str(REPOSITORY / "scripts" / "gunicorn_conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ]
    if server in ("uvicorn", "uvicorn-plain"):
        fast = ["uvloop", "httptools"] if server == "uvicorn" else ["asyncio", "h11"]
        fast = ["--loop", fast[0], "--http", fast[1]]
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "coresync.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *fast,
            "--timeout-keep-alive",
            "30",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    if server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--http",
            "1",
            "--http1-keep-alive",
            "--no-access-log",
            "--log-level",
            "warning",
            "coresync.asgi:application",
        ]
    raise ValueError(f"Unknown server {server!r}; choose one of {', '.join(SERVERS)}")


@contextmanager
def serve(
    environment: dict[str, str],
    *,
    workers: int = 1,
    log_path: Path | None = None,
    server: str = "gunicorn",
) -> Iterator[LiveServer]:
    """Serve the app on a free loopback port with ``server`` (production's by default, see
    :data:`SERVERS`); yield it (``.base_url``).

    The server is stopped (SIGTERM, then SIGKILL after 20 s) when the block exits.
    """
    port = free_port()
    log_path = log_path or REPOSITORY / "var" / f"{server}-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = server_command(server, port, workers)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base_url, process, log_path)
            yield LiveServer(base_url, process)
        finally:
            _stop(process)


def wait_until_ready(
    base_url: str, process: subprocess.Popen, log_path: Path, timeout: float = 90
) -> None:
    """Wait until the server answers ``/api/v1/plans/``; fail with its log if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/v1/plans/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"server did not answer within {timeout:.0f} s:\n{log_path.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def obtain_access_token(base_url: str, email: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in through ``POST /api/v1/auth/token/``; return the access JWT."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["access"]
