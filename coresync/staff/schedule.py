"""The staff side's periodic jobs (collected by :mod:`coresync.core.periodic`; Celery tasks in
:mod:`coresync.staff.tasks`)."""

from datetime import timedelta

from coresync.core.periodic import PeriodicJob


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Close the pay periods that ended and email their export (hourly, at :20)."""
    return (
        PeriodicJob(
            "payroll-close",
            "coresync.staff.jobs.close_pay_periods",
            timedelta(hours=1),
            crontab={"minute": "20"},
        ),
    )
