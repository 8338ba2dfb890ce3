"""State changes of private calendar feeds: create, rotate, revoke (SPEC §6).

A feed's token is its only credential: rotating issues a new URL and kills the old one at
once (subscribed calendars stop updating until the new URL is added); revoking kills it without
a replacement. Tokens are never logged.
"""

import logging
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction

from coresync.accounts.models import User
from coresync.calendars.errors import FeedRevoked
from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.core.clock import now as clock_now
from coresync.resources.models import Room, Technician

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
"""Random bytes per token: ``secrets.token_urlsafe(32)`` gives 43 URL-safe characters."""

_OWNER_FIELD = {
    FeedKind.CUSTOMER: ("user", User),
    FeedKind.TECHNICIAN: ("technician", Technician),
    FeedKind.ROOM: ("room", Room),
}


def new_token() -> str:
    """Return a fresh unguessable feed token (256 bits, URL-safe base64, 43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _owner_filter(kind: str, owner: User | Technician | Room) -> dict:
    """Return ``{"kind": kind, "<owner field>": owner}``, checking the owner's type.

    Raises:
        ValueError: an unknown kind, or an owner of the wrong type for it (a programming error,
            not user input: the API layer resolves owners before calling).
    """
    if kind not in _OWNER_FIELD:
        raise ValueError(f"Unknown feed kind {kind!r}.")
    field, model = _OWNER_FIELD[kind]
    if not isinstance(owner, model):
        raise ValueError(f"A {kind} feed belongs to a {model.__name__}, not {owner!r}.")
    return {"kind": kind, field: owner}


def create_feed(
    *, kind: str, owner: User | Technician | Room, created_by: User | None = None
) -> CalendarFeed:
    """Return the owner's live feed, creating it when there is none.

    Idempotent: asking twice (or twice at once) gives the same feed and the same URL, so a
    client cannot break a subscription by asking for its link again (:func:`rotate_feed` is
    the way to change it). The returned feed's ``was_created`` tells whether it is new.

    Args:
        kind: a :class:`FeedKind` value.
        owner: the :class:`User` of a customer feed, the :class:`Technician` or the
            :class:`Room` of a staff feed.
        created_by: who asks (recorded).

    Raises:
        ValueError: ``owner`` does not fit ``kind``.
    """
    owner_filter = _owner_filter(kind, owner)
    feed = CalendarFeed.objects.live().filter(**owner_filter).first()
    if feed is not None:
        feed.was_created = False
        return feed
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(
                **owner_filter, token=new_token(), created_by=created_by
            )
    except IntegrityError:
        # A concurrent request created the owner's feed first (one live feed per owner).
        feed = CalendarFeed.objects.live().filter(**owner_filter).first()
        if feed is None:
            raise
        feed.was_created = False
        return feed
    logger.info("calendar feed %s created: %s %s", feed.pk, kind, owner.pk)
    feed.was_created = True
    return feed


def rotate_feed(
    feed: CalendarFeed, *, actor: User | None = None, now: datetime | None = None
) -> CalendarFeed:
    """Revoke ``feed`` and return a new live feed for the same owner with a new token.

    One transaction: there is never a moment with two live feeds or none.

    Raises:
        FeedRevoked: ``feed`` is already revoked (e.g. by a concurrent rotation).
    """
    now = now or clock_now()
    with transaction.atomic():
        locked = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
        if locked.revoked_at is not None:
            raise FeedRevoked()
        locked.revoked_at, locked.revoked_by = now, actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        replacement = CalendarFeed.objects.create(
            kind=locked.kind,
            user_id=locked.user_id,
            technician_id=locked.technician_id,
            room_id=locked.room_id,
            token=new_token(),
            created_by=actor,
        )
    logger.info("calendar feed %s rotated to %s", locked.pk, replacement.pk)
    replacement.was_created = True
    return replacement


def revoke_feed(
    feed: CalendarFeed, *, actor: User | None = None, now: datetime | None = None
) -> CalendarFeed:
    """Revoke ``feed``: its URL answers 404 from now on. Return the feed, refreshed.

    Idempotent: revoking a revoked feed changes nothing (the first ``revoked_at`` stays).
    """
    now = now or clock_now()
    changed = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    if changed:
        logger.info("calendar feed %s revoked", feed.pk)
    feed.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return feed
