"""Idempotency keys: one mechanism for every channel, independent of HTTP (issue 9 item 1).

A creating step (a booking today; an order or a gift card tomorrow) takes a key from its
caller — the API's ``Idempotency-Key`` header, the site's form key made when the page was
drawn — and stores it, with the :func:`fingerprint` of what was asked, on the row it creates,
under a unique constraint per owner. So, whatever the channel:

- the same key and the same request give the row the first request created (a replay), not
  a second one;
- the same key with another request raises :class:`~coresync.core.errors.IdempotencyKeyReused`
  (422);
- a request that failed (refused, rolled back, its connection cut, its process killed)
  committed nothing, so a retry with the key simply runs again;
- two requests with one key at the same moment meet at the unique constraint: the second
  waits for the first and replays its row, or gets
  :class:`~coresync.core.errors.IdempotencyRequestInProgress` (409) if it cannot see it yet.

The row is the stored result; a channel draws its answer from it (the API marks a replay
with ``Idempotent-Replayed: true``). Decision and trade-offs: docs/decisions/0002-idempotency.md.
"""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db.models import Model, QuerySet

from coresync.core.errors import IdempotencyKeyReused, InvalidInput

MAX_KEY_LENGTH = 200


def clean_key(key: str | None, *, field: str = "idempotency_key") -> str | None:
    """Return ``key`` stripped (``None`` when blank: the caller asked for no idempotency).

    Raises:
        InvalidInput: longer than :data:`MAX_KEY_LENGTH` characters (``field`` names it).
    """
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"The idempotency key is longer than {MAX_KEY_LENGTH} characters.",
            fields={field: f"1 to {MAX_KEY_LENGTH} characters, e.g. a UUID."},
        )
    return key


def fingerprint(request: Mapping[str, Any]) -> str:
    """Return the SHA-256 (64 hex digits) of ``request`` as canonical JSON (sorted keys,
    no spaces; dates, Decimals and the like as ``str``): what a repeat must match."""
    canonical = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def ensure_same_request(stored_fingerprint: str, request_fingerprint: str, key: str) -> None:
    """Refuse a replay whose request differs from the one first made with ``key``.

    Raises:
        IdempotencyKeyReused: the fingerprints differ (422).
    """
    if stored_fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(key=key)


def replay(rows: QuerySet, key: str, request_fingerprint: str) -> Model | None:
    """Return the row of ``rows`` (one owner's rows) created with ``key``, marked
    ``was_replayed = True``, or ``None`` when there is none.

    Raises:
        IdempotencyKeyReused: that row was created by another request (422).
    """
    existing = rows.filter(idempotency_key=key).first()
    if existing is None:
        return None
    ensure_same_request(existing.request_fingerprint, request_fingerprint, key)
    existing.was_replayed = True
    return existing
