"""The periodic jobs of notifications and the outbox, run by Celery beat through
:mod:`coresync.notifications.tasks` or in-process by ``manage.py dispatch_outbox``; when each
runs is :mod:`coresync.notifications.schedule`.

Every job is safe to run twice at once or to miss a tick: the outbox claim skips rows
another worker holds, and every other job is idempotent.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection

from coresync.bookings import services as bookings_services
from coresync.notifications import outbox, services
from coresync.notifications.delivery import TOPIC_BY_CHANNEL, TOPIC_EMAIL
from coresync.notifications.schedule import periodic_jobs

logger = logging.getLogger(__name__)

DRAIN_SECONDS = 45.0
"""A dispatch run keeps claiming batches for at most this long, then leaves the rest to the
next tick (so runs do not pile up behind one another)."""


def drain(*, retries_only: bool = False, topics=None, max_seconds: float = DRAIN_SECONDS) -> int:
    """Dispatch due outbox rows batch after batch until none is left or ``max_seconds`` have
    passed; return how many rows were run."""
    limit = settings.OUTBOX_BATCH_SIZE
    deadline = time.monotonic() + max_seconds
    total = 0
    while True:
        count = outbox.dispatch_due(limit=limit, retries_only=retries_only, topics=topics)
        total += count
        if count < limit or time.monotonic() >= deadline:
            return total


def dispatch_outbox() -> int:
    """Run every due outbox row (all topics)."""
    return drain()


def send_due_reminders() -> int:
    """Write any missing reminder rows, then send the due notifications."""
    services.schedule_due_reminders()
    return drain(topics=list(TOPIC_BY_CHANNEL.values()))


def send_review_requests() -> int:
    """Write any missing review requests, then send the due emails."""
    services.schedule_review_requests()
    return drain(topics=[TOPIC_EMAIL])


def autocomplete_past_bookings() -> int:
    """Complete bookings that ended more than an hour ago."""
    return services.autocomplete_past_bookings()


def retry_failed() -> int:
    """Run failed rows whose retry time has come, and rows whose worker died."""
    return drain(retries_only=True)


def cleanup_outbox() -> int:
    """Delete done and cancelled outbox rows older than ``OUTBOX_RETENTION_DAYS``."""
    return outbox.purge_finished()


def expire_holds() -> int:
    """Expire pending bookings whose payment hold ran out."""
    return bookings_services.expire_holds()


_registered_jobs: dict = {}


def register_job(name: str, function: Callable[[], int]) -> None:
    """Let a higher app give a periodic job of :mod:`coresync.notifications.schedule` its
    function (payments: ``renew_memberships``), as notifications may not import it."""
    _registered_jobs[name] = function


def renew_memberships() -> int:
    """Write due membership renewals and their charge jobs
    (:func:`coresync.payments.memberships.schedule_due_renewals`), then run the due jobs."""
    function = _registered_jobs.get("renew_memberships")
    count = function() if function is not None else 0
    drain(topics=["payments.renew_membership"])
    return count


def run_forever(
    *,
    interval: float = 5.0,
    periodic: bool = True,
    stop: threading.Event | None = None,
    report: Callable[[str, int], None] | None = None,
) -> None:
    """Dispatch the outbox every ``interval`` seconds and, with ``periodic``, run the other
    jobs of :func:`~coresync.notifications.schedule.periodic_jobs` on their intervals, until
    ``stop`` is set. A failing run is logged and the loop goes on.

    This is the broker-less runner: ``manage.py dispatch_outbox`` calls it, and a demo
    process can run it in a daemon thread. ``report(name, count)`` is told of each run that
    handled something.
    """
    stop = stop or threading.Event()
    schedule = [job for job in periodic_jobs() if job.job != "dispatch_outbox"] if periodic else []
    next_run = {job.name: time.monotonic() for job in schedule}
    while not stop.is_set():
        _drop_stale_connections()
        _run_safely("outbox-dispatch", dispatch_outbox, report)
        for job in schedule:
            if time.monotonic() >= next_run[job.name]:
                _run_safely(job.name, globals()[job.job], report)
                next_run[job.name] = time.monotonic() + job.every.total_seconds()
        stop.wait(interval)
    _drop_stale_connections()


def _drop_stale_connections() -> None:
    """Close database connections that are broken or past ``CONN_MAX_AGE``, as Django does
    between requests — unless a caller's transaction is open (a test, an embedding process)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _run_safely(name: str, function: Callable[[], int], report) -> None:
    try:
        count = function()
    except Exception:
        logger.exception("Periodic job %s failed", name)
        return
    if count and report is not None:
        report(name, count)
