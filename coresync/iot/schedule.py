"""The smart rooms' periodic jobs (collected by :mod:`coresync.core.periodic`; functions in
:mod:`coresync.iot.jobs`, Celery tasks in :mod:`coresync.iot.tasks`)."""

from datetime import timedelta

from coresync.core.periodic import PeriodicJob


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Plan upcoming scenes every 5 minutes; purge old sensor readings nightly at 03:45."""
    return (
        PeriodicJob(
            "iot-plan-scenes", "coresync.iot.jobs.plan_upcoming_scenes", timedelta(minutes=5)
        ),
        PeriodicJob(
            "iot-purge-readings",
            "coresync.iot.jobs.purge_sensor_readings",
            timedelta(days=1),
            crontab={"hour": "3", "minute": "45"},
        ),
    )
