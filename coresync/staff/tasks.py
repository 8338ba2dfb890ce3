"""Celery tasks of the staff side: thin wrappers over :mod:`coresync.staff.jobs`, scheduled by
beat (:mod:`coresync.staff.schedule`)."""

from coresync.celery import app
from coresync.staff import jobs


@app.task(name="staff.close_pay_periods")
def close_pay_periods() -> int:
    return jobs.close_pay_periods()
