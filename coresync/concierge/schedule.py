"""The concierge's periodic job (collected by :mod:`coresync.core.periodic`; Celery task in
:mod:`coresync.concierge.tasks`)."""

from datetime import timedelta

from coresync.core.periodic import PeriodicJob


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Report requests past their 24-hour review target to the managers (hourly; each
    manager gets one email a day)."""
    return (
        PeriodicJob(
            "concierge-overdue-report",
            "coresync.concierge.services.report_overdue_requests",
            timedelta(hours=1),
            crontab={"minute": "40"},
        ),
    )
