"""When the periodic jobs run: one list for both runners, Celery beat (:mod:`coresync.celery`)
and the in-process loop of ``manage.py dispatch_outbox``.

This module reads settings only (no models), so the Celery app can build its beat schedule
before Django's apps are loaded.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


@dataclass(frozen=True)
class PeriodicJob:
    """Run ``coresync.notifications.jobs.<job>`` (Celery task ``notifications.<job>``) every
    ``every``; under beat, ``crontab`` (kwargs of ``celery.schedules.crontab``, spa local
    time) replaces the interval when given."""

    name: str
    job: str
    every: timedelta
    crontab: dict | None = None

    @property
    def task_name(self) -> str:
        return f"notifications.{self.job}"


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Return the schedule; the dispatch interval is ``OUTBOX_DISPATCH_INTERVAL_SECONDS``."""
    return (
        PeriodicJob(
            "outbox-dispatch",
            "dispatch_outbox",
            timedelta(seconds=settings.OUTBOX_DISPATCH_INTERVAL_SECONDS),
        ),
        PeriodicJob("due-reminders", "send_due_reminders", timedelta(minutes=1)),
        PeriodicJob("expire-holds", "expire_holds", timedelta(minutes=1)),
        PeriodicJob("review-requests", "send_review_requests", timedelta(minutes=15)),
        PeriodicJob("membership-renewals", "renew_memberships", timedelta(minutes=15)),
        PeriodicJob("outbox-retry-failed", "retry_failed", timedelta(minutes=5)),
        PeriodicJob(
            "autocomplete-past-bookings",
            "autocomplete_past_bookings",
            timedelta(hours=1),
            crontab={"minute": "7"},
        ),
        PeriodicJob(
            "outbox-cleanup",
            "cleanup_outbox",
            timedelta(days=1),
            crontab={"hour": "3", "minute": "30"},
        ),
    )


def beat_schedule() -> dict[str, dict]:
    """Return the jobs as Celery's ``beat_schedule``. A tick no worker picked up before the
    next one is due expires: the next tick does the same work."""
    from celery.schedules import crontab

    schedule = {}
    for job in periodic_jobs():
        seconds = job.every.total_seconds()
        schedule[job.name] = {
            "task": job.task_name,
            "schedule": crontab(**job.crontab) if job.crontab else seconds,
            "options": {"expires": 3600.0 if job.crontab else max(seconds, 30.0)},
        }
    return schedule
