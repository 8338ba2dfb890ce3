"""``manage.py iot_listen``: keep the sensors' readings (docs/smart-rooms.md)."""

import threading

from django.core.management.base import BaseCommand

from coresync.iot.jobs import listen_for_readings


class Command(BaseCommand):
    help = "Subscribe to the sensors' MQTT readings and store them until interrupted."

    def handle(self, *args, **options) -> None:
        stop = threading.Event()
        try:
            listen_for_readings(stop)
        except KeyboardInterrupt:
            stop.set()
