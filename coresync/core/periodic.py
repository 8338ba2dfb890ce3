"""The periodic-job registry: each app lists its own jobs in its ``schedule.py`` (a function
``periodic_jobs()`` returning :class:`PeriodicJob` rows), and both runners — Celery beat
(:mod:`coresync.celery`) and the in-process loop of ``manage.py dispatch_outbox`` — read them
all from here, as Django's admin discovers each app's ``admin.py``.

This module and every ``schedule.py`` read settings only (no models), so the Celery app can
build its beat schedule before Django's apps are loaded. A job's function is found by its
dotted path (:attr:`PeriodicJob.path`) and its Celery task is ``<app>.<function>``, defined in
the app's ``tasks.py``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PeriodicJob:
    """Run the function at ``path`` (``coresync.<app>.jobs.<function>``) every ``every``;
    under beat, ``crontab`` (kwargs of ``celery.schedules.crontab``, spa local time)
    replaces the interval when given. The function returns how many rows it handled and is
    safe to run twice at once or to miss a tick."""

    name: str
    path: str
    every: timedelta
    crontab: dict | None = None

    @property
    def app(self) -> str:
        return self.path.split(".")[1]

    @property
    def function_name(self) -> str:
        return self.path.rsplit(".", 1)[1]

    @property
    def task_name(self) -> str:
        """The Celery task that runs it: ``<app>.<function>``."""
        return f"{self.app}.{self.function_name}"

    def function(self) -> Callable[[], int]:
        return import_string(self.path)


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Return the jobs of every installed CoreSync app, in ``INSTALLED_APPS`` order.

    Raises:
        ValueError: two jobs share a name.
    """
    jobs: list[PeriodicJob] = []
    for app in settings.INSTALLED_APPS:
        if not app.startswith("coresync.") or find_spec(f"{app}.schedule") is None:
            continue
        jobs.extend(import_module(f"{app}.schedule").periodic_jobs())
    names = [job.name for job in jobs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Periodic jobs named twice: {', '.join(duplicates)}")
    return tuple(jobs)


def beat_schedule() -> dict[str, dict]:
    """Return the jobs as Celery's ``beat_schedule``. A tick no worker picked up before the
    next one is due expires: the next tick does the same work."""
    from celery.schedules import crontab

    schedule = {}
    for job in periodic_jobs():
        seconds = job.every.total_seconds()
        schedule[job.name] = {
            "task": job.task_name,
            "schedule": crontab(**job.crontab) if job.crontab else seconds,
            "options": {"expires": 3600.0 if job.crontab else max(seconds, 30.0)},
        }
    return schedule
