"""Celery tasks of accounting: thin wrappers over :mod:`coresync.accounting.jobs`."""

from coresync.accounting import jobs
from coresync.celery import app


@app.task(name="accounting.sync_quickbooks")
def sync_quickbooks() -> int:
    return jobs.sync_quickbooks()


@app.task(name="accounting.reconcile_yesterday")
def reconcile_yesterday() -> int:
    return jobs.reconcile_yesterday()
