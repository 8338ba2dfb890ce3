"""Work of the smart rooms outside any request.

- ``iot.scene`` (outbox topic): play a booking's scene, the idle scene or a manual scene
  (:func:`coresync.iot.services.send_scene`).
- :func:`plan_upcoming_scenes` (periodic): plan the scenes of confirmed bookings starting in
  the next ``IOT_PLAN_AHEAD_HOURS`` that have none (bookings made before the room got its
  devices, imported ones); idempotent through the rows' keys.
- :func:`purge_sensor_readings` (periodic): drop readings past their retention.
- :func:`listen_for_readings`: the long-running subscriber of ``manage.py iot_listen``.
"""

import json
import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from coresync.bookings.models import Booking
from coresync.core.clock import now as clock_now
from coresync.iot import providers, services
from coresync.iot.models import Device, DeviceKind
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import outbox_handler

logger = logging.getLogger(__name__)


@outbox_handler(services.SCENE_TOPIC)
def send_scene(message: OutboxMessage) -> None:
    """Outbox handler of ``iot.scene``: send the row's commands, once per device."""
    services.send_scene(message)


def plan_upcoming_scenes(now: datetime | None = None) -> int:
    """Plan the scene of every confirmed booking starting within ``IOT_PLAN_AHEAD_HOURS``
    in a room with devices; return how many bookings were looked at. Safe to run twice at
    once: a planned start is never planned again (unique outbox keys)."""
    now = now or clock_now()
    upcoming = (
        Booking.objects.select_related("service")
        .filter(
            status__in=services.SCENE_STATUSES,
            start__gt=now,
            start__lte=now + timedelta(hours=settings.IOT_PLAN_AHEAD_HOURS),
            room__devices__is_active=True,
        )
        .distinct()
    )
    count = 0
    for booking in upcoming:
        with transaction.atomic():
            services.plan_booking_scene(booking, now)
        count += 1
    return count


def purge_sensor_readings(now: datetime | None = None) -> int:
    """Delete readings older than ``IOT_SENSOR_RETENTION_DAYS``; return how many."""
    return services.purge_readings(now or clock_now())


def listen_for_readings(
    stop: threading.Event, provider: providers.DeviceProvider | None = None
) -> None:
    """Subscribe to every sensor's ``<topic>/reading`` and store what arrives until
    ``stop`` is set. A reading is JSON ``{"temperature": 21.5, "humidity": 40,
    "occupancy": 1}``, timed when received (device clocks drift)."""
    provider = provider or providers.get_provider()
    sensors = {
        device.reading_topic: device
        for device in Device.objects.filter(kind=DeviceKind.SENSOR, is_active=True)
    }

    def on_message(topic: str, payload: bytes) -> None:
        device = sensors.get(topic)
        if device is None:
            return
        try:
            values = json.loads(payload)
        except ValueError:
            logger.warning("Unreadable reading on %s: %r", topic, payload[:100])
            return
        if isinstance(values, dict):
            close_old_connections()  # a long-lived process: as Django does per request
            services.record_reading(device, values, timezone.now())

    provider.listen(sensors.keys(), on_message, stop)
