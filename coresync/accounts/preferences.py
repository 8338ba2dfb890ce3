"""The preference vocabulary shared by the API, the site and the assistant.

The spa preferences a guest can state (SPEC §2 and §4): pressure, room temperature, music,
aromatherapy and lighting scene. Stored as ``{name: value}`` on the user (their defaults) and
on each booking; the values are stable slugs, the labels come from the translation catalog."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from coresync.core.errors import InvalidInput


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


def labelled_preferences(preferences) -> list[tuple[str, str]]:
    """Return ``(label, value label)`` of each spa preference set in ``preferences`` (a
    dict, e.g. a booking's), in vocabulary order: ``[("Pressure", "Firm"), …]``."""
    preferences = preferences if isinstance(preferences, dict) else {}
    return [
        (str(field.label), str(field.label_of(preferences[field.name])))
        for field in PREFERENCE_FIELDS
        if preferences.get(field.name)
    ]


NOTIFICATION_CHANNELS = (
    ("email", _("Email")),
    ("sms", _("Text message (SMS)")),
    ("push", _("Push notifications (app)")),
)
"""The channels a user opts in or out of, stored as ``{channel: bool}`` in
``User.notification_preferences``."""

NOTIFICATION_KINDS = (
    ("reminders", _("Appointment reminders")),
    ("review_requests", _("Requests to review a visit")),
)
"""The kinds of message a user may opt out of one by one, stored as ``{kind: bool}`` beside
the channels in ``User.notification_preferences``. Transactional messages (confirmations,
changes, cancellations, membership notices the law requires) have no kind here: they are
sent whenever their channel is on. Offers and news are not a kind: they are sent only with
the guest's explicit ``marketing_consent`` (opt-in, never on by default)."""

NOTIFICATION_PREFERENCE_NAMES = tuple(name for name, _label in NOTIFICATION_CHANNELS) + tuple(
    name for name, _label in NOTIFICATION_KINDS
)


def validate_preferences(value: Any, *, field: str = "preferences") -> dict[str, str]:
    """Return ``value`` as spa preferences, or raise :class:`InvalidInput` naming ``field``.

    Args:
        value: a JSON object ``{name: slug}`` whose names are in :data:`PREFERENCE_NAMES`
            and whose values are that field's options (an empty string or null clears one).

    Raises:
        InvalidInput: not an object, an unknown name or a value outside the vocabulary
            (ARCHITECTURE.md "HTTP API": ``PATCH me/`` validates preferences).
    """
    if not isinstance(value, dict):
        raise InvalidInput(
            "Preferences must be an object.", fields={field: "Must be a JSON object."}
        )
    fields_by_name = {preference.name: preference for preference in PREFERENCE_FIELDS}
    cleaned: dict[str, str] = {}
    for name, choice in value.items():
        preference = fields_by_name.get(name)
        if preference is None:
            raise InvalidInput(
                f"Unknown preference {str(name)[:40]!r}.",
                fields={field: f"Unknown preference; allowed: {', '.join(PREFERENCE_NAMES)}."},
            )
        if choice in (None, ""):
            continue
        if not isinstance(choice, str) or choice not in preference.values:
            raise InvalidInput(
                f"{name} must be one of {', '.join(sorted(preference.values))}.",
                fields={field: f"{name} must be one of {', '.join(sorted(preference.values))}."},
            )
        cleaned[name] = choice
    return cleaned


def validate_notification_preferences(
    value: Any, *, field: str = "notification_preferences"
) -> dict[str, bool]:
    """Return ``value`` as notification preferences, or raise :class:`InvalidInput`.

    Args:
        value: a JSON object ``{name: bool}`` whose names are channels (``email``, ``sms``,
            ``push``) or kinds of message (:data:`NOTIFICATION_KINDS`).

    Raises:
        InvalidInput: not an object, an unknown name, or a value that is not a boolean.
    """
    if not isinstance(value, dict):
        raise InvalidInput(
            "Notification preferences must be an object.",
            fields={field: "Must be a JSON object."},
        )
    cleaned: dict[str, bool] = {}
    for name, enabled in value.items():
        if name not in NOTIFICATION_PREFERENCE_NAMES:
            raise InvalidInput(
                f"Unknown notification preference {str(name)[:40]!r}.",
                fields={
                    field: "Unknown name; allowed: "
                    + ", ".join(NOTIFICATION_PREFERENCE_NAMES)
                    + "."
                },
            )
        if not isinstance(enabled, bool):
            raise InvalidInput(
                f"{name} must be true or false.", fields={field: f"{name} must be true or false."}
            )
        cleaned[name] = enabled
    return cleaned


def saved_preferences(user: Any) -> dict[str, str]:
    """Return ``user``'s stored spa preferences that are still in the vocabulary.

    Tolerates anything stored before preferences were validated (a string, a list, an
    unknown name or value): such entries are left out rather than breaking a page.
    """
    stored = getattr(user, "preferences", None)
    if not isinstance(stored, dict):
        return {}
    return {
        field.name: stored[field.name]
        for field in PREFERENCE_FIELDS
        if isinstance(stored.get(field.name), str) and stored[field.name] in field.values
    }


def stored_notification_preferences(stored: Any) -> dict[str, bool]:
    """Return the valid part of stored notification preferences (``{}`` for anything that
    is not an object; unknown names and non-boolean values are left out)."""
    if not isinstance(stored, dict):
        return {}
    return {
        name: enabled
        for name, enabled in stored.items()
        if name in NOTIFICATION_PREFERENCE_NAMES and isinstance(enabled, bool)
    }
