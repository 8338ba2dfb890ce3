"""The Celery application: Redis broker (``CELERY_BROKER_URL``), tasks discovered in each
app's ``tasks.py``, and the beat schedule of every app's periodic jobs
(:mod:`coresync.core.periodic`).

Run in production (exactly one beat, as many workers as needed)::

    celery -A coresync worker --concurrency 4
    celery -A coresync beat

Without a broker, ``python manage.py dispatch_outbox`` runs the same jobs in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coresync.settings")

from coresync.core.periodic import beat_schedule

app = Celery("coresync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = beat_schedule()
