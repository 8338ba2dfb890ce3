"""Smart rooms (SPEC §10, docs/smart-rooms.md): the devices of each room, the scenes they
can play, every command sent to a device and the sensor readings devices report.

A device listens on ``<topic>/set`` (commands, QoS 1, never retained), publishes its state
on ``<topic>/state`` (retained; the state names the command it applied) and, for sensors,
its readings on ``<topic>/reading``.
"""

import uuid

from django.conf import settings
from django.db import models


class DeviceKind(models.TextChoices):
    LIGHTS = "lights", "Lights"
    SCENT = "scent", "Scent diffuser"
    AUDIO = "audio", "Audio"
    CLIMATE = "climate", "Climate"
    MIRROR = "mirror", "Smart mirror"
    SENSOR = "sensor", "Sensor"


class Device(models.Model):
    """One device in a room. ``network`` is the vendor's connection data (``{"host": …,
    "mac": …}``), kept for the technicians; CoreSync talks to the device only through the
    MQTT ``topic``."""

    room = models.ForeignKey("resources.Room", on_delete=models.CASCADE, related_name="devices")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=DeviceKind.choices)
    vendor = models.CharField(max_length=80, blank=True)
    network = models.JSONField(default=dict, blank=True)
    topic = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["room_id", "kind", "slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.room})"

    @property
    def command_topic(self) -> str:
        return f"{self.topic}/set"

    @property
    def state_topic(self) -> str:
        return f"{self.topic}/state"

    @property
    def reading_topic(self) -> str:
        return f"{self.topic}/reading"


class Scene(models.Model):
    """A named set of device settings, ``settings = {device kind: {setting: value}}``, e.g.
    ``{"lights": {"color": "#cfe8ff", "brightness": 60}, "audio": {"playlist": "alpine"}}``.
    The idle scene (``is_idle``) is what a room returns to between guests."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    settings = models.JSONField(default=dict)
    is_idle = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoomSetup(models.Model):
    """A room's own choices: the scene a booking gets when the guest named none, and the
    idle scene (default: the spa's idle scene)."""

    room = models.OneToOneField("resources.Room", on_delete=models.CASCADE, related_name="setup")
    default_scene = models.ForeignKey(
        Scene, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idle_scene = models.ForeignKey(
        Scene, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Setup of {self.room}"


class CommandPurpose(models.TextChoices):
    BOOKING_START = "booking_start", "Booking start"
    IDLE = "idle", "Back to idle"
    MANUAL = "manual", "Manual"


class CommandStatus(models.TextChoices):
    """requested → sent (the broker acknowledged it) → confirmed (the device's state echo
    named it) or timed_out (no echo in ``IOT_CONFIRM_TIMEOUT_SECONDS``); ``failed``: the
    broker never acknowledged it."""

    REQUESTED = "requested", "Requested"
    SENT = "sent", "Sent"
    CONFIRMED = "confirmed", "Confirmed"
    TIMED_OUT = "timed_out", "Timed out"
    FAILED = "failed", "Failed"


FINISHED_COMMAND_STATUSES = (
    CommandStatus.SENT,
    CommandStatus.CONFIRMED,
    CommandStatus.TIMED_OUT,
)
"""A command in one of these was published once: a rerun of its outbox row sends nothing."""


class DeviceCommand(models.Model):
    """The log of one command to one device. ``key`` is unique: the outbox row's key and the
    device (``iot:booking:<id>:<start>:start:<device>``), so a booking start is published
    once per device whatever the number of workers or reruns."""

    key = models.CharField(max_length=255, unique=True)
    command_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    booking = models.ForeignKey(
        "bookings.Booking",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="device_commands",
    )
    scene = models.ForeignKey(
        Scene, null=True, blank=True, on_delete=models.SET_NULL, related_name="commands"
    )
    purpose = models.CharField(max_length=20, choices=CommandPurpose.choices)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=CommandStatus.choices, default=CommandStatus.REQUESTED
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=20, blank=True)
    error = models.CharField(max_length=500, blank=True)
    device_state = models.JSONField(null=True, blank=True)
    requested_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["device", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.device} {self.purpose} ({self.status})"


class ReadingKind(models.TextChoices):
    TEMPERATURE = "temperature", "Temperature (°C)"
    HUMIDITY = "humidity", "Humidity (%)"
    OCCUPANCY = "occupancy", "Occupancy (0/1)"


class SensorReading(models.Model):
    """One value a sensor reported; kept ``IOT_SENSOR_RETENTION_DAYS`` days."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings")
    kind = models.CharField(max_length=20, choices=ReadingKind.choices)
    value = models.FloatField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [
            models.Index(fields=["device", "kind", "-recorded_at"]),
            models.Index(fields=["recorded_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.device} {self.kind}={self.value}"
