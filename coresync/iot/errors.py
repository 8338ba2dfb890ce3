"""Errors of the smart rooms (docs/smart-rooms.md)."""

from coresync.core.errors import DomainError, NotFound


class SceneNotFound(NotFound):
    """The scene named does not exist (404 ``not_found``)."""

    default_message = "This scene does not exist."


class RoomHasNoDevices(DomainError):
    """A scene was asked for a room without an active device (422 ``room_has_no_devices``)."""

    code = "room_has_no_devices"
    status = 422
    default_message = "This room has no smart devices."
