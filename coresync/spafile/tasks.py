"""Celery tasks of the spa file: thin wrappers over :mod:`coresync.spafile.pricing`."""

from coresync.celery import app
from coresync.spafile import pricing


@app.task(name="spafile.sync_pricing_sheet")
def sync_pricing_sheet() -> int:
    return pricing.sync_pricing_sheet()
