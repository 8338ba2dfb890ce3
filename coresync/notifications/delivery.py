"""Outbox handlers that deliver notifications, one topic per channel.

Each run of an outbox message on a channel:

1. returns at once if the message already has a final log row (sent, skipped): a retry after
   a crash or a lost lease never sends twice what was recorded as sent;
2. re-reads what the message is about (:func:`coresync.notifications.content.prepare`) and
   logs ``skipped`` with the reason if it no longer applies (booking cancelled or moved);
3. logs ``skipped_opt_out`` if the user turned the channel off;
4. sends through the channel's provider and logs ``sent`` — or logs ``failed`` with the error
   and re-raises it, so the dispatcher retries it (or gives up on a ``PermanentError``).
"""

import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from coresync.core.clock import now as clock_now
from coresync.notifications.channels import EMAIL, PUSH, SMS, Message, get_channel
from coresync.notifications.content import OPT_OUT_KIND, prepare
from coresync.notifications.models import (
    FINAL_DELIVERY_STATUSES,
    DeliveryStatus,
    EmailLog,
    NotificationLog,
    OutboxMessage,
)
from coresync.notifications.outbox import outbox_handler
from coresync.notifications.selectors import channel_enabled, kind_enabled

logger = logging.getLogger(__name__)

TOPIC_EMAIL = "notifications.email"
TOPIC_SMS = "notifications.sms"
TOPIC_PUSH = "notifications.push"
TOPIC_BY_CHANNEL = {EMAIL: TOPIC_EMAIL, SMS: TOPIC_SMS, PUSH: TOPIC_PUSH}


@outbox_handler(TOPIC_EMAIL)
def deliver_email(message: OutboxMessage) -> None:
    """Send the email of outbox ``message`` (payload: see :func:`content.prepare`)."""
    deliver(message, EMAIL)


@outbox_handler(TOPIC_SMS)
def deliver_sms(message: OutboxMessage) -> None:
    """Send the SMS of outbox ``message``."""
    deliver(message, SMS)


@outbox_handler(TOPIC_PUSH)
def deliver_push(message: OutboxMessage) -> None:
    """Send the push notification of outbox ``message``."""
    deliver(message, PUSH)


def deliver(message: OutboxMessage, channel_name: str) -> None:
    """Deliver ``message`` on ``channel_name`` once, logging the outcome (module docstring).

    Raises:
        PermanentError: the provider refused it for good (logged ``failed``).
        Exception: any other send error (logged ``failed``), to be retried.
    """
    log_model = EmailLog if channel_name == EMAIL else NotificationLog
    if log_model.objects.filter(
        outbox_message=message, status__in=FINAL_DELIVERY_STATUSES
    ).exists():
        logger.info("Outbox message %s already delivered; not sent again.", message.pk)
        return
    now = clock_now()
    prepared = prepare(
        message.payload, channel_name, now=now, reference=send_reference(message, channel_name)
    )
    user = prepared.user
    base = {
        "outbox_message": message,
        # A recipient who is not a customer (a gift card's) is logged by address only.
        "user": user if isinstance(user, get_user_model()) else None,
        "kind": prepared.kind,
        "to": prepared.message.to if prepared.message else _address(user, channel_name),
    }
    if channel_name == EMAIL:
        base["subject"] = prepared.message.subject if prepared.message else ""
    else:
        base["channel"] = channel_name
        base["body"] = prepared.message.text if prepared.message else ""
    if prepared.message is None:
        _log(log_model, base, DeliveryStatus.SKIPPED, error=prepared.skip_reason)
        return
    if not channel_enabled(user, channel_name) or not kind_enabled(
        user, OPT_OUT_KIND.get(prepared.kind, "")
    ):
        _log(log_model, base, DeliveryStatus.SKIPPED_OPT_OUT)
        return
    channel = get_channel(channel_name)
    if channel_name != EMAIL:
        base["provider"] = channel.provider
    try:
        provider_id = channel.send(prepared.message)
    except Exception as error:
        _log(log_model, base, DeliveryStatus.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    extra = {"message_id": provider_id[:255]} if channel_name == EMAIL else {}
    _log(log_model, base, DeliveryStatus.SENT, sent_at=clock_now(), **extra)


def send_logged_email(message: OutboxMessage, outgoing: Message, *, user, kind: str) -> None:
    """Send ``outgoing`` (the email of outbox ``message`` to ``user``) and log it as ``kind``:
    ``sent`` with the provider's id, or ``failed`` with the error, which is re-raised so the
    dispatcher retries it. For handlers of their own topics (password reset, payroll)."""
    base = {
        "outbox_message": message,
        "user": user,
        "kind": kind,
        "to": outgoing.to,
        "subject": outgoing.subject,
    }
    try:
        provider_id = get_channel(EMAIL).send(outgoing)
    except Exception as error:
        _log(EmailLog, base, DeliveryStatus.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    _log(EmailLog, base, DeliveryStatus.SENT, sent_at=clock_now(), message_id=provider_id[:255])


def send_reference(message: OutboxMessage, channel_name: str) -> str:
    """Return the id of one send: ``outbox-<pk>-<channel>.<20 hex>``, the hex a keyed hash
    (``SECRET_KEY``) of the row's id and creation instant. The same on every retry of the
    row (a receiving server drops a duplicate), never the same for two rows — not after the
    database was reset, not in another installation sending from the same domain.
    Becomes the email ``Message-ID`` ``<reference@sending domain>`` (RFC 5322 §3.6.4)."""
    seed = f"{message.pk}:{message.created_at.isoformat() if message.created_at else ''}"
    digest = salted_hmac("coresync.notifications.message-id", f"{seed}:{channel_name}")
    return f"outbox-{message.pk}-{channel_name}.{digest.hexdigest()[:20]}"


def _address(user, channel_name: str) -> str:
    if user is None:
        return ""
    return {EMAIL: user.email, SMS: user.phone}.get(channel_name, str(user.pk))


def _log(log_model, base: dict, status: str, *, error: str = "", **fields) -> None:
    try:
        with transaction.atomic():
            log_model.objects.create(**base, status=status, error=error[:4000], **fields)
    except IntegrityError:
        # Another worker recorded a final outcome for this message first (a lease expired
        # while this one was still sending): at-least-once, the log keeps the first.
        logger.warning(
            "Outbox message %s: a final %s log row exists already.",
            base["outbox_message"].pk,
            log_model.__name__,
        )
