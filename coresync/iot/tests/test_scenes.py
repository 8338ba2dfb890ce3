"""Smart rooms without a broker (the log-only default): planning, manual scenes from the
desk, preferences onto devices, sensor readings and their retention."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from conftest import local
from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role
from coresync.bookings.services import cancel_booking, create_booking
from coresync.core.errors import Forbidden
from coresync.iot.jobs import plan_upcoming_scenes, purge_sensor_readings
from coresync.iot.models import CommandStatus, Device, DeviceCommand, SensorReading
from coresync.iot.scenes import device_settings
from coresync.iot.services import SCENE_TOPIC, record_reading, trigger_scene
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import dispatch_due

START = local(2026, 12, 2, 10, 0)


@pytest.fixture
def desk(db):
    user = User.objects.create_user(email="desk@example.com", password="pass-word-123", name="D")
    return set_role(user, Role.FRONT_DESK)


@pytest.fixture
def lights(spa):
    return Device.objects.create(
        room=spa.suite,
        slug="suite-a-lights",
        name="Suite A lights",
        kind="lights",
        topic="spa/suite-a/lights",
    )


def test_preferences_refine_the_scene_for_each_device():
    scene = {
        "audio": {"power": "on", "playlist": "alpine", "volume": 25},
        "scent": {"power": "on", "scent": "pine"},
        "lights": {"brightness": 70},
    }
    quiet = {"music": "silence", "aromatherapy": "none", "temperature": "cool"}

    assert device_settings("audio", scene, quiet) == {"power": "off"}
    assert device_settings("scent", scene, quiet) == {"power": "off"}
    assert device_settings("climate", scene, quiet) == {"target_celsius": 20.0}
    assert device_settings("lights", scene, quiet) == {"brightness": 70}
    assert device_settings("scent", scene, {"aromatherapy": "lavender"}) == {
        "power": "on",
        "scent": "lavender",
    }
    assert device_settings("mirror", scene, {}) == {}


def test_a_room_without_devices_gets_no_scene_rows(spa, customer, frozen_now):
    create_booking(customer=customer, service="swedish", start=START, room=spa.suite)

    assert OutboxMessage.objects.filter(topic=SCENE_TOPIC).count() == 0


def test_the_planner_catches_bookings_made_before_the_devices_once(spa, customer, frozen_now):
    booking = create_booking(customer=customer, service="swedish", start=START, room=spa.suite)
    Device.objects.create(
        room=spa.suite, slug="suite-a-lights", name="Lights", kind="lights", topic="spa/a/l"
    )

    first = plan_upcoming_scenes(now=frozen_now + timedelta(hours=8))
    second = plan_upcoming_scenes(now=frozen_now + timedelta(hours=8))
    beyond = plan_upcoming_scenes(now=frozen_now - timedelta(hours=2))

    assert (first, second, beyond) == (1, 1, 0)
    rows = OutboxMessage.objects.filter(topic=SCENE_TOPIC).order_by("available_at")
    assert [(row.payload["purpose"], row.available_at) for row in rows] == [
        ("booking_start", START - timedelta(minutes=5)),
        ("idle", booking.end + timedelta(minutes=15)),
    ]


def test_the_desk_plays_a_scene_by_hand_and_every_command_is_logged(spa, desk, lights, frozen_now):
    client = Client()
    client.force_login(desk)

    response = client.post("/desk/rooms/suite-a/scene/", {"scene": "kyoto"})
    dispatch_due(topics=[SCENE_TOPIC])

    assert response.status_code == 302 and response["Location"] == "/desk/rooms/"
    command = DeviceCommand.objects.get()
    assert (command.device, command.scene.slug, command.purpose, command.actor) == (
        lights,
        "kyoto",
        "manual",
        desk,
    )
    assert command.status == CommandStatus.SENT  # log only: no echo is expected
    assert command.provider == "log"
    page = client.get("/desk/rooms/")
    assert page.status_code == 200
    assert "Kyoto garden (Manual)" in page.content.decode()


def test_an_unknown_scene_is_refused_and_nothing_is_planned(spa, desk, lights):
    client = Client()
    client.force_login(desk)

    response = client.post("/desk/rooms/suite-a/scene/", {"scene": "mars"}, follow=True)

    assert "This scene does not exist." in response.content.decode()
    assert OutboxMessage.objects.filter(topic=SCENE_TOPIC).count() == 0


def test_only_staff_play_scenes(spa, customer, lights):
    client = Client()
    client.force_login(customer)

    assert client.get("/desk/rooms/").status_code == 404
    assert client.post("/desk/rooms/suite-a/scene/", {"scene": "kyoto"}).status_code == 404
    with pytest.raises(Forbidden):
        trigger_scene(spa.suite, "kyoto", actor=customer)
    assert OutboxMessage.objects.filter(topic=SCENE_TOPIC).count() == 0


def test_readings_are_kept_for_the_retention_period(spa, settings, frozen_now):
    settings.IOT_SENSOR_RETENTION_DAYS = 30
    sensor = Device.objects.create(
        room=spa.suite, slug="suite-a-sensor", name="Sensor", kind="sensor", topic="spa/a/s"
    )
    record_reading(sensor, {"temperature": 22.5, "occupancy": True, "noise": 3}, frozen_now)
    record_reading(sensor, {"humidity": 41}, frozen_now - timedelta(days=30, seconds=1))

    purged = purge_sensor_readings(now=frozen_now)

    assert purged == 1
    assert sorted(SensorReading.objects.values_list("kind", "value")) == [
        ("occupancy", 1.0),
        ("temperature", 22.5),
    ]


def test_a_cancellation_after_the_scene_played_sends_the_room_back_to_idle(
    spa, customer, lights, frozen_now
):
    booking = create_booking(customer=customer, service="swedish", start=START, room=spa.suite)
    dispatch_due(now=START - timedelta(minutes=5), topics=[SCENE_TOPIC])

    with time_machine.travel(START - timedelta(minutes=3), tick=False):
        cancel_booking(booking, actor=customer)
        dispatch_due(topics=[SCENE_TOPIC])

    assert list(DeviceCommand.objects.order_by("pk").values_list("purpose", "scene__slug")) == [
        ("booking_start", "swiss-alps"),
        ("idle", "idle"),
    ]
    # The idle row planned for the end was withdrawn: nothing more is due later.
    assert dispatch_due(now=START + timedelta(hours=3), topics=[SCENE_TOPIC]) == 0
