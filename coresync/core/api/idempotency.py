"""Idempotent creating endpoints (ARCHITECTURE.md: ``POST bookings/`` with ``Idempotency-Key``).

- same key, same body → the stored response again;
- same key, another body → 422 ``idempotency_key_reused``;
- same key while the first request still runs → 409 ``idempotency_request_in_progress``;
  a record left in progress longer than ``IDEMPOTENCY_ABANDONED_SECONDS`` (its server
  process died mid-request) is taken over by the next request with the key;
- a request that failed leaves no record, so the client may retry with the key — also when
  it failed because its database connection was cut.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from coresync.core.clock import now as clock_now
from coresync.core.errors import IdempotencyKeyReused, IdempotencyRequestInProgress, InvalidInput
from coresync.core.models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def request_fingerprint(request: Request) -> str:
    """Return a SHA-256 of the request's method, path and canonical JSON body."""
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def require_key(request: Request) -> str:
    """Return the request's Idempotency-Key.

    Raises:
        InvalidInput: the header is missing, empty or longer than 200 characters.
    """
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"The {HEADER} header is required (1 to {MAX_KEY_LENGTH} characters).",
            fields={HEADER: "Send a unique key per new booking, e.g. a UUID."},
        )
    return key


def run_idempotent(
    request: Request, scope: str, handler: Callable[[], Response], key: str | None = None
) -> Response:
    """Run ``handler`` once per (user, scope, key) and replay its successful response.

    Raises:
        IdempotencyKeyReused, IdempotencyRequestInProgress, InvalidInput (missing key).
    """
    key = key or require_key(request)
    fingerprint = request_fingerprint(request)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=request.user, scope=scope, key=key, fingerprint=fingerprint
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(user=request.user, scope=scope, key=key).first()
        if existing is None:  # the first request failed and released the key meanwhile
            return run_idempotent(request, scope, handler, key)
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused(key=key) from None
        if existing.state == IdempotencyRecord.State.IN_PROGRESS:
            if not _abandoned(existing):
                raise IdempotencyRequestInProgress(key=key) from None
            # Its request never finished (the server process died mid-request): take over.
            # Safe even if it still ran: the booking and its payment are keyed themselves.
            logger.warning("Idempotency-Key %s (%s) was abandoned; taking it over.", key, scope)
            IdempotencyRecord.objects.filter(
                pk=existing.pk, state=IdempotencyRecord.State.IN_PROGRESS
            ).delete()
            return run_idempotent(request, scope, handler, key)
        replay = Response(existing.response_body, status=existing.response_status)
        replay["Idempotent-Replayed"] = "true"
        return replay
    try:
        response = handler()
    except BaseException:
        _release(record)
        raise
    if response.status_code >= 400:
        record.delete()
        return response
    record.state = IdempotencyRecord.State.DONE
    record.response_status = response.status_code
    record.response_body = _json_safe(response.data)
    record.save(update_fields=["state", "response_status", "response_body"])
    return response


def _abandoned(record: IdempotencyRecord) -> bool:
    """Tell whether an in-progress record is older than any request runs
    (``IDEMPOTENCY_ABANDONED_SECONDS``): its request died without releasing it."""
    limit = timedelta(seconds=settings.IDEMPOTENCY_ABANDONED_SECONDS)
    return record.created_at <= clock_now() - limit


def _release(record: IdempotencyRecord) -> None:
    """Delete the record of a request that failed, so the client may retry with its key.

    If the request failed because its database connection died (a failover, a cut), the
    record is deleted over a new connection: kept, it would answer every retry "still in
    progress" although nothing runs any more (docs/fault-drills.md).
    """
    try:
        record.delete()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        record.delete()


def _json_safe(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))
