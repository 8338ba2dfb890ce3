"""The periodic-job registry: every app's ``schedule.py`` is collected, names are unique,
every job's function and Celery task exist."""

import pytest

from coresync.core import periodic
from coresync.core.periodic import PeriodicJob


def test_every_job_has_a_function_and_a_celery_task():
    from coresync.celery import app

    app.loader.import_default_modules()  # what a worker does at start: each app's tasks.py
    jobs = periodic.periodic_jobs()

    assert {job.name for job in jobs} >= {"outbox-dispatch", "expire-holds"}
    for job in jobs:
        assert callable(job.function()), job.path
        assert job.task_name in app.tasks, job.task_name


def test_a_job_named_twice_is_refused(monkeypatch):
    twice = (
        PeriodicJob("same", "coresync.notifications.jobs.dispatch_outbox", periodic.timedelta(1)),
        PeriodicJob("same", "coresync.notifications.jobs.retry_failed", periodic.timedelta(1)),
    )

    class Module:
        @staticmethod
        def periodic_jobs():
            return twice

    monkeypatch.setattr(periodic, "import_module", lambda name: Module)

    with pytest.raises(ValueError, match="same"):
        periodic.periodic_jobs()
