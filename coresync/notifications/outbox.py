"""The transactional outbox (ARCHITECTURE.md "Background work").

Producers call :func:`enqueue` inside the transaction of the business change (a booking, a
payment), so the row commits or rolls back with it. A dispatcher — the Celery task
``coresync.notifications.tasks.dispatch_outbox`` in production, ``manage.py dispatch_outbox``
otherwise — calls :func:`dispatch_due`, which:

1. claims due rows in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL;
   SQLite serializes write transactions), marking them ``processing`` under a lease
   (``locked_until``, ``lock_token``) and counting the attempt;
2. runs each row's handler outside any lock or transaction;
3. marks the row ``done`` — or, on an error, ``failed`` with an exponential, jittered
   ``available_at`` for the next attempt, ``dead`` after ``OUTBOX_MAX_ATTEMPTS`` or at once
   on :class:`PermanentError`.

A worker that dies mid-run leaves its row ``processing``; when the lease runs out the row is
claimed again and the lost run is recorded as a failed attempt (``WorkerLost``). Delivery is
therefore at-least-once: handlers must be idempotent (the notification handlers record each
send per message id and skip a message already sent).

Handlers register per topic::

    @outbox_handler("payments.refund")
    def refund(message: OutboxMessage) -> None: ...
"""

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from coresync.core.clock import now as clock_now
from coresync.notifications.models import (
    WAITING_STATUSES,
    OutboxAttempt,
    OutboxMessage,
    OutboxStatus,
)

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
"""``handler(message)``: do the work of one outbox row; return normally when done."""

_handlers: dict[str, Handler] = {}

MAX_ERROR_LENGTH = 4000


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help (a 4xx from a provider, a recipient that
    does not exist): the message becomes ``dead`` at once. Any other exception is retried."""


class OutboxUsageError(RuntimeError):
    """:func:`enqueue` was called outside a transaction: the row would not be atomic with the
    change that caused it."""


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``topic`` (one per topic).

    Raises:
        ValueError: another function already handles ``topic``.
    """

    def register(handler: Handler) -> Handler:
        existing = _handlers.get(topic)
        if existing is not None and existing is not handler:
            name = f"{existing.__module__}.{existing.__qualname__}"
            if name != f"{handler.__module__}.{handler.__qualname__}":
                raise ValueError(f'Outbox topic "{topic}" is already handled by {name}.')
        _handlers[topic] = handler
        return handler

    return register


def registered_topics() -> list[str]:
    """Return the topics that have a handler, sorted."""
    return sorted(_handlers)


@dataclass(frozen=True)
class Outgoing:
    """One row to write with :func:`enqueue_many` (the arguments of :func:`enqueue`)."""

    topic: str
    payload: dict[str, Any]
    dedupe_key: str | None = None
    available_at: datetime | None = None


def enqueue(
    topic: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    available_at: datetime | None = None,
) -> OutboxMessage:
    """Write an outbox row in the current transaction and return it.

    Args:
        topic: the handler's topic, e.g. ``"notifications.email"``.
        payload: JSON-serializable data for the handler (ids, ISO-8601 strings).
        dedupe_key: at most one row per key (max 255 characters). If a row with this key
            exists it is returned unchanged and nothing is written — except a ``cancelled``
            row, which is revived with the new payload and ``available_at`` (a booking moved
            back to a time it had before).
        available_at: aware instant before which the row is not run (default: now).

    Raises:
        OutboxUsageError: not inside ``transaction.atomic()``.
    """
    return enqueue_many([Outgoing(topic, payload, dedupe_key, available_at)])[0]


def enqueue_many(outgoing: Sequence[Outgoing]) -> list[OutboxMessage]:
    """Write several outbox rows in the current transaction, each as :func:`enqueue` would;
    return them in the order given.

    One query finds the rows whose dedupe keys exist, one insert writes the others: a
    booking's confirmation and reminders cost two statements, not four each, inside the
    transaction that holds the booking's locks. If a concurrent transaction committed one
    of the keys first, the batch falls back to one row at a time.

    Raises:
        OutboxUsageError: not inside ``transaction.atomic()``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise OutboxUsageError(
            "enqueue() must be called inside the transaction of the change it belongs to."
        )
    now = clock_now()
    keys = [item.dedupe_key for item in outgoing if item.dedupe_key is not None]
    existing = (
        {row.dedupe_key: row for row in OutboxMessage.objects.filter(dedupe_key__in=keys)}
        if keys
        else {}
    )
    fresh: dict[int, OutboxMessage] = {}
    first_of_key: dict[str, int] = {}
    for index, item in enumerate(outgoing):
        if item.dedupe_key in existing:
            continue
        if item.dedupe_key is not None:
            if item.dedupe_key in first_of_key:  # the same key twice: the first one wins
                continue
            first_of_key[item.dedupe_key] = index
        fresh[index] = OutboxMessage(
            topic=item.topic,
            payload=item.payload,
            dedupe_key=item.dedupe_key,
            available_at=item.available_at or now,
        )
    if fresh:
        try:
            with transaction.atomic():
                OutboxMessage.objects.bulk_create(list(fresh.values()))
        except IntegrityError:
            # A concurrent transaction wrote one of these keys and committed first.
            return [_enqueue_one(item, now) for item in outgoing]
    rows = []
    for index, item in enumerate(outgoing):
        if index in fresh:
            rows.append(fresh[index])
        elif item.dedupe_key in existing:
            rows.append(_revive_if_cancelled(existing[item.dedupe_key], item, now))
        else:
            rows.append(fresh[first_of_key[item.dedupe_key]])
    return rows


def _enqueue_one(item: Outgoing, now: datetime) -> OutboxMessage:
    if item.dedupe_key is None:
        return OutboxMessage.objects.create(
            topic=item.topic, payload=item.payload, available_at=item.available_at or now
        )
    existing = OutboxMessage.objects.filter(dedupe_key=item.dedupe_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                return OutboxMessage.objects.create(
                    topic=item.topic,
                    payload=item.payload,
                    dedupe_key=item.dedupe_key,
                    available_at=item.available_at or now,
                )
        except IntegrityError:
            existing = OutboxMessage.objects.get(dedupe_key=item.dedupe_key)
    return _revive_if_cancelled(existing, item, now)


def _revive_if_cancelled(existing: OutboxMessage, item: Outgoing, now: datetime) -> OutboxMessage:
    if existing.status != OutboxStatus.CANCELLED:
        return existing
    revived = OutboxMessage.objects.filter(pk=existing.pk, status=OutboxStatus.CANCELLED).update(
        topic=item.topic,
        payload=item.payload,
        status=OutboxStatus.PENDING,
        available_at=item.available_at or now,
        attempts=0,
        last_error="",
        processed_at=None,
    )
    if revived:
        existing.refresh_from_db()
    return existing


def cancel_pending(dedupe_key_prefix: str) -> int:
    """Cancel every waiting (pending or failed) row whose dedupe key starts with
    ``dedupe_key_prefix``, in the current transaction; return how many.

    Rows already running or done are left alone: their handlers re-check that the message
    still applies. Call it inside the change's transaction (e.g. a reschedule supersedes the
    old reminders).

    Raises:
        ValueError: an empty prefix (it would cancel everything).
    """
    if not dedupe_key_prefix:
        raise ValueError("cancel_pending needs a non-empty dedupe key prefix.")
    return OutboxMessage.objects.filter(
        dedupe_key__startswith=dedupe_key_prefix, status__in=WAITING_STATUSES
    ).update(status=OutboxStatus.CANCELLED, processed_at=clock_now(), locked_until=None)


def backoff_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """Return the wait before retrying after failed attempt number ``attempt`` (from 1).

    The ceiling is ``OUTBOX_BACKOFF_BASE_SECONDS · 2^(attempt-1)`` capped at
    ``OUTBOX_BACKOFF_MAX_SECONDS``; the wait is drawn uniformly from [ceiling/2, ceiling] so
    that workers retrying after one outage spread out while the wait still grows.
    """
    base = float(settings.OUTBOX_BACKOFF_BASE_SECONDS)
    cap = float(settings.OUTBOX_BACKOFF_MAX_SECONDS)
    ceiling = min(cap, base * 2 ** min(max(attempt, 1) - 1, 32))
    seconds = (rng or random).uniform(ceiling / 2, ceiling)
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Claim:
    """A row claimed by this worker: its id, the attempt number and the lease token."""

    message_id: int
    attempt: int
    token: uuid.UUID


def _due(now: datetime, *, retries_only: bool, topics: Sequence[str] | None) -> Q:
    waiting = Q(status__in=[OutboxStatus.FAILED] if retries_only else WAITING_STATUSES)
    condition = (waiting & Q(available_at__lte=now)) | Q(
        status=OutboxStatus.PROCESSING, locked_until__lte=now
    )
    if topics is not None:
        condition &= Q(topic__in=list(topics))
    return condition


def claim_due(
    now: datetime,
    limit: int,
    *,
    retries_only: bool = False,
    topics: Sequence[str] | None = None,
) -> list[Claim]:
    """Claim up to ``limit`` due rows for this worker and return them (oldest due first).

    Due: waiting with ``available_at <= now``, or ``processing`` with an expired lease (its
    worker died; that attempt is recorded as failed, ``WorkerLost``). Rows locked by another
    worker's claim are skipped, never waited for. A row that already used all its attempts is
    marked ``dead`` instead of being claimed.
    """
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    max_attempts = settings.OUTBOX_MAX_ATTEMPTS
    claims: list[Claim] = []
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now, retries_only=retries_only, topics=topics))
            .order_by("available_at", "pk")
            .values_list("pk", "attempts", "status", "locked_until")[:limit]
        )
        for pk, attempts, status, locked_until in rows:
            if status == OutboxStatus.PROCESSING:
                _record_lost_attempt(pk, attempts, (locked_until or now) - lease)
            if attempts >= max_attempts:
                # A crashed last run (or a lowered OUTBOX_MAX_ATTEMPTS): no attempt left.
                unfinished = (
                    " (last one did not finish)" if status == OutboxStatus.PROCESSING else ""
                )
                OutboxMessage.objects.filter(pk=pk).update(
                    status=OutboxStatus.DEAD,
                    locked_until=None,
                    lock_token=None,
                    processed_at=now,
                    last_error=f"Gave up after {attempts} attempts{unfinished}.",
                )
                continue
            token = uuid.uuid4()
            OutboxMessage.objects.filter(pk=pk, status=status).update(
                status=OutboxStatus.PROCESSING,
                attempts=attempts + 1,
                locked_until=now + lease,
                lock_token=token,
            )
            claims.append(Claim(message_id=pk, attempt=attempts + 1, token=token))
    return claims


LOST_ATTEMPT_ERROR = (
    "WorkerLost: the worker stopped (killed, crashed or stalled) before recording an "
    "outcome; its lease ran out."
)


def _record_lost_attempt(message_id: int, number: int, claimed_at: datetime) -> None:
    """Record attempt ``number`` of a row whose lease ran out as failed, so the row's
    history shows the run that never reported (e.g. a worker SIGKILLed mid-send)."""
    logger.warning(
        "Outbox message %s: attempt %s never finished (lease expired); running it again.",
        message_id,
        number,
    )
    OutboxAttempt.objects.create(
        message_id=message_id,
        number=number,
        started_at=claimed_at,
        duration_ms=0,
        succeeded=False,
        error=LOST_ATTEMPT_ERROR,
    )


def dispatch_due(
    now: datetime | None = None,
    limit: int | None = None,
    *,
    retries_only: bool = False,
    topics: Sequence[str] | None = None,
) -> int:
    """Claim the due outbox rows, run their handlers and record the outcome; return how many
    rows were run (succeeded or not).

    Args:
        now: the instant that decides what is due (default: the clock).
        limit: at most this many rows (default ``OUTBOX_BATCH_SIZE``).
        retries_only: only rows that failed before (and expired leases).
        topics: only these topics (default: all).
    """
    now = now or clock_now()
    claims = claim_due(
        now, limit or settings.OUTBOX_BATCH_SIZE, retries_only=retries_only, topics=topics
    )
    for claim in claims:
        run_claimed(claim)
    return len(claims)


def run_claimed(claim: Claim) -> None:
    """Run the handler of a claimed row outside any transaction and record the outcome."""
    message = OutboxMessage.objects.get(pk=claim.message_id)
    handler = _handlers.get(message.topic)
    started_at = timezone.now()
    started = time.monotonic()
    error: BaseException | None = None
    try:
        if handler is None:
            # Retried, not dead: a worker of an older release may not know a new topic yet.
            raise LookupError(f'No outbox handler for topic "{message.topic}".')
        handler(message)
    except Exception as caught:  # noqa: BLE001 - recorded on the row and retried or dead
        error = caught
    duration_ms = int((time.monotonic() - started) * 1000)
    OutboxAttempt.objects.create(
        message_id=message.pk,
        number=claim.attempt,
        started_at=started_at,
        duration_ms=duration_ms,
        succeeded=error is None,
        error=_describe(error) if error else "",
    )
    mine = OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.PROCESSING, lock_token=claim.token
    )
    finished_at = clock_now()
    if error is None:
        updated = mine.update(
            status=OutboxStatus.DONE,
            processed_at=finished_at,
            locked_until=None,
            lock_token=None,
            last_error="",
        )
    elif isinstance(error, PermanentError) or claim.attempt >= settings.OUTBOX_MAX_ATTEMPTS:
        logger.error("Outbox message %s (%s) is dead: %s", message.pk, message.topic, error)
        updated = mine.update(
            status=OutboxStatus.DEAD,
            processed_at=finished_at,
            locked_until=None,
            lock_token=None,
            last_error=_describe(error),
        )
    else:
        delay = backoff_delay(claim.attempt)
        logger.warning(
            "Outbox message %s (%s) attempt %s failed, retry in %ss: %s",
            message.pk,
            message.topic,
            claim.attempt,
            int(delay.total_seconds()),
            error,
        )
        updated = mine.update(
            status=OutboxStatus.FAILED,
            available_at=finished_at + delay,
            locked_until=None,
            lock_token=None,
            last_error=_describe(error),
        )
    if not updated:
        logger.warning(
            "Outbox message %s: lease lost before the outcome was recorded (run again by "
            "another worker); the handler's own log keeps it from being sent twice.",
            message.pk,
        )


def retry_now(message_ids: Sequence[int], now: datetime | None = None) -> int:
    """Make failed or dead rows due at once (the admin's "retry now"); a dead row gets a
    fresh set of attempts. Return how many rows changed."""
    now = now or clock_now()
    updated = OutboxMessage.objects.filter(
        pk__in=list(message_ids), status=OutboxStatus.FAILED
    ).update(available_at=now)
    updated += OutboxMessage.objects.filter(
        pk__in=list(message_ids), status=OutboxStatus.DEAD
    ).update(status=OutboxStatus.PENDING, available_at=now, attempts=0, processed_at=None)
    return updated


def purge_finished(now: datetime | None = None, *, older_than_days: int | None = None) -> int:
    """Delete done and cancelled rows processed more than ``older_than_days`` (default
    ``OUTBOX_RETENTION_DAYS``) ago; return how many. Dead rows stay until someone looks."""
    now = now or clock_now()
    days = settings.OUTBOX_RETENTION_DAYS if older_than_days is None else older_than_days
    _, deleted = OutboxMessage.objects.filter(
        status__in=[OutboxStatus.DONE, OutboxStatus.CANCELLED],
        processed_at__lt=now - timedelta(days=days),
    ).delete()
    return deleted.get(OutboxMessage._meta.label, 0)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
