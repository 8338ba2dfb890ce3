"""Celery tasks of notifications and the outbox: thin wrappers over
:mod:`coresync.notifications.jobs`, scheduled by beat (:mod:`coresync.celery`).

Each returns the number of rows/bookings it handled. None takes arguments, so a duplicate
or late beat message is harmless.
"""

from coresync.celery import app
from coresync.notifications import jobs


@app.task(name="notifications.dispatch_outbox")
def dispatch_outbox() -> int:
    return jobs.dispatch_outbox()


@app.task(name="notifications.send_due_reminders")
def send_due_reminders() -> int:
    return jobs.send_due_reminders()


@app.task(name="notifications.send_review_requests")
def send_review_requests() -> int:
    return jobs.send_review_requests()


@app.task(name="notifications.autocomplete_past_bookings")
def autocomplete_past_bookings() -> int:
    return jobs.autocomplete_past_bookings()


@app.task(name="notifications.retry_failed")
def retry_failed() -> int:
    return jobs.retry_failed()


@app.task(name="notifications.cleanup_outbox")
def cleanup_outbox() -> int:
    return jobs.cleanup_outbox()


@app.task(name="notifications.expire_holds")
def expire_holds() -> int:
    return jobs.expire_holds()


@app.task(name="notifications.renew_memberships")
def renew_memberships() -> int:
    return jobs.renew_memberships()
