"""Celery task of the concierge: the overdue report of :mod:`coresync.concierge.schedule`."""

from coresync.celery import app
from coresync.concierge import services


@app.task(name="concierge.report_overdue_requests")
def report_overdue_requests() -> int:
    return services.report_overdue_requests()
