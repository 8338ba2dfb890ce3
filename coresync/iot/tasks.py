"""Celery tasks of the smart rooms: thin wrappers over :mod:`coresync.iot.jobs`, scheduled
by beat (:mod:`coresync.iot.schedule`)."""

from coresync.celery import app
from coresync.iot import jobs


@app.task(name="iot.plan_upcoming_scenes")
def plan_upcoming_scenes() -> int:
    return jobs.plan_upcoming_scenes()


@app.task(name="iot.purge_sensor_readings")
def purge_sensor_readings() -> int:
    return jobs.purge_sensor_readings()
