"""Account emails (password reset) sent through the outbox, never inside the request.

The request only writes an outbox row, whether or not an account has the address, so both
answers take the same path and the same time: nobody learns by timing which emails have an
account (issue "security probe" #5). The worker looks the account up when it sends and makes
the reset link then, so no reset token is ever stored.
"""

import logging

from django.db import transaction

from coresync.accounts.models import User
from coresync.accounts.services import password_reset_link
from coresync.notifications.channels import EMAIL, Message
from coresync.notifications.delivery import send_logged_email
from coresync.notifications.models import (
    FINAL_DELIVERY_STATUSES,
    EmailLog,
    OutboxMessage,
)
from coresync.notifications.outbox import enqueue, outbox_handler

logger = logging.getLogger(__name__)

TOPIC_PASSWORD_RESET = "notifications.password_reset"
PASSWORD_RESET = "password_reset"


def request_password_reset(email: str) -> None:
    """Queue a password-reset email to ``email`` (any string up to 254 characters).

    Always writes one outbox row and nothing else; the worker sends only if an active
    account with a usable password has that address (:func:`deliver_password_reset`).
    """
    with transaction.atomic():
        enqueue(TOPIC_PASSWORD_RESET, {"kind": PASSWORD_RESET, "email": (email or "")[:254]})


@outbox_handler(TOPIC_PASSWORD_RESET)
def deliver_password_reset(message: OutboxMessage) -> None:
    """Send the reset email of ``message`` once, logging it; an unknown address sends
    nothing and logs nothing (the log would tell which addresses were tried)."""
    if EmailLog.objects.filter(outbox_message=message, status__in=FINAL_DELIVERY_STATUSES).exists():
        return
    email = str(message.payload.get("email", "")).strip()
    user = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if user is None or not user.has_usable_password():
        return
    link = password_reset_link(user)
    body = (
        f"Hello {user.get_short_name()},\n\n"
        f"Someone asked to reset the password of your CoreSync account. To choose a new one, "
        f"open this link within three hours:\n\n{link}\n\n"
        f"If it was not you, ignore this email: your password stays as it is.\n"
    )
    outgoing = Message(
        to=user.email,
        subject="Reset your CoreSync password",
        text=body,
        reference=f"outbox-{message.pk}-{EMAIL}",
    )
    send_logged_email(message, outgoing, user=user, kind=PASSWORD_RESET)
