"""The periodic jobs of googlesync (collected by :mod:`coresync.core.periodic`)."""

from datetime import timedelta

from django.conf import settings

from coresync.core.periodic import PeriodicJob


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Poll the linked calendars every ``GOOGLE_CALENDAR_POLL_MINUTES`` (a push channel,
    when configured, only makes a pull happen sooner)."""
    return (
        PeriodicJob(
            "google-calendar-pull",
            "coresync.googlesync.jobs.pull_calendars",
            timedelta(minutes=settings.GOOGLE_CALENDAR_POLL_MINUTES),
        ),
    )
