"""Celery tasks of googlesync: thin wrappers over :mod:`coresync.googlesync.jobs`."""

from coresync.celery import app
from coresync.googlesync import jobs


@app.task(name="googlesync.pull_calendars")
def pull_calendars() -> int:
    return jobs.pull_calendars()
