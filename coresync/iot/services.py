"""State changes of the smart rooms (docs/smart-rooms.md).

Planning: a booking's scene is an outbox row (topic :data:`SCENE_TOPIC`) written in the
booking's own transaction by :func:`on_booking_event` — or later by the periodic planner
(:func:`coresync.iot.jobs.plan_upcoming_scenes`) for bookings it missed — due
``IOT_SCENE_LEAD_MINUTES`` before the start, keyed by the booking and its start
(``iot:booking:<id>:<start>:start``), so it is planned once per start; a second row brings
the room back to idle after the end and the buffer. A reschedule withdraws both and plans
the new start; a cancellation withdraws them.

Sending: the outbox dispatcher claims the row (``SKIP LOCKED``: two workers never run one
row together) and calls :func:`send_scene`, which writes one :class:`DeviceCommand` per
device under a unique key in a short transaction, commits, and only then talks to the broker.
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from coresync.accounts.models import STAFF_ROLES
from coresync.bookings import events
from coresync.bookings.models import Booking, BookingStatus
from coresync.core import realtime
from coresync.core.clock import now as clock_now
from coresync.core.errors import Forbidden
from coresync.iot import providers
from coresync.iot.errors import RoomHasNoDevices, SceneNotFound
from coresync.iot.models import (
    FINISHED_COMMAND_STATUSES,
    CommandPurpose,
    CommandStatus,
    Device,
    DeviceCommand,
    ReadingKind,
    Scene,
    SensorReading,
)
from coresync.iot.scenes import DEFAULT_SCENES, command_payload, device_settings
from coresync.iot.selectors import active_devices, booking_scene, idle_scene, room_has_devices
from coresync.notifications.models import OutboxMessage
from coresync.notifications.outbox import cancel_pending, enqueue

logger = logging.getLogger(__name__)

SCENE_TOPIC = "iot.scene"
SCENE_STATUSES = (
    BookingStatus.CONFIRMED,
    BookingStatus.IN_PROGRESS,
    BookingStatus.NEEDS_REASSIGNMENT,
)
"""Bookings in these statuses get their scene; any other status withdraws it."""


def booking_key_prefix(booking: Booking) -> str:
    """Return the start of the outbox keys of every scene row of ``booking``."""
    return f"iot:booking:{booking.pk}:"


def _start_key(booking: Booking) -> str:
    return f"{booking_key_prefix(booking)}{booking.start.isoformat()}:start"


def _idle_key(booking: Booking) -> str:
    return f"{booking_key_prefix(booking)}{booking.start.isoformat()}:idle"


def idle_at(booking: Booking) -> datetime:
    """Return when the room goes back to idle: the end of the service plus its buffer."""
    return booking.end + timedelta(minutes=booking.service.buffer_after)


def plan_booking_scene(booking: Booking, now: datetime) -> bool:
    """Write (or keep) the outbox rows of ``booking``'s scene and of the room's return to
    idle, inside the caller's transaction; return whether the room has devices at all.

    The start row is due ``IOT_SCENE_LEAD_MINUTES`` before the start (at once when that is
    past); planning the same start again writes nothing (the rows' keys are unique).
    """
    if not room_has_devices(booking.room_id):
        return False
    lead = timedelta(minutes=settings.IOT_SCENE_LEAD_MINUTES)
    payload = {"booking": booking.pk, "start": booking.start.isoformat()}
    enqueue(
        SCENE_TOPIC,
        {**payload, "purpose": CommandPurpose.BOOKING_START},
        dedupe_key=_start_key(booking),
        available_at=max(booking.start - lead, now),
    )
    enqueue(
        SCENE_TOPIC,
        {**payload, "purpose": CommandPurpose.IDLE},
        dedupe_key=_idle_key(booking),
        available_at=max(idle_at(booking), now),
    )
    return True


def withdraw_booking_scene(booking: Booking, now: datetime) -> int:
    """Cancel the waiting scene rows of ``booking`` (every start it had), inside the caller's
    transaction; return how many. If its scene was already played (a cancellation in the
    lead minutes), the room is sent back to idle now instead."""
    played = DeviceCommand.objects.filter(
        booking=booking, purpose=CommandPurpose.BOOKING_START
    ).exists()
    withdrawn = cancel_pending(booking_key_prefix(booking))
    if played:
        enqueue(
            SCENE_TOPIC,
            {"booking": booking.pk, "start": booking.start.isoformat(), "purpose": "idle"},
            dedupe_key=f"{booking_key_prefix(booking)}withdrawn:{uuid.uuid4().hex}",
            available_at=now,
        )
    return withdrawn


def on_booking_event(booking: Booking, action: str, data: dict[str, Any]) -> None:
    """Booking subscriber (registered in ``IotConfig.ready``), in the change's transaction:
    plan the scene of a confirmed booking, re-plan it on a reschedule, withdraw it when the
    booking is cancelled, expires or is a no-show."""
    now = clock_now()
    if action in ("booking.created", "booking.confirmed"):
        if booking.status in SCENE_STATUSES:
            plan_booking_scene(booking, now)
    elif action == "booking.rescheduled":
        cancel_pending(booking_key_prefix(booking))
        if booking.status in SCENE_STATUSES:
            plan_booking_scene(booking, now)
    elif action in ("booking.cancelled", "booking.expired", "booking.no_show"):
        withdraw_booking_scene(booking, now)


def register() -> None:
    """Subscribe :func:`on_booking_event` to booking changes (idempotent)."""
    events.subscribe(on_booking_event)


def trigger_scene(room, scene: Scene | str, actor) -> OutboxMessage:
    """Play ``scene`` in ``room`` now, by hand (the desk board's button); return the outbox
    row, which the dispatcher sends within ``OUTBOX_DISPATCH_INTERVAL_SECONDS``.

    Args:
        room: a :class:`~coresync.resources.models.Room`.
        scene: a :class:`Scene` or its slug.
        actor: the staff user pressing the button (recorded on each command).

    Raises:
        Forbidden: ``actor`` is not staff. SceneNotFound: no such scene.
        RoomHasNoDevices: the room has no active device.
    """
    if actor is None or not (actor.is_superuser or actor.role in STAFF_ROLES):
        raise Forbidden()
    if isinstance(scene, str):
        scene = Scene.objects.filter(slug=scene).first()
        if scene is None:
            raise SceneNotFound()
    if not room_has_devices(room.pk):
        raise RoomHasNoDevices()
    with transaction.atomic():
        message = enqueue(
            SCENE_TOPIC,
            {
                "purpose": CommandPurpose.MANUAL,
                "room": room.pk,
                "scene": scene.slug,
                "actor": actor.pk,
            },
            dedupe_key=f"iot:manual:{room.pk}:{uuid.uuid4().hex}",
        )
    logger.info("Scene %s asked for room %s by user %s.", scene.slug, room.pk, actor.pk)
    return message


def _scene_commands(message: OutboxMessage, now: datetime) -> list[DeviceCommand]:
    """Resolve what ``message`` asks for and return its command rows (created as
    ``requested`` the first time; the existing ones on a rerun). Empty when the booking
    moved, was cancelled, or the room is already in the next guest's scene."""
    payload = message.payload
    purpose = payload["purpose"]
    booking = None
    preferences: dict[str, Any] = {}
    actor_id = None
    if purpose == CommandPurpose.MANUAL:
        room_id = payload["room"]
        scene = Scene.objects.filter(slug=payload["scene"]).first()
        actor_id = payload.get("actor")
    else:
        booking = Booking.objects.select_related("service").filter(pk=payload["booking"]).first()
        if booking is None:
            return []
        room_id = booking.room_id
        if purpose == CommandPurpose.BOOKING_START:
            if (
                booking.status not in SCENE_STATUSES
                or booking.start.isoformat() != payload["start"]
            ):
                logger.info("Scene of booking %s skipped: it moved or ended.", booking.pk)
                return []
            preferences = booking.preferences or {}
            scene = booking_scene(room_id, preferences)
        else:
            if _next_guest_due(booking, now):
                return []
            scene = idle_scene(room_id)
    if scene is None:
        return []
    commands = []
    for device in active_devices(room_id):
        key = f"{message.dedupe_key or f'outbox:{message.pk}'}:{device.slug}"[:255]
        command = DeviceCommand.objects.filter(key=key).first()
        if command is None:
            settings_ = device_settings(device.kind, scene.settings, preferences)
            if not settings_:
                continue
            try:
                with transaction.atomic():
                    command = DeviceCommand.objects.create(
                        key=key,
                        device=device,
                        booking=booking,
                        scene=scene,
                        purpose=purpose,
                        payload=settings_,
                        actor_id=actor_id,
                        requested_at=now,
                    )
            except IntegrityError:
                command = DeviceCommand.objects.get(key=key)
        commands.append(command)
    return commands


def _next_guest_due(booking: Booking, now: datetime) -> bool:
    """Tell whether another booking of the room is within its lead time or under way (its
    scene stays; idle would undo it)."""
    lead = timedelta(minutes=settings.IOT_SCENE_LEAD_MINUTES)
    return (
        Booking.objects.filter(room_id=booking.room_id, status__in=SCENE_STATUSES)
        .exclude(pk=booking.pk)
        .filter(start__lte=now + lead, end__gt=now)
        .exists()
    )


def send_scene(message: OutboxMessage) -> list[DeviceCommand]:
    """Send the commands of one scene row and log each outcome; return the commands.

    1. Create (or find) one ``requested`` command per device, each in its own short
       transaction; nothing stays locked.
    2. Publish those still ``requested`` or ``failed`` through the provider: a command
       already sent by an earlier run of this row is never sent again.
    3. Record ``sent`` (broker ack), then ``confirmed`` (the device's echo) or
       ``timed_out``; ``failed`` when the broker refused it (the row is retried).

    Raises:
        ConnectionError: the broker is unreachable (the outbox retries the row).
    """
    now = clock_now()
    commands = _scene_commands(message, now)
    due = [command for command in commands if command.status not in FINISHED_COMMAND_STATUSES]
    if not due:
        return commands
    devices = {
        device.pk: device for device in Device.objects.filter(pk__in=[c.device_id for c in due])
    }
    provider = providers.get_provider()
    outgoing = [
        providers.Outgoing(
            command_id=str(command.command_id),
            topic=devices[command.device_id].command_topic,
            state_topic=devices[command.device_id].state_topic,
            payload=command_payload(
                str(command.command_id),
                command.scene.slug if command.scene else "",
                command.payload,
                now.isoformat(),
            ),
        )
        for command in due
    ]
    outcomes = {outcome.command_id: outcome for outcome in provider.send(outgoing)}
    failed = []
    for command in due:
        outcome = outcomes[str(command.command_id)]
        _record_outcome(command, outcome, provider.name)
        if command.status == CommandStatus.FAILED:
            failed.append(command)
    _announce(commands)
    if failed:
        raise ConnectionError(f"{len(failed)} command(s) were not acknowledged by the broker.")
    return commands


def _record_outcome(command: DeviceCommand, outcome: providers.Outcome, provider: str) -> None:
    command.provider = provider
    command.sent_at = outcome.sent_at
    if outcome.sent_at is None:
        command.status = CommandStatus.FAILED
        command.error = outcome.error[:500]
    elif outcome.confirmed_at is not None:
        command.status = CommandStatus.CONFIRMED
        command.confirmed_at = outcome.confirmed_at
        command.device_state = outcome.state
        command.error = ""
    elif outcome.expects_echo:
        command.status = CommandStatus.TIMED_OUT
        command.error = f"No state echo within {settings.IOT_CONFIRM_TIMEOUT_SECONDS} s."
    else:
        command.status = CommandStatus.SENT
    command.save(
        update_fields=["provider", "sent_at", "status", "confirmed_at", "device_state", "error"]
    )
    log = logger.warning if command.status in ("failed", "timed_out") else logger.info
    log("Device command %s to %s: %s.", command.command_id, command.device_id, command.status)


def _announce(commands: list[DeviceCommand]) -> None:
    """Tell the desk board how the room's devices answered (``device.command``)."""
    for command in commands:
        realtime.publish(
            realtime.DESK_GROUP,
            "device.command",
            {
                "room": command.device.room_id,
                "device": command.device.slug,
                "purpose": command.purpose,
                "scene": command.scene.slug if command.scene else "",
                "status": command.status,
            },
        )


def install_default_scenes() -> int:
    """Create the scenes of :data:`~coresync.iot.scenes.DEFAULT_SCENES` that are missing
    (by slug; existing ones are left as edited); return how many were created."""
    created = 0
    for slug, name, description, is_idle, settings_ in DEFAULT_SCENES:
        _scene, was_created = Scene.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "is_idle": is_idle,
                "settings": settings_,
            },
        )
        created += was_created
    return created


def record_reading(device: Device, values: dict[str, Any], at: datetime) -> list[SensorReading]:
    """Store the readings in ``values`` (``{"temperature": 21.5, "humidity": 40,
    "occupancy": true}``; unknown keys and non-numbers are ignored) taken at ``at``."""
    readings = []
    for kind in ReadingKind.values:
        value = values.get(kind)
        if isinstance(value, bool):
            value = float(value)
        if isinstance(value, int | float):
            readings.append(
                SensorReading(device=device, kind=kind, value=float(value), recorded_at=at)
            )
    return SensorReading.objects.bulk_create(readings)


def purge_readings(now: datetime) -> int:
    """Delete the readings older than ``IOT_SENSOR_RETENTION_DAYS``; return how many."""
    cutoff = now - timedelta(days=settings.IOT_SENSOR_RETENTION_DAYS)
    deleted, _ = SensorReading.objects.filter(recorded_at__lt=cutoff).delete()
    return deleted
