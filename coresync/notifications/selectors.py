"""Reads for notifications: a user's channel preferences."""

from coresync.notifications.channels import EMAIL, PUSH, SMS

DEFAULT_CHANNEL_PREFERENCES = {EMAIL: True, PUSH: True, SMS: False}
"""What a missing key in ``User.notification_preferences`` means: transactional email and
push are on until the user turns them off; SMS (a cost, and consent rules) is off until the
user turns it on."""


def channel_enabled(user, channel: str) -> bool:
    """Tell whether ``user`` accepts notifications on ``channel`` (``email``, ``sms``,
    ``push``), from ``user.notification_preferences`` such as ``{"email": false}``; a missing
    key takes :data:`DEFAULT_CHANNEL_PREFERENCES`. Only a real boolean ``true``/``false`` counts;
    anything else is treated as missing."""
    preferences = getattr(user, "notification_preferences", None) or {}
    value = preferences.get(channel) if isinstance(preferences, dict) else None
    if isinstance(value, bool):
        return value
    return DEFAULT_CHANNEL_PREFERENCES.get(channel, False)
