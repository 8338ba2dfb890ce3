"""How a scene and a guest's preferences become one command per device (pure functions).

The guest's preferences (:mod:`coresync.accounts.preferences`) refine the scene: ``scene``
picks the scene itself, ``temperature`` sets the climate target, ``music`` the playlist (or
silence) and ``aromatherapy`` the scent (or none). Pressure is for the technician, not a
device.
"""

from typing import Any

TEMPERATURE_CELSIUS = {"cool": 20.0, "neutral": 22.0, "warm": 24.5}
"""Climate targets of the ``temperature`` preference, degrees Celsius."""


def device_settings(
    kind: str, scene_settings: dict[str, Any], preferences: dict[str, Any]
) -> dict[str, Any]:
    """Return the settings a device of ``kind`` gets for a scene and a guest's preferences.

    Args:
        kind: a :class:`~coresync.iot.models.DeviceKind` value.
        scene_settings: the scene's ``{kind: {setting: value}}``.
        preferences: the booking's ``{name: value}`` (empty for manual and idle scenes).

    Returns:
        ``{setting: value}``; empty when neither the scene nor a preference concerns the kind.
    """
    result = dict(scene_settings.get(kind) or {})
    if kind == "climate" and preferences.get("temperature") in TEMPERATURE_CELSIUS:
        result["target_celsius"] = TEMPERATURE_CELSIUS[preferences["temperature"]]
    elif kind == "audio" and preferences.get("music"):
        if preferences["music"] == "silence":
            result = {"power": "off"}
        else:
            result.update(power="on", playlist=preferences["music"])
    elif kind == "scent" and preferences.get("aromatherapy"):
        if preferences["aromatherapy"] == "none":
            result = {"power": "off"}
        else:
            result.update(power="on", scent=preferences["aromatherapy"])
    return result


def command_payload(
    command_id: str, scene_slug: str, settings: dict[str, Any], sent_at: str
) -> dict[str, Any]:
    """Return the JSON a device receives on ``<topic>/set``: ``{"command": <uuid>, "scene":
    <slug>, "settings": {…}, "at": <ISO-8601 UTC>}``. The device echoes ``command`` in its
    retained state so the command can be confirmed."""
    return {"command": command_id, "scene": scene_slug, "settings": settings, "at": sent_at}
