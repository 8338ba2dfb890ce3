"""Signed one-click unsubscribe links (RFC 8058) for messages a guest did not ask for.

A review request (and any other non-transactional email) carries ``List-Unsubscribe:
<https://…/unsubscribe/<token>/>`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``.
The token is a Django signature (``django.core.signing``, HMAC with ``SECRET_KEY``) over the
user's id, a hash of their email (the address itself never appears in the URL, which ends up
in web server logs) and the kind of message, so it turns off that one kind for that one user
and nothing else: unsubscribing from review requests never stops confirmations.
"""

import hashlib

from django.core import signing
from django.db import transaction
from django.urls import reverse

from coresync.notifications.selectors import KIND_NAMES

UNSUBSCRIBE_SALT = "coresync.notifications.unsubscribe"


def unsubscribe_token(user, kind: str) -> str:
    """Return the signed token that turns off ``kind`` (one of :data:`KIND_NAMES`) for
    ``user``.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in KIND_NAMES:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    return signing.dumps(
        {"u": user.pk, "e": _email_digest(user.email), "k": kind}, salt=UNSUBSCRIBE_SALT
    )


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


def unsubscribe_url(user, kind: str) -> str:
    """Return the absolute unsubscribe URL of ``kind`` for ``user`` (under ``SITE_URL``)."""
    from django.conf import settings

    path = reverse("web:unsubscribe", args=[unsubscribe_token(user, kind)])
    return settings.SITE_URL.rstrip("/") + path


def read_unsubscribe_token(token: str):
    """Return ``(user, kind)`` for a valid ``token``, or ``None`` (forged, altered, a user
    that no longer exists or whose email changed since)."""
    from django.contrib.auth import get_user_model

    if not token or len(token) > 400:
        return None
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("k") not in KIND_NAMES:
        return None
    user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
    if user is None or _email_digest(user.email) != payload.get("e"):
        return None
    return user, payload["k"]


def unsubscribe(token: str):
    """Turn off the kind of message ``token`` names for its user (idempotent); return
    ``(user, kind)``, or ``None`` for an invalid token (nothing changes)."""
    from django.contrib.auth import get_user_model

    found = read_unsubscribe_token(token)
    if found is None:
        return None
    user, kind = found
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        preferences = dict(locked.notification_preferences or {})
        if preferences.get(kind) is not False:
            preferences[kind] = False
            locked.notification_preferences = preferences
            locked.save(update_fields=["notification_preferences"])
    return locked, kind
