"""The periodic jobs of notifications and the outbox (collected by
:mod:`coresync.core.periodic`; their functions are in :mod:`coresync.notifications.jobs`,
their Celery tasks in :mod:`coresync.notifications.tasks`)."""

from datetime import timedelta

from django.conf import settings

from coresync.core.periodic import PeriodicJob

JOBS = "coresync.notifications.jobs"


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Return the schedule; the dispatch interval is ``OUTBOX_DISPATCH_INTERVAL_SECONDS``."""
    return (
        PeriodicJob(
            "outbox-dispatch",
            f"{JOBS}.dispatch_outbox",
            timedelta(seconds=settings.OUTBOX_DISPATCH_INTERVAL_SECONDS),
        ),
        PeriodicJob("due-reminders", f"{JOBS}.send_due_reminders", timedelta(minutes=1)),
        PeriodicJob("expire-holds", f"{JOBS}.expire_holds", timedelta(minutes=1)),
        PeriodicJob("review-requests", f"{JOBS}.send_review_requests", timedelta(minutes=15)),
        PeriodicJob("outbox-retry-failed", f"{JOBS}.retry_failed", timedelta(minutes=5)),
        PeriodicJob(
            "autocomplete-past-bookings",
            f"{JOBS}.autocomplete_past_bookings",
            timedelta(hours=1),
            crontab={"minute": "7"},
        ),
        PeriodicJob(
            "outbox-cleanup",
            f"{JOBS}.cleanup_outbox",
            timedelta(days=1),
            crontab={"hour": "3", "minute": "30"},
        ),
    )
