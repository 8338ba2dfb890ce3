"""Celery tasks of payments: thin wrappers over the jobs of :mod:`coresync.payments.schedule`."""

from coresync.celery import app
from coresync.payments import memberships


@app.task(name="payments.renew_memberships")
def renew_memberships() -> int:
    return memberships.renew_memberships()
