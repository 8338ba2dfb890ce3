"""The periodic jobs of accounting (collected by :mod:`coresync.core.periodic`)."""

from datetime import timedelta

from coresync.core.periodic import PeriodicJob

JOBS = "coresync.accounting.jobs"


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """The hourly QuickBooks batch and the nightly reconciliation (02:15 spa time)."""
    return (
        PeriodicJob(
            "quickbooks-sync",
            f"{JOBS}.sync_quickbooks",
            timedelta(hours=1),
            crontab={"minute": "5"},
        ),
        PeriodicJob(
            "quickbooks-reconcile",
            f"{JOBS}.reconcile_yesterday",
            timedelta(days=1),
            crontab={"hour": "2", "minute": "15"},
        ),
    )
