"""Reads for notifications: a user's channel and kind preferences."""

from coresync.notifications.channels import EMAIL, PUSH, SMS

DEFAULT_CHANNEL_PREFERENCES = {EMAIL: True, PUSH: True, SMS: False}
"""What a missing key in ``User.notification_preferences`` means: transactional email and
push are on until the user turns them off; SMS (a cost, and consent rules) is off until the
user turns it on."""

REMINDERS = "reminders"
REVIEW_REQUESTS = "review_requests"
OFFERS = "offers"
KIND_NAMES = (REMINDERS, REVIEW_REQUESTS, OFFERS)
"""The kinds of message a user may opt out of one by one
(:data:`coresync.accounts.preferences.NOTIFICATION_KINDS`); a missing key means on."""


def _stored(user, name: str) -> bool | None:
    preferences = getattr(user, "notification_preferences", None) or {}
    value = preferences.get(name) if isinstance(preferences, dict) else None
    return value if isinstance(value, bool) else None


def channel_enabled(user, channel: str) -> bool:
    """Tell whether ``user`` accepts notifications on ``channel`` (``email``, ``sms``,
    ``push``), from ``user.notification_preferences`` such as ``{"email": false}``; a missing
    key takes :data:`DEFAULT_CHANNEL_PREFERENCES`. Only a real boolean ``true``/``false`` counts;
    anything else is treated as missing."""
    value = _stored(user, channel)
    if value is not None:
        return value
    return DEFAULT_CHANNEL_PREFERENCES.get(channel, False)


def kind_enabled(user, kind: str) -> bool:
    """Tell whether ``user`` accepts messages of the opt-out ``kind`` (``reminders``,
    ``review_requests``, ``offers``) from ``user.notification_preferences`` such as
    ``{"review_requests": false}``. A missing key (or a non-boolean) means yes; an empty
    ``kind`` is a transactional message (confirmation, change, cancellation, a membership
    notice the law requires) and is always accepted (SPEC §6 "opt out per channel"; the kinds
    only ever narrow what a channel carries)."""
    if not kind:
        return True
    value = _stored(user, kind)
    return True if value is None else value
