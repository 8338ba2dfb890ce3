"""The payments app's periodic jobs (collected by :mod:`coresync.core.periodic`; Celery tasks
in :mod:`coresync.payments.tasks`)."""

from datetime import timedelta

from coresync.core.periodic import PeriodicJob


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Membership renewals every 15 minutes (each renewal is written once, by its key)."""
    return (
        PeriodicJob(
            "membership-renewals",
            "coresync.payments.memberships.renew_memberships",
            timedelta(minutes=15),
        ),
    )
