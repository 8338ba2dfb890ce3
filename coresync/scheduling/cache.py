"""The availability cache: listings served from Django's cache, equal to a fresh computation.

What is cached is one spa-local day of one listing: the slots (with their quotes) that
:func:`coresync.scheduling.selectors.get_availability` would return for that day, before the
parts that depend on the clock are applied. An entry's key names the question (service,
duration, add-ons, guests, technician/room/room type, the caller's pricing and hold access)
and the day; its value carries the versions it was computed under.

Exactness (a listed slot is bookable, an unlisted one is refused):

1. Versions. One version token per spa-local day (``…:day:YYYY-MM-DD``) and one for
   everything (``…:generation``). A change to a booking, a payment hold, a slot hold or an
   exception bumps the days it touches (one day of margin each side: a block may cross
   midnight, and a technician's load is counted per day); a change to hours, rooms,
   technicians, services, add-ons, prices, plans or the spa's settings bumps the generation.
   Tokens are random, never counters, so an evicted version key can never make an old entry
   valid again: a missing version is replaced by a new token before anything is computed.
2. When. A change bumps at once (readers inside the writer's transaction window recompute)
   and again after commit (an entry computed from the data before the commit carries the
   older token). The cache never holds rows a booking relies on: bookings load fresh data
   under their locks (:func:`coresync.scheduling.selectors.find_start`).
3. Clock. An entry holds every slot of its day with the minimum notice, the advance window
   and the priority period left out; those are applied to the entry on every read. What
   changes by itself with time — a payment hold (``Allocation.expires_at``) or a priority
   hold (``SlotHold.held_until``) running out — ends the entry's validity (``valid_until``),
   and an entry is never used at a clock reading earlier than the one it was computed at.
4. One round trip. A listing reads the generation, its days' versions and its entries with
   one ``get_many``; misses are computed together and written with one ``set_many``.
5. Degrading. Any cache error is logged and the listing is computed fresh; a bump that fails
   is retried by this process on its next cache access, and entries live at most
   ``AVAILABILITY_CACHE_SECONDS``.

The cache must be shared by every process that serves listings (Redis in production via
``CACHE_URL``): a per-process local-memory cache would miss other processes' bumps, so
``AVAILABILITY_CACHE`` is on by default only with a shared backend (``coresync/settings.py``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger(__name__)

PREFIX = "availability:v2"
"""Change the version whenever the shape of what is stored changes (a deploy then starts
with an empty cache instead of reading the old shape)."""
GENERATION_KEY = f"{PREFIX}:generation"
VERSION_SECONDS = 7 * 24 * 3600
"""How long a version token is kept (seconds); a missing token only costs a recomputation."""

_pending_days: set[date] = set()
_pending_generation = False


def enabled() -> bool:
    """Tell whether listings may be served from the cache (setting ``AVAILABILITY_CACHE``)."""
    return bool(getattr(settings, "AVAILABILITY_CACHE", False))


def in_transaction() -> bool:
    """Tell whether the caller is inside a transaction of its own. Such a caller may see its
    own uncommitted writes, so it neither reads nor stores entries: what it would store could
    be rolled back. (A test's own transaction, opened by Django's test case machinery and
    flagged ``_from_testcase``, does not count: tests clear the cache between them.)"""
    return any(
        not getattr(block, "_from_testcase", False)
        for block in transaction.get_connection().atomic_blocks
    )


def _cache():
    return caches[getattr(settings, "AVAILABILITY_CACHE_ALIAS", "default")]


def day_key(day: date) -> str:
    """Return the cache key of spa-local ``day``'s version token."""
    return f"{PREFIX}:day:{day.isoformat()}"


def entry_key(identity: tuple, day: date) -> str:
    """Return the cache key of one day of the listing named by ``identity`` (a tuple of
    plain values: strings, numbers, tuples of them)."""
    digest = hashlib.blake2b(repr(identity).encode(), digest_size=12).hexdigest()
    return f"{PREFIX}:entry:{digest}:{day.isoformat()}"


def request_key(identity: tuple) -> str:
    """Return the cache key of a validated question named by ``identity``."""
    digest = hashlib.blake2b(repr(identity).encode(), digest_size=12).hexdigest()
    return f"{PREFIX}:request:{digest}"


def _new_token() -> str:
    return secrets.token_hex(8)


@dataclass
class CachedDay:
    """One cached day: the ``items`` computed under versions ``generation`` and
    ``day_version`` at clock reading ``computed_at``, valid until ``valid_until`` (both POSIX
    seconds). ``identity`` is stored to rule out a digest collision."""

    identity: tuple
    generation: str
    day_version: str
    computed_at: float
    valid_until: float
    items: list


@dataclass
class Lookup:
    """What one read found: the hits by day, the version tokens the misses must be written
    under, and values of ``extra`` keys read in the same round trip."""

    identity: tuple
    hits: dict[date, list] = field(default_factory=dict)
    misses: list[date] = field(default_factory=list)
    generation: str = ""
    day_versions: dict[date, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def read(
    identity: tuple, days: Sequence[date], now: datetime, extra_keys: Sequence[str] = ()
) -> Lookup | None:
    """Read the generation, the versions of ``days``, their entries for ``identity`` and the
    ``extra_keys`` in one round trip; give missing versions new tokens (one more round trip,
    only when cold) before the caller computes anything.

    Returns ``None`` when the cache is off, the caller is inside a transaction
    (:func:`in_transaction`) or the cache fails: the caller computes fresh.
    """
    if not enabled() or in_transaction():
        return None
    try:
        _flush_pending_bumps()
        entry_keys = {entry_key(identity, day): day for day in days}
        version_keys = {day_key(day): day for day in days}
        found = _cache().get_many([GENERATION_KEY, *version_keys, *entry_keys, *extra_keys])
        lookup = Lookup(identity=identity, extra={key: found.get(key) for key in extra_keys})
        fresh_tokens: dict[str, str] = {}
        generation = found.get(GENERATION_KEY)
        if generation is None:
            generation = fresh_tokens[GENERATION_KEY] = _new_token()
        lookup.generation = generation
        for key, day in version_keys.items():
            version = found.get(key)
            if version is None:
                version = fresh_tokens[key] = _new_token()
            lookup.day_versions[day] = version
        if fresh_tokens:
            _cache().set_many(fresh_tokens, VERSION_SECONDS)
        instant = now.timestamp()
        for key, day in entry_keys.items():
            entry = found.get(key)
            if (
                isinstance(entry, CachedDay)
                and entry.identity == identity
                and entry.generation == generation
                and entry.day_version == lookup.day_versions[day]
                and entry.computed_at <= instant < entry.valid_until
            ):
                lookup.hits[day] = entry.items
            else:
                lookup.misses.append(day)
        return lookup
    except Exception:  # any cache failure degrades to a fresh computation
        logger.warning("Availability cache read failed; computing fresh.", exc_info=True)
        return None


def write(
    lookup: Lookup,
    computed: dict[date, list],
    *,
    computed_at: datetime,
    valid_until: datetime | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Store freshly computed days under the versions ``lookup`` read before computing, and
    ``extra`` values, in one round trip. Failures are logged and ignored."""
    timeout = int(getattr(settings, "AVAILABILITY_CACHE_SECONDS", 600))
    until = valid_until.timestamp() if valid_until is not None else float("inf")
    values: dict[str, Any] = dict(extra or {})
    for day, items in computed.items():
        values[entry_key(lookup.identity, day)] = CachedDay(
            identity=lookup.identity,
            generation=lookup.generation,
            day_version=lookup.day_versions[day],
            computed_at=computed_at.timestamp(),
            valid_until=until,
            items=items,
        )
    if not values:
        return
    try:
        _cache().set_many(values, timeout)
    except Exception:  # a cache that cannot store only costs speed
        logger.warning("Availability cache write failed.", exc_info=True)


# --------------------------------------------------------------------------- invalidation


MAX_BUMPED_DAYS = 400
"""A change spanning more days than this bumps the generation instead (one key, not
hundreds; listings are at most 93 days)."""


def invalidate_days(first_day: date, last_day: date, *, margin: int = 0) -> None:
    """Bump the version of every spa-local day from ``first_day - margin`` to
    ``last_day + margin`` (inclusive), now and again after the current transaction commits.
    Days beyond the calendar's ends are left out; a span over :data:`MAX_BUMPED_DAYS` bumps
    everything."""
    if not enabled() or last_day < first_day:
        return
    if (last_day - first_day).days + 2 * margin >= MAX_BUMPED_DAYS:
        invalidate_all()
        return
    first = first_day - timedelta(days=min(margin, (first_day - date.min).days))
    last = last_day + timedelta(days=min(margin, (date.max - last_day).days))
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    _bump_now_and_after_commit(days=days)


def invalidate_interval(starts_at: datetime, ends_at: datetime) -> None:
    """Bump the days an occupied interval (aware datetimes) can affect: every spa-local day it
    touches, with a day of margin each side. Computed from UTC dates two days wide each side,
    which covers the local dates of any time zone without reading the spa's settings."""
    invalidate_days(starts_at.astimezone(UTC).date(), ends_at.astimezone(UTC).date(), margin=2)


def invalidate_all() -> None:
    """Bump the generation: every cached listing is recomputed on its next read. For changes
    to hours, resources, the catalog, prices, plans and settings."""
    _bump_now_and_after_commit(generation=True)


def _bump_now_and_after_commit(*, days: Sequence[date] = (), generation: bool = False) -> None:
    if not enabled():
        return
    _bump(days=days, generation=generation)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(days=days, generation=generation))


def _bump(*, days: Iterable[date] = (), generation: bool = False) -> None:
    """Give ``days`` (and the generation) new tokens; on failure, remember them for the next
    cache access of this process."""
    global _pending_generation
    if not enabled():
        return
    days = list(days)
    values = {day_key(day): _new_token() for day in days}
    if generation:
        values[GENERATION_KEY] = _new_token()
    try:
        failed = _cache().set_many(values, VERSION_SECONDS)
        if failed:  # a cache that degrades (Redis down) reports the keys it dropped
            raise OSError(f"the cache dropped {len(failed)} version keys")
    except Exception:  # retried on the next access; entries also expire
        logger.warning("Availability cache bump failed; will retry.", exc_info=True)
        _pending_days.update(days)
        _pending_generation = _pending_generation or generation


def _flush_pending_bumps() -> None:
    """Retry bumps that failed earlier (raises if the cache still fails)."""
    global _pending_generation
    if not (_pending_days or _pending_generation):
        return
    values = {day_key(day): _new_token() for day in _pending_days}
    if _pending_generation:
        values[GENERATION_KEY] = _new_token()
    if _cache().set_many(values, VERSION_SECONDS):
        raise OSError("the cache is still dropping writes")
    _pending_days.clear()
    _pending_generation = False
