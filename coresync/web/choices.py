"""The spa preferences a guest can state (SPEC §2 and §4): pressure, room temperature, music,
aromatherapy and lighting scene. Stored as ``{name: value}`` on the user (their defaults) and
on each booking; the values are stable slugs, the labels come from the translation catalog."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PreferenceField:
    name: str
    label: str
    options: tuple[tuple[str, str], ...]

    @property
    def values(self) -> set[str]:
        return {value for value, _label in self.options}

    def label_of(self, value: str) -> str:
        return dict(self.options).get(value, value)


PREFERENCE_FIELDS = (
    PreferenceField(
        "pressure",
        _("Pressure"),
        (("light", _("Light")), ("medium", _("Medium")), ("firm", _("Firm"))),
    ),
    PreferenceField(
        "temperature",
        _("Room temperature"),
        (("cool", _("Cool")), ("neutral", _("Neutral")), ("warm", _("Warm"))),
    ),
    PreferenceField(
        "music",
        _("Music"),
        (
            ("silence", _("Silence")),
            ("ambient", _("Ambient")),
            ("classical", _("Classical")),
            ("jazz", _("Soft jazz")),
            ("nature", _("Nature sounds")),
        ),
    ),
    PreferenceField(
        "aromatherapy",
        _("Aromatherapy"),
        (
            ("none", _("No scent")),
            ("lavender", _("Lavender")),
            ("eucalyptus", _("Eucalyptus")),
            ("citrus", _("Citrus")),
            ("sandalwood", _("Sandalwood")),
        ),
    ),
    PreferenceField(
        "scene",
        _("Lighting scene"),
        (
            ("swiss-alps", _("Swiss Alps")),
            ("venice", _("Venice")),
            ("kyoto", _("Kyoto garden")),
            ("ocean", _("Ocean")),
            ("candlelight", _("Candlelight")),
        ),
    ),
)
PREFERENCE_NAMES = tuple(field.name for field in PREFERENCE_FIELDS)


def clean_preferences(values) -> dict[str, str]:
    """Return the known preferences in ``values`` (a mapping or QueryDict) with allowed
    values; anything else is dropped (a preference is a wish, never an error)."""
    cleaned = {}
    for field in PREFERENCE_FIELDS:
        value = values.get(field.name) or ""
        if value in field.values:
            cleaned[field.name] = value
    return cleaned


NOTIFICATION_CHANNELS = (
    ("email", _("Email")),
    ("sms", _("Text message (SMS)")),
    ("push", _("Push notifications (app)")),
)
