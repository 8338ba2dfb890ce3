"""How a scene and a guest's preferences become one command per device (pure functions).

The guest's preferences (:mod:`coresync.accounts.preferences`) refine the scene: ``scene``
picks the scene itself, ``temperature`` sets the climate target, ``music`` the playlist (or
silence) and ``aromatherapy`` the scent (or none). Pressure is for the technician, not a
device.
"""

from typing import Any

# (slug, name, description, is_idle, settings): the scenes of the lighting-scene preference
# and the idle scene; migration iot.0002 installs a frozen copy.
DEFAULT_SCENES = [
    (
        "idle",
        "Idle",
        "Between guests: soft light, quiet, climate at rest.",
        True,
        {
            "lights": {"power": "on", "color": "#fff4e0", "brightness": 30},
            "audio": {"power": "off"},
            "scent": {"power": "off"},
            "climate": {"target_celsius": 21.0},
            "mirror": {"power": "off"},
        },
    ),
    (
        "swiss-alps",
        "Swiss Alps",
        "Cool white light, alpine wind and pine.",
        False,
        {
            "lights": {"power": "on", "color": "#dff1ff", "brightness": 70},
            "audio": {"power": "on", "playlist": "alpine", "volume": 25},
            "scent": {"power": "on", "scent": "pine"},
            "climate": {"target_celsius": 21.0},
            "mirror": {"power": "on", "view": "matterhorn"},
        },
    ),
    (
        "venice",
        "Venice",
        "Golden dusk, strings, citrus.",
        False,
        {
            "lights": {"power": "on", "color": "#ffc77a", "brightness": 55},
            "audio": {"power": "on", "playlist": "classical", "volume": 20},
            "scent": {"power": "on", "scent": "citrus"},
            "climate": {"target_celsius": 23.0},
            "mirror": {"power": "on", "view": "grand-canal"},
        },
    ),
    (
        "kyoto",
        "Kyoto garden",
        "Green shade, water, sandalwood.",
        False,
        {
            "lights": {"power": "on", "color": "#d6f5c9", "brightness": 45},
            "audio": {"power": "on", "playlist": "nature", "volume": 20},
            "scent": {"power": "on", "scent": "sandalwood"},
            "climate": {"target_celsius": 22.5},
            "mirror": {"power": "on", "view": "moss-garden"},
        },
    ),
    (
        "ocean",
        "Ocean",
        "Blue light and waves.",
        False,
        {
            "lights": {"power": "on", "color": "#9fd8ff", "brightness": 50},
            "audio": {"power": "on", "playlist": "nature", "volume": 25},
            "scent": {"power": "on", "scent": "eucalyptus"},
            "climate": {"target_celsius": 22.0},
            "mirror": {"power": "on", "view": "waves"},
        },
    ),
    (
        "candlelight",
        "Candlelight",
        "Warm flicker, silence, lavender.",
        False,
        {
            "lights": {"power": "on", "color": "#ffb35c", "brightness": 25, "effect": "flicker"},
            "audio": {"power": "off"},
            "scent": {"power": "on", "scent": "lavender"},
            "climate": {"target_celsius": 24.0},
            "mirror": {"power": "off"},
        },
    ),
]


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
