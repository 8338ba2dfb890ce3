"""The production path, for real: a Redis broker, Celery beat and two Celery worker processes
racing over one PostgreSQL outbox, sending through a real SMTP server (aiosmtpd) started by
the test. Every due confirmation and reminder must be sent exactly once.

The workers are separate processes: they reach this test's database through ``DATABASE_URL``
naming the test database, which is why the test is transactional (its rows are committed so
other connections see them) and PostgreSQL only (real row locks, ``SKIP LOCKED``; pytest's
SQLite test database lives in this process's memory). Redis: ``CELERY_TEST_BROKER_URL``
(default ``redis://127.0.0.1:6379/5``, a database of its own, flushed before and after).
"""

import os
import re
import signal
import subprocess
import sys
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from kombu import Connection

from conftest import make_customer
from coresync.bookings.services import create_booking
from coresync.core.clock import now as clock_now
from coresync.notifications import tasks
from coresync.notifications.models import (
    DeliveryStatus,
    EmailLog,
    NotificationLog,
    OutboxAttempt,
    OutboxMessage,
    OutboxStatus,
)
from coresync.spa.selectors import get_settings

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: worker processes share the test database",
    ),
    pytest.mark.django_db(transaction=True),
]

BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")
BASE_DIR = Path(django_settings.BASE_DIR)
BOOKING_DAYS = 10
TIMEOUT_SECONDS = 60
STARTUP_TIMEOUT_SECONDS = 120  # a loaded CI machine starts Celery slowly
SUCCEEDED = re.compile(r"Task notifications\.\w+\[[^\]]+\] succeeded in [\d.]+s: (\d+)")


@pytest.fixture
def broker():
    """The Redis database of this test, empty before and after."""
    client = redis.Redis.from_url(BROKER_URL)
    client.ping()  # no Redis is a failure, not a skip: CI runs this test for real
    client.flushdb()
    with Connection(BROKER_URL) as kombu_connection:
        yield kombu_connection
    client.flushdb()


def database_url() -> str:
    """Return a ``DATABASE_URL`` naming the test database this test writes to."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    """Celery processes started by the test; each writes its log to ``<name>.log``."""

    def __init__(self, directory: Path, environment: dict[str, str]) -> None:
        self.directory = directory
        self.environment = environment
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *arguments: str) -> None:
        log = (self.directory / f"{name}.log").open("w")
        self.started[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "coresync", *arguments],
            cwd=BASE_DIR,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for process in self.started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture
def celery(broker, smtp_server, tmp_path):
    """Start beat and two workers (one process each, batches of 5 rows so they interleave)
    against this test's database, Redis database and SMTP server; stop them afterwards."""
    server = smtp_server(delay_seconds=0.02)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coresync.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{server.port}",
        "ANYMAIL_ESP": "",  # the real SMTP server of this test, whatever the shell says
        "OUTBOX_BATCH_SIZE": "5",
        "OUTBOX_DISPATCH_INTERVAL_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    processes = Processes(tmp_path, environment)
    common = ("--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info")
    try:
        for name in ("w1", "w2"):
            processes.start(name, "worker", "--concurrency", "1", "-n", f"{name}@%h", *common)
        processes.start(
            "beat",
            "beat",
            "-s",
            str(tmp_path / "beat-schedule"),
            "--max-interval",
            "1",
            "-l",
            "info",
        )
        deadline = clock.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not all(
            f"{name}@" in processes.log(name) and " ready." in processes.log(name)
            for name in ("w1", "w2")
        ):
            for name, process in processes.started.items():
                assert process.poll() is None, f"{name} exited:\n{processes.log(name)}"
            assert clock.monotonic() < deadline, "the workers did not start:\n" + "\n".join(
                processes.log(name) for name in processes.started
            )
            clock.sleep(0.1)
        processes.server = server
        processes.broker = broker
        yield processes
    finally:
        processes.stop_all()


def book_upcoming_days(customer, spa) -> int:
    """Book both technicians at 10:00 on each of the next days (from the real clock, so the
    workers see them as upcoming); return how many bookings."""
    zone = get_settings().zone
    today = clock_now().astimezone(zone).date()
    count = 0
    for offset in range(3, 3 + BOOKING_DAYS):
        start = datetime.combine(today + timedelta(days=offset), time(10), tzinfo=zone)
        for technician in ("ana", "ben"):
            create_booking(
                customer=customer,
                service="swedish",
                start=start,
                technician=technician,
                enforce_booking_window=False,
                # Two at once for one customer: the second is for a companion.
                guest_name="" if technician == "ana" else "Companion",
            )
            count += 1
    return count


def wait_until_all_done(expected_rows: int) -> None:
    deadline = clock.monotonic() + TIMEOUT_SECONDS
    while OutboxMessage.objects.filter(status=OutboxStatus.DONE).count() < expected_rows:
        assert clock.monotonic() < deadline, list(
            OutboxMessage.objects.exclude(status=OutboxStatus.DONE).values_list(
                "pk", "status", "attempts", "last_error"
            )
        )
        clock.sleep(0.2)


def test_two_workers_and_beat_send_every_due_reminder_exactly_once(spa, celery):
    # Given 20 upcoming bookings whose confirmations and reminders are all due at once.
    customer = make_customer("racer@example.com")
    bookings = book_upcoming_days(customer, spa)
    rows = OutboxMessage.objects.count()
    assert rows == bookings * 5  # confirmation, 24 h email, 1 h email + push, 15 min push
    OutboxMessage.objects.update(available_at=clock_now() - timedelta(seconds=1))

    # When beat keeps ticking and both workers also get reminder runs at the same moment.
    for _ in range(4):
        tasks.send_due_reminders.apply_async(connection=celery.broker)
        tasks.dispatch_outbox.apply_async(connection=celery.broker)
    wait_until_all_done(rows)
    clock.sleep(2)  # beat keeps dispatching: anything sent twice would show up now

    # Then each row ran once, and each email reached the mail server once.
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(OutboxStatus.DONE, 1)}
    assert OutboxAttempt.objects.count() == rows
    assert OutboxAttempt.objects.filter(succeeded=True).count() == rows
    emails = bookings * 3
    assert celery.server.inbox.count() == emails
    message_ids = {message["Message-ID"] for message in celery.server.inbox.messages}
    assert len(message_ids) == emails
    assert EmailLog.objects.filter(status=DeliveryStatus.SENT).count() == emails
    assert EmailLog.objects.exclude(status=DeliveryStatus.SENT).count() == 0
    assert NotificationLog.objects.filter(status=DeliveryStatus.SENT).count() == bookings * 2
    # And the race was real: both workers sent some of them.
    for name in ("w1", "w2"):
        handled = sum(int(count) for count in SUCCEEDED.findall(celery.log(name)))
        assert handled > 0, f"{name} handled nothing:\n{celery.log(name)}"
    assert "notifications.dispatch_outbox" in celery.log("beat")
