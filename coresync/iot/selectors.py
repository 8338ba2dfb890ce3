"""Reads of the smart rooms: devices, scenes, the command log and the latest readings."""

from django.db.models import QuerySet

from coresync.iot.models import Device, DeviceCommand, RoomSetup, Scene, SensorReading


def active_devices(room_id: int) -> list[Device]:
    """Return the active devices of a room, sensors excluded (they take no commands)."""
    return list(
        Device.objects.filter(room_id=room_id, is_active=True).exclude(kind="sensor").order_by("pk")
    )


def room_has_devices(room_id: int) -> bool:
    """Tell whether the room has an active device that takes commands."""
    return Device.objects.filter(room_id=room_id, is_active=True).exclude(kind="sensor").exists()


def idle_scene(room_id: int) -> Scene | None:
    """Return the room's idle scene, else the spa's (the first ``is_idle`` scene)."""
    setup = RoomSetup.objects.filter(room_id=room_id).select_related("idle_scene").first()
    if setup is not None and setup.idle_scene is not None:
        return setup.idle_scene
    return Scene.objects.filter(is_idle=True).order_by("pk").first()


def booking_scene(room_id: int, preferences: dict) -> Scene | None:
    """Return the scene of a booking: the guest's ``scene`` preference, else the room's
    default scene, else the first scene that is not idle."""
    slug = (preferences or {}).get("scene")
    if slug:
        scene = Scene.objects.filter(slug=slug).first()
        if scene is not None:
            return scene
    setup = RoomSetup.objects.filter(room_id=room_id).select_related("default_scene").first()
    if setup is not None and setup.default_scene is not None:
        return setup.default_scene
    return Scene.objects.filter(is_idle=False).order_by("pk").first()


def command_log(room_id: int, limit: int = 50) -> QuerySet[DeviceCommand]:
    """Return the latest commands sent to a room's devices, newest first."""
    return (
        DeviceCommand.objects.filter(device__room_id=room_id)
        .select_related("device", "scene")
        .order_by("-requested_at", "-pk")[:limit]
    )


def latest_readings(room_id: int) -> dict[str, SensorReading]:
    """Return the newest reading of each kind in a room, ``{kind: reading}``."""
    latest: dict[str, SensorReading] = {}
    readings = SensorReading.objects.filter(device__room_id=room_id).order_by("-recorded_at")
    for reading in readings[:200]:
        latest.setdefault(reading.kind, reading)
    return latest
