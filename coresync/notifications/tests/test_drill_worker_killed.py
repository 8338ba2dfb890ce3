"""Fault drill: an outbox worker is killed in the middle of sending an email
(docs/fault-drills.md).

A real worker process (``manage.py dispatch_outbox``) claims a booking confirmation and
starts sending it to a real SMTP server (aiosmtpd on loopback) that holds its answer to
DATA; while it waits, the worker is SIGKILLed — no cleanup, no ``finally``. The SMTP server
never answered 250, so nothing was delivered. A restarted worker must then:

- leave the row alone while the first worker's lease still runs (a worker that is slow is not
  known to be dead), and claim it once the lease has run out;
- deliver the email exactly once (counted by the SMTP server);
- record both attempts: the lost one (``WorkerLost``) and the one that succeeded.

PostgreSQL only: the worker is another process, which reaches this test's database through
``DATABASE_URL`` (pytest's SQLite test database lives in this process's memory).
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from coresync.bookings.services import create_booking
from coresync.notifications.models import DeliveryStatus, EmailLog, OutboxMessage, OutboxStatus
from coresync.notifications.outbox import LOST_ATTEMPT_ERROR
from coresync.notifications.tests.conftest import free_port
from coresync.spa.selectors import get_settings

pytestmark = [
    pytest.mark.drill,
    pytest.mark.postgresql,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker process shares the test database",
    ),
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(django_settings.BASE_DIR)
# Longer than a worker takes to start (even on a loaded machine), so that the second worker
# runs while the first one's lease does; the outcome does not depend on it.
LEASE_SECONDS = 8
WAIT_SECONDS = 60  # a loaded CI machine starts Django slowly


class HoldingInbox:
    """An SMTP handler that, while ``holding``, never answers DATA (the client waits for its
    250); released, it accepts at once. Counts what it accepted, and when."""

    def __init__(self) -> None:
        self.holding = True
        self.data_started = threading.Event()
        self.data_sessions = 0
        self.accepted: list[tuple[datetime, str, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.data_sessions += 1
        self.data_started.set()
        while self.holding:
            # Cancelled when the client's connection drops: the message is not accepted.
            await asyncio.sleep(0.05)
        subject = message_from_bytes(envelope.original_content, policy=policy.default)["Subject"]
        with self._lock:
            self.accepted.append((timezone.now(), ",".join(envelope.rcpt_tos), subject))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self._lock:
            return len(self.accepted)


@pytest.fixture
def smtp_inbox():
    """A HoldingInbox behind a real SMTP server on a free loopback port; yields
    ``(inbox, port)``."""
    inbox = HoldingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    inbox.holding = False
    controller.stop()


def database_url() -> str:
    """Return a ``DATABASE_URL`` naming the test database."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(smtp_inbox, tmp_path):
    """Return ``start(*arguments)``: a ``manage.py dispatch_outbox`` process against this
    test's database and SMTP server, with a lease of ``LEASE_SECONDS``; all are killed
    after the test."""
    _, port = smtp_inbox
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coresync.settings",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "ANYMAIL_ESP": "",
        "EMAIL_TIMEOUT": str(WAIT_SECONDS),
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    processes: list[subprocess.Popen] = []

    def start(*arguments: str) -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(processes) + 1}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "dispatch_outbox", "--skip-checks", *arguments],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    start.log = lambda number: (tmp_path / f"worker-{number}.log").read_text()
    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_worker_killed_mid_send_is_replaced_and_the_email_goes_out_once(
    spa, customer, smtp_inbox, start_worker
):
    inbox, _ = smtp_inbox
    # Given a booking whose confirmation is due now (real clock: the worker reads it)
    zone = get_settings().zone
    day = timezone.now().astimezone(zone).date() + timedelta(days=3)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
    create_booking(customer=customer, service="swedish", start=start, enforce_booking_window=False)
    confirmation = OutboxMessage.objects.get(dedupe_key__endswith=":confirmation")

    # When a worker is SIGKILLed while the SMTP server holds its answer to DATA, with a
    # second worker already running next to it
    doomed = start_worker("--once")
    wait_for(inbox.data_started.is_set, "the first worker to send DATA")
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (OutboxStatus.PROCESSING, 1)
    lease_ended_at = confirmation.locked_until  # the first worker's lease
    replacement = start_worker("--interval", "0.2", "--no-periodic")
    wait_for(lambda: "Dispatching the outbox" in start_worker.log(2), "the second worker")
    time.sleep(0.5)  # a few of its dispatch rounds while the first one holds the lease
    if timezone.now() < lease_ended_at:  # false only if the machine took 8 s to start it
        # The second worker has left the row alone: a slow worker is not known to be dead.
        confirmation.refresh_from_db()
        assert confirmation.attempts == 1
    doomed.send_signal(signal.SIGKILL)
    assert doomed.wait(timeout=10) == -signal.SIGKILL

    # Then nothing was delivered, and the row is not done
    assert inbox.count() == 0
    confirmation.refresh_from_db()
    assert confirmation.status == OutboxStatus.PROCESSING
    assert not EmailLog.objects.exists()

    # When the mail server answers at once again, the second worker takes the row over
    inbox.holding = False
    wait_for(lambda: inbox.count() >= 1, "the email to be delivered")
    time.sleep(1)  # five more dispatch rounds: nothing more may go out
    replacement.terminate()
    replacement.wait(timeout=10)

    # Then the email went out once, sent only after the dead worker's lease ran out
    [(accepted_at, recipients, subject)] = inbox.accepted
    assert inbox.data_sessions == 2
    assert accepted_at >= lease_ended_at
    assert recipients == customer.email
    assert subject.startswith("Confirmed: Swedish Massage on ")
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == (OutboxStatus.DONE, 2)
    # and both attempts are on record: the lost one and the one that succeeded.
    assert list(confirmation.runs.values_list("number", "succeeded", "error")) == [
        (1, False, LOST_ATTEMPT_ERROR),
        (2, True, ""),
    ]
    assert list(EmailLog.objects.values_list("outbox_message_id", "status")) == [
        (confirmation.pk, DeliveryStatus.SENT)
    ]
