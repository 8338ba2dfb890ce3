"""Scenes over a real Mosquitto with simulated devices (docs/smart-rooms.md): a booking's
start publishes the right payload once, a cancelled booking publishes nothing, a device that
never answers is logged as timed out, two workers publish once (PostgreSQL)."""

import json
import threading
import time
import uuid
from datetime import UTC, timedelta

import pytest
from django.db import OperationalError, connection, connections

from conftest import local
from coresync.bookings.services import cancel_booking, create_booking, reschedule_booking
from coresync.iot.jobs import listen_for_readings
from coresync.iot.models import CommandPurpose, CommandStatus, Device, DeviceCommand, SensorReading
from coresync.iot.services import SCENE_TOPIC
from coresync.iot.tests.conftest import SimulatedDevice
from coresync.notifications.models import OutboxMessage, OutboxStatus
from coresync.notifications.outbox import dispatch_due
from racing import run_together

START = local(2026, 12, 2, 10, 0)
PREFERENCES = {"scene": "venice", "temperature": "warm", "music": "jazz", "pressure": "firm"}


def book(spa, customer, start=START):
    return create_booking(
        customer=customer,
        service="swedish",
        start=start,
        duration_minutes=60,
        technician=spa.ana,
        room=spa.suite,
        preferences=PREFERENCES,
    )


def wait_for(condition, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not _holds(condition) and time.monotonic() < deadline:
        time.sleep(0.02)


def _holds(condition) -> bool:
    """``condition()``; on SQLite a read while another thread writes the same table may
    find it locked ("database table is locked"): that is "not yet", and is asked again."""
    try:
        return bool(condition())
    except OperationalError:
        return False


def test_a_booking_start_publishes_the_guests_scene_once(
    spa, customer, suite_devices, simulated, frozen_now
):
    lights = simulated(suite_devices["lights"])
    audio = simulated(suite_devices["audio"])
    climate = simulated(suite_devices["climate"])
    booking = book(spa, customer)

    assert dispatch_due(now=START - timedelta(minutes=6), topics=[SCENE_TOPIC]) == 0
    assert dispatch_due(now=START - timedelta(minutes=5), topics=[SCENE_TOPIC]) == 1
    dispatch_due(now=START - timedelta(minutes=4), topics=[SCENE_TOPIC])

    wait_for(lambda: lights.commands and audio.commands and climate.commands)
    assert [c["scene"] for c in lights.commands] == ["venice"]
    assert lights.commands[0]["settings"] == {
        "power": "on",
        "color": "#ffc77a",
        "brightness": 55,
    }
    assert audio.commands[0]["settings"] == {
        "power": "on",
        "playlist": "jazz",
        "volume": 20,
    }
    assert climate.commands[0]["settings"] == {"target_celsius": 24.5}
    assert len(audio.commands) == len(climate.commands) == 1
    assert lights.retained_flags == [False] and lights.qos == [1]
    commands = DeviceCommand.objects.filter(booking=booking).order_by("device__kind")
    assert [(c.device.kind, c.purpose, c.status) for c in commands] == [
        ("audio", CommandPurpose.BOOKING_START, CommandStatus.CONFIRMED),
        ("climate", CommandPurpose.BOOKING_START, CommandStatus.CONFIRMED),
        ("lights", CommandPurpose.BOOKING_START, CommandStatus.CONFIRMED),
    ]
    assert all(c.sent_at and c.confirmed_at and c.provider == "mqtt" for c in commands)
    assert commands[2].device_state["command"] == str(commands[2].command_id)


def test_the_room_returns_to_idle_after_the_booking_and_its_buffer(
    spa, customer, suite_devices, simulated, frozen_now
):
    lights, *_others = [simulated(device) for device in suite_devices.values()]
    book(spa, customer)
    dispatch_due(now=START - timedelta(minutes=5), topics=[SCENE_TOPIC])
    end_and_buffer = START + timedelta(minutes=60 + 15)

    assert dispatch_due(now=end_and_buffer - timedelta(seconds=1), topics=[SCENE_TOPIC]) == 0
    assert dispatch_due(now=end_and_buffer, topics=[SCENE_TOPIC]) == 1

    wait_for(lambda: len(lights.commands) == 2)
    assert [c["scene"] for c in lights.commands] == ["venice", "idle"]


def test_a_cancelled_booking_publishes_nothing(spa, customer, suite_devices, simulated, frozen_now):
    lights = simulated(suite_devices["lights"])
    booking = book(spa, customer)

    cancel_booking(booking, actor=customer)
    ran = dispatch_due(now=START + timedelta(hours=3), topics=[SCENE_TOPIC])

    time.sleep(0.5)  # a command would have arrived by now
    assert ran == 0
    assert lights.commands == []
    assert DeviceCommand.objects.count() == 0
    assert set(
        OutboxMessage.objects.filter(topic=SCENE_TOPIC).values_list("status", flat=True)
    ) == {OutboxStatus.CANCELLED}


def test_a_reschedule_plays_the_scene_at_the_new_start_only(
    spa, customer, suite_devices, simulated, frozen_now
):
    lights, *_others = [simulated(device) for device in suite_devices.values()]
    booking = book(spa, customer)
    new_start = START + timedelta(hours=3)

    reschedule_booking(booking, start=new_start, actor=customer)
    assert dispatch_due(now=START - timedelta(minutes=5), topics=[SCENE_TOPIC]) == 0
    assert dispatch_due(now=new_start - timedelta(minutes=5), topics=[SCENE_TOPIC]) == 1

    wait_for(lambda: lights.commands)
    assert [c["scene"] for c in lights.commands] == ["venice"]
    assert DeviceCommand.objects.get(device=suite_devices["lights"]).key.endswith(
        f"{new_start.astimezone(UTC).isoformat()}:start:suite-a-lights"
    )


def test_a_device_that_never_answers_is_logged_as_timed_out(
    spa, customer, suite_devices, simulated, frozen_now
):
    simulated(suite_devices["lights"])
    simulated(suite_devices["audio"], silent=True)
    simulated(suite_devices["climate"])
    booking = book(spa, customer)

    dispatch_due(now=START - timedelta(minutes=5), topics=[SCENE_TOPIC])

    statuses = dict(
        DeviceCommand.objects.filter(booking=booking).values_list("device__kind", "status")
    )
    assert statuses == {
        "lights": CommandStatus.CONFIRMED,
        "audio": CommandStatus.TIMED_OUT,
        "climate": CommandStatus.CONFIRMED,
    }
    audio = DeviceCommand.objects.get(booking=booking, device__kind="audio")
    assert audio.sent_at is not None and audio.confirmed_at is None
    assert audio.error == "No state echo within 2.0 s."
    # A timed-out command was published: the outbox row is done and is not sent again.
    assert OutboxMessage.objects.get(dedupe_key__endswith=":start").status == OutboxStatus.DONE


def test_an_unreachable_broker_leaves_the_command_to_be_retried(
    spa, customer, suite_devices, settings, frozen_now
):
    settings.MQTT_URL = "mqtt://127.0.0.1:9"  # nothing listens on the discard port
    book(spa, customer)

    dispatch_due(now=START - timedelta(minutes=5), topics=[SCENE_TOPIC])

    row = OutboxMessage.objects.get(dedupe_key__endswith=":start")
    assert row.status == OutboxStatus.FAILED
    assert "ConnectionError" in row.last_error
    assert set(DeviceCommand.objects.values_list("status", flat=True)) == {CommandStatus.REQUESTED}


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL SKIP LOCKED")
@pytest.mark.django_db(transaction=True)
def test_two_workers_publish_a_booking_start_once(
    spa, customer, suite_devices, simulated, frozen_now
):
    lights = simulated(suite_devices["lights"])
    audio = simulated(suite_devices["audio"])
    booking = book(spa, customer)
    due = START - timedelta(minutes=4)

    ran = run_together(2, lambda index: dispatch_due(now=due, topics=[SCENE_TOPIC]))

    assert sorted(ran) == [0, 1]
    time.sleep(0.5)  # a second publication would have arrived by now
    assert len(lights.commands) == 1
    assert len(audio.commands) == 1
    assert DeviceCommand.objects.filter(booking=booking).count() == 3


@pytest.mark.django_db(transaction=True)
def test_sensor_readings_are_subscribed_and_kept(spa, mqtt_on):
    sensor = Device.objects.create(
        room=spa.suite,
        slug="suite-a-sensor",
        name="Sensor",
        kind="sensor",
        topic=f"test/{uuid.uuid4().hex[:8]}/suite-a/sensor",
    )
    stop = threading.Event()

    def listen() -> None:
        try:
            listen_for_readings(stop)
        finally:
            connections.close_all()

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        device = SimulatedDevice(mqtt_on, sensor.topic)
        # The listener may still be subscribing: publish until the reading lands.
        wait_for(
            lambda: (
                device.client.publish(
                    sensor.reading_topic, json.dumps({"temperature": 21.5, "humidity": 40}), qos=1
                )
                and SensorReading.objects.exists()
            ),
            seconds=5,
        )
        device.stop()
    finally:
        stop.set()
        listener.join(timeout=10)

    kinds = set(SensorReading.objects.filter(device=sensor).values_list("kind", "value"))
    assert kinds == {("temperature", 21.5), ("humidity", 40.0)}
